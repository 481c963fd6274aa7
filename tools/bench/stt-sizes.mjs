/**
 * Whisper tiny/base/small against faster-whisper on the same weights (prints ratios; not a test). For each size a
 * pair of persistent workers (tools/bench/stt-sizes-ours.ts and tools/bench/stt_sizes_faster_whisper.py), both
 * int8 on 1 thread (BENCH_THREADS): the five LibriVox clips of .cache/test-media/speech, per clip the WAV decode,
 * log-mel, one encoder run and exactly BENCH_TOKENS (default 64) decoded tokens with EOT suppressed and no
 * timestamps (ours `ignoreEot` + `maxNewTokens`, faster-whisper `suppress_tokens=[-1, eot]` + `max_new_tokens`,
 * `without_timestamps`), greedy and beam 5 (patience 1 both). The bench refuses a size when a side decoded another
 * number of tokens. Rounds interleave the sides with their order rotated; medians are printed.
 * Models (random weights, real sizes; `base` and `small` from tools/bench/make-whisper-sizes.py, same weights on
 * both sides): `tiny.en` = the real tiny.en int8 fixture vs faster-whisper's tiny.en (tools/bench/peers/setup.sh).
 * Run:
 *   bash tools/bench/peers/setup.sh && tools/fixtures/setup.sh
 *   tools/fixtures/.venv/bin/pip install -q ctranslate2==4.8.5
 *   tools/fixtures/.venv/bin/python tools/bench/make-whisper-sizes.py base small
 *   node tools/bench/stt-sizes.mjs        # BENCH_SIZES=tiny.en,base,small BENCH_BEAMS=1,5 BENCH_ROUNDS=3
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, startWorker } from './peers/workers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const threads = process.env.BENCH_THREADS ?? '1';
const tokens = process.env.BENCH_TOKENS ?? '64';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const beams = (process.env.BENCH_BEAMS ?? '1,5').split(',').map(Number);
const sizes = (process.env.BENCH_SIZES ?? 'tiny.en,base,small').split(',');
const media = `${root}.cache/test-media/speech/`;
const files = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .map((f) => media + f);
const models = {
  'tiny.en': { ours: `${root}tools/fixtures/models/whisper-tiny.en-int8`, ct2: `${root}.cache/bench-ct2-tiny.en` },
  base: { ours: `${root}.cache/bench-whisper/base-int8`, ct2: `${root}.cache/bench-whisper/base-ct2` },
  small: { ours: `${root}.cache/bench-whisper/small-int8`, ct2: `${root}.cache/bench-whisper/small-ct2` },
};

const rows = [];
for (const size of sizes) {
  const m = models[size];
  const env = {
    ...process.env,
    BENCH_MODEL: m.ours,
    BENCH_DTYPE: 'int8',
    BENCH_CT2_MODEL: m.ct2,
    BENCH_THREADS: threads,
    BENCH_TOKENS: tokens,
    OMP_NUM_THREADS: threads,
  };
  const sides = [
    await startWorker(
      'ours',
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', `${root}tools/bench/stt-sizes-ours.ts`],
      { cwd: `${root}packages/run-onnx`, env },
    ),
    await startWorker(
      'faster-whisper',
      `${root}.cache/bench-venv/bin/python`,
      [`${root}tools/bench/stt_sizes_faster_whisper.py`],
      {
        env,
      },
    ),
  ];
  for (const beamSize of beams) {
    // One warm-up request per side.
    const counts = [];
    for (const s of sides) counts.push((await s.request({ files, beamSize })).tokens.join(','));
    if (counts[0] !== counts[1]) {
      rows.push(
        `| ${size} | ${beamSize} | token counts differ: ours ${counts[0]}, faster-whisper ${counts[1]} | | | |`,
      );
      continue;
    }
    const ms = { ours: [], 'faster-whisper': [] };
    const loads = [];
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 === 0 ? sides : [...sides].reverse())
        ms[s.name].push((await s.request({ files, beamSize })).ms);
      loads.push(loadavg()[0]);
    }
    const ours = median(ms.ours);
    const peer = median(ms['faster-whisper']);
    rows.push(
      `| ${size} | ${beamSize === 1 ? 'greedy' : `beam ${beamSize}`} | ${ours.toFixed(0)} ms | ${peer.toFixed(0)} ms | **${(ours / peer).toFixed(2)}** | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`,
    );
    console.error(rows[rows.length - 1]);
  }
  for (const s of sides) s.stop();
}
console.log(
  `five clips, ${tokens} tokens each (EOT suppressed, no timestamps), int8, ${threads} thread(s), ${rounds} rounds, medians`,
);
console.log('| model | decoding | ours | faster-whisper 1.2.1 | ours ÷ peer | load (1 min) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
