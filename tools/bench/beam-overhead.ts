/**
 * Beam-search overhead benchmark (prints figures; not a test): Whisper tiny.en int8 (tools/fixtures/models), the
 * five LibriVox clips of .cache/test-media/speech (tools/test/fetch-test-media.sh), beam 5 with timestamps, one 30 s window per clip. Time spent in
 * `runner.step` (onnxruntime plus its I/O conversion) and in `runner.reorder` is counted apart from the rest
 * (decoding bookkeeping in JavaScript). Run:
 *   cd packages/run-onnx && node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/beam-overhead.ts
 * `BENCH_ROUNDS` (default 3), `BENCH_BEAM` (default 5), `BENCH_RECORD=file.json` writes tokens and log-probs.
 *
 * The machine may be shared, so wall times are noisy: besides them it prints the main thread's CPU time
 * (`/proc/thread-self/stat`, Linux) and, from round 2 on, replays the decoder logits recorded in round 1 (no
 * onnxruntime), so the CPU time of those rounds is the decoding bookkeeping alone.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '../../packages/run-core/src/index.js';
import { decodeWindow, logMelSpectrogram, seededRandom } from '../../packages/run-core/src/families.js';
import { loadSpeechToText } from '../../packages/run-onnx/src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const BEAM = Number(process.env.BENCH_BEAM ?? 5);
const model = fileURLToPath(new URL('../fixtures/models/whisper-tiny.en-int8', import.meta.url));
const media = fileURLToPath(new URL('../../.cache/test-media/speech/', import.meta.url));
const clips = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort();

const stt = await loadSpeechToText(model, { vad: false, intraOpThreads: 1, interOpThreads: 1 });
const p = stt.pipeline;
const runner = p.runner;
let stepMs = 0;
let reorderMs = 0;
let steps = 0;
const step = runner.step.bind(runner);
/** Logits of round 1, in call order; replayed (as fresh copies) in the later rounds. */
const recorded: Awaited<ReturnType<typeof step>>[] = [];
let replay = false;
runner.step = async (...a) => {
  const t = performance.now();
  try {
    if (replay) {
      const l = recorded[steps] as (typeof recorded)[number];
      return { ...l, data: l.data.slice() };
    }
    const l = await step(...a);
    recorded.push({ ...l, data: l.data.slice() });
    return l;
  } finally {
    stepMs += performance.now() - t;
    steps++;
  }
};
/** CPU time of the calling (main) thread, ms (Linux). */
function threadCpuMs(): number {
  const f = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
const reorder = runner.reorder.bind(runner);
runner.reorder = (...a) => {
  const t = performance.now();
  reorder(...a);
  reorderMs += performance.now() - t;
};

const hiddens = [];
for (const f of clips) {
  const audio = await loadAudio(join(media, f), { sampleRate: 16000 });
  const mel = logMelSpectrogram(audio.samples, { nMels: p.config.nMels });
  hiddens.push(await p.encode(mel.data, 1));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const totals: number[] = [];
const outside: number[] = [];
const inStep: number[] = [];
const inReorder: number[] = [];
const cpus: number[] = [];
const record: { clip: string; tokens: number[]; tokenLogprobs: number[]; sumLogprob: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  stepMs = 0;
  reorderMs = 0;
  steps = 0;
  replay = r > 0;
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  for (const [i, hidden] of hiddens.entries()) {
    const res = await decodeWindow(runner, p.tokenizer, p.config, hidden, {
      withTimestamps: true,
      temperature: 0,
      beamSize: BEAM,
      random: seededRandom(0),
    });
    if (r === 0)
      record.push({
        clip: clips[i] as string,
        tokens: res.tokens,
        tokenLogprobs: res.tokenLogprobs,
        sumLogprob: res.sumLogprob,
      });
  }
  const total = performance.now() - t0;
  const cpu = threadCpuMs() - cpu0;
  if (replay) cpus.push(cpu);
  else totals.push(total);
  if (!replay) {
    inStep.push(stepMs);
    inReorder.push(reorderMs);
    outside.push(total - stepMs - reorderMs);
  }
  console.log(
    `round ${r}${replay ? ' (replayed logits)' : ''}: main-thread CPU ${cpu.toFixed(0)} ms, total ${total.toFixed(0)} ms, step ${stepMs.toFixed(0)} ms (${steps} runs), reorder ${reorderMs.toFixed(1)} ms, rest ${(total - stepMs - reorderMs).toFixed(1)} ms`,
  );
}
console.log(
  `beam ${BEAM}, ${clips.length} clips, live round: total ${median(totals).toFixed(0)} ms, runner.step ${median(inStep).toFixed(0)} ms, reorder ${median(inReorder).toFixed(1)} ms, rest ${median(outside).toFixed(1)} ms (wall)`,
);
console.log(
  `replayed rounds (no onnxruntime), median of ${cpus.length}: decoding bookkeeping + reorder ${median(cpus).toFixed(0)} ms main-thread CPU; load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
if (process.env.BENCH_RECORD) writeFileSync(process.env.BENCH_RECORD, JSON.stringify(record));
await stt.unload();
