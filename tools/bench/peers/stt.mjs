/**
 * Speech-to-text side by side (prints ratios; not a test): ours (Whisper tiny.en int8 ONNX,
 * tools/fixtures/models/whisper-tiny.en-int8) against faster-whisper int8 on the same weights (its CTranslate2
 * tiny.en, see tools/bench/peers/setup.sh), each a persistent worker process. Audio: the five LibriVox clips of
 * .cache/test-media/speech (tools/test/fetch-test-media.sh), and "the 36 s file" (the same clips joined with fixed
 * silences, tools/bench/peers/stt-long-audio.mjs, written to .cache/bench-speech-36s.wav). English, temperature 0
 * only, no VAD, patience 1, same beam size and thread counts. Then the VAD alone on the 36 s file: faster-whisper's
 * get_speech_timestamps against the Silero VAD our transcribe uses, same options (Silero's defaults), regions
 * compared. Rounds are interleaved and the side order rotates; each worker times itself (wall and CPU time of its
 * own process); ratios are of medians. Run:
 *   bash tools/test/fetch-test-media.sh && bash tools/bench/peers/setup.sh
 *   node tools/bench/peers/stt.mjs   # BENCH_BEAMS=5,1 BENCH_AUDIO=clips,long BENCH_VAD=1 BENCH_THREADS=1 BENCH_ROUNDS=5
 * (BENCH_ENCODER_ATTENTION=float: our int8 encoder as exported instead of fused, see docs/speech.md)
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { longSpeechFile } from './stt-long-audio.mjs';
import { median, startWorker } from './workers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const threads = process.env.BENCH_THREADS ?? '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const beams = (process.env.BENCH_BEAMS ?? '5,1').split(',').filter(Boolean).map(Number);
const audios = (process.env.BENCH_AUDIO ?? 'clips,long').split(',').filter(Boolean);
const withVad = process.env.BENCH_VAD !== '0';
const media = `${root}.cache/test-media/speech/`;
const clips = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .map((f) => media + f);
const long = longSpeechFile(root);
const cases = { clips: { label: 'five clips', files: clips }, long: { label: 'the 36 s file', files: [long] } };
const env = {
  ...process.env,
  BENCH_MODEL: `${root}tools/fixtures/models/whisper-tiny.en-int8`,
  BENCH_CT2_MODEL: `${root}.cache/bench-ct2-tiny.en`,
  BENCH_THREADS: threads,
  OMP_NUM_THREADS: threads,
};
const sides = [
  await startWorker(
    'ours',
    process.execPath,
    ['--conditions=@llama-pajamas/source', '--import', 'tsx', `${root}tools/bench/peers/stt-ours.ts`],
    { cwd: `${root}packages/run-onnx`, env },
  ),
  await startWorker(
    'faster-whisper',
    `${root}.cache/bench-venv/bin/python`,
    [`${root}tools/bench/peers/stt_faster_whisper.py`],
    { env },
  ),
];
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** Interleaved rounds of one request; medians of each side's wall and CPU time, and round 0's answers. */
async function compare(request) {
  const ms = new Map(sides.map((s) => [s.name, []]));
  const cpu = new Map(sides.map((s) => [s.name, []]));
  const first = {};
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(Math.max(r, 0) + k) % sides.length];
      const a = await side.request(request);
      if (a.error) throw new Error(`${side.name}: ${a.error}`);
      if (r >= 0) {
        // round -1 warms up
        ms.get(side.name).push(a.ms);
        cpu.get(side.name).push(a.cpuMs);
        (first[side.name] ??= []).push(a);
      }
    }
  }
  const m = (map, name) => median(map.get(name));
  const phases = first.ours?.map((a) => a.phases).filter(Boolean) ?? [];
  return {
    ours: m(ms, 'ours'),
    peer: m(ms, 'faster-whisper'),
    oursCpu: m(cpu, 'ours'),
    peerCpu: m(cpu, 'faster-whisper'),
    answers: { ours: first.ours[0], peer: first['faster-whisper'][0] },
    phases: phases.length
      ? {
          encoderMs: median(phases.map((p) => p.encoderMs)),
          decoderMs: median(phases.map((p) => p.decoderMs)),
          decoderRuns: phases[0].decoderRuns,
        }
      : undefined,
  };
}

const f0 = (x) => x.toFixed(0);
console.log(`STT Whisper tiny.en int8, ${threads} thread(s), ${rounds} rounds, load average at start ${load()}`);
console.log('| what | ours | faster-whisper 1.2.1 int8 | ours ÷ peer (wall) | ours ÷ peer (CPU) | load |');
console.log('| --- | --- | --- | --- | --- | --- |');
const notes = [];
for (const name of audios) {
  const c = cases[name];
  for (const beamSize of beams) {
    const r = await compare({ files: c.files, beamSize });
    const same = r.answers.ours.texts.filter((t, i) => t === r.answers.peer.texts[i]).length;
    const what = `${beamSize === 1 ? 'greedy' : `beam ${beamSize}`}, ${c.label} (${same}/${c.files.length} texts identical)`;
    console.log(
      `| ${what} | ${f0(r.ours)} ms (CPU ${f0(r.oursCpu)}) | ${f0(r.peer)} ms (CPU ${f0(r.peerCpu)}) | ${(r.ours / r.peer).toFixed(2)} | ${(r.oursCpu / r.peerCpu).toFixed(2)} | ${loadavg()[0].toFixed(1)} |`,
    );
    if (r.phases) {
      const rest = r.ours - r.phases.encoderMs - r.phases.decoderMs;
      notes.push(
        `ours, ${what}: encoder ${f0(r.phases.encoderMs)} ms, decoder ${f0(r.phases.decoderMs)} ms (${r.phases.decoderRuns} runs), rest ${f0(rest)} ms (round-0 medians of the counters)`,
      );
    }
  }
}
if (withVad) {
  const r = await compare({ vad: long, options: {} });
  const a = r.answers.ours.regions;
  const b = r.answers.peer.regions;
  const worst =
    a.length === b.length
      ? Math.max(...a.map((s, i) => Math.max(Math.abs(s.start - b[i].start), Math.abs(s.end - b[i].end))))
      : NaN;
  const same =
    a.length === b.length
      ? `${a.length} regions, ends within ${(worst * 1000).toFixed(0)} ms`
      : `${a.length} vs ${b.length} regions`;
  console.log(
    `| VAD alone, the 36 s file (${same}) | ${f0(r.ours)} ms (CPU ${f0(r.oursCpu)}) | ${f0(r.peer)} ms (CPU ${f0(r.peerCpu)}) | ${(r.ours / r.peer).toFixed(2)} | ${(r.oursCpu / r.peerCpu).toFixed(2)} | ${loadavg()[0].toFixed(1)} |`,
  );
  notes.push(`VAD regions, ours: ${JSON.stringify(a)}`, `VAD regions, faster-whisper: ${JSON.stringify(b)}`);
}
for (const n of notes) console.log(`- ${n}`);
console.log(`load average at the end ${load()}`);
for (const s of sides) s.stop();
