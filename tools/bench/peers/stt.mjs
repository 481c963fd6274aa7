/**
 * Speech-to-text side by side (prints ratios; not a test): ours (Whisper tiny.en int8 ONNX,
 * tools/fixtures/models/whisper-tiny.en-int8) against faster-whisper int8 on the same weights (its CTranslate2
 * tiny.en, see tools/bench/peers/setup.sh), each a persistent worker process: the five LibriVox clips of
 * .cache/test-media/speech (tools/test/fetch-test-media.sh), English, temperature 0 only, no VAD, same beam size and thread counts. Rounds are
 * interleaved and the side order rotates; each worker times itself. Run:
 *   bash tools/bench/peers/setup.sh
 *   node tools/bench/peers/stt.mjs            # BENCH_BEAMS=5,1  BENCH_THREADS=1  BENCH_ROUNDS=5
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, startWorker } from './workers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const threads = process.env.BENCH_THREADS ?? '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const beams = (process.env.BENCH_BEAMS ?? '5,1').split(',').map(Number);
const media = `${root}.cache/test-media/speech/`;
const files = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .map((f) => media + f);
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
console.log(`STT Whisper tiny.en int8, ${files.length} clips, ${threads} thread(s), ${rounds} rounds`);
console.log('| what | ours | faster-whisper 1.2.1 int8 | ours ÷ peer |');
console.log('| --- | --- | --- | --- |');
for (const beamSize of beams) {
  const ms = new Map(sides.map((s) => [s.name, []]));
  let texts;
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(Math.max(r, 0) + k) % sides.length];
      const a = await side.request({ files, beamSize });
      if (r >= 0) ms.get(side.name).push(a.ms); // round -1 warms up
      if (r === 0) (texts ??= {})[side.name] = a.texts;
    }
  }
  const a = median(ms.get('ours'));
  const b = median(ms.get('faster-whisper'));
  const same = texts.ours.filter((t, i) => t === texts['faster-whisper'][i]).length;
  console.log(
    `| beam ${beamSize}, five clips (${same}/${files.length} texts identical) | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(a / b).toFixed(2)} |`,
  );
}
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
for (const s of sides) s.stop();
