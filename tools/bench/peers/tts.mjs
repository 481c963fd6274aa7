/**
 * TTS side by side (prints ratios; not a test): ours (run-onnx + run-core, the phonemizer chosen at load) against
 * piper-tts from PyPI, each a persistent worker process, same voice, same text, same thread counts, same (zero)
 * sentence silence. Rounds are interleaved and the side order rotates every round; each worker times itself
 * (first sentence chunk and the whole paragraph), so process start-up and pipes are not counted. Run:
 *   bash tools/fetch-test-voices.sh && bash tools/bench/peers/setup.sh
 *   node tools/bench/peers/tts.mjs            # BENCH_THREADS=1 (default), BENCH_ROUNDS=7, BENCH_VERBOSE=1 (every round)
 */
import { loadavg } from 'node:os';
import { startTtsSides, TTS_TEXT } from './tts-sides.mjs';
import { median } from './workers.mjs';

const threads = process.env.BENCH_THREADS ?? '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const sides = await startTtsSides(threads);
const keys = ['firstMs', 'totalMs', 'cpuMs', 'phonemizeMs', 'ortMs', 'firstOrtMs', 'samples'];
const results = new Map(sides.map((s) => [s.name, Object.fromEntries(keys.map((k) => [k, []]))]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < sides.length; k++) {
    const side = sides[(r + k) % sides.length];
    const a = await side.request({ text: TTS_TEXT });
    const res = results.get(side.name);
    for (const k of keys) res[k].push(a[k]);
  }
}
for (const s of sides) s.stop();
if (process.env.BENCH_VERBOSE) for (const [name, r] of results) console.log(name, JSON.stringify(r));
const [ours, peer] = [results.get('ours'), results.get('piper-tts')];
console.log(
  `TTS en_US-joe-medium, ${threads} thread(s), ${rounds} rounds, ours phonemizer ${sides[0].ready.phonemizer}; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log('| what | ours | piper-tts 1.8.0 | ours ÷ peer |');
console.log('| --- | --- | --- | --- |');
for (const [label, key] of [
  ['first audio (first sentence)', 'firstMs'],
  ['whole paragraph', 'totalMs'],
  ['whole paragraph, process CPU time', 'cpuMs'],
]) {
  const a = median(ours[key]);
  const b = median(peer[key]);
  console.log(`| ${label} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(a / b).toFixed(2)} |`);
}
// Where the whole paragraph's time goes (medians per phase; "other" = total − phonemize − onnxruntime). The
// voice's noise makes each round's audio a little longer or shorter, so onnxruntime is also given per second
// of audio.
const rate = 22050;
const row = (r) => {
  const other = r.totalMs.map((t, i) => t - r.phonemizeMs[i] - r.ortMs[i]);
  const perSecond = (xs) => median(xs.map((t, i) => (t / r.samples[i]) * rate));
  return [
    median(r.phonemizeMs),
    median(r.ortMs),
    median(r.firstOrtMs),
    median(other),
    perSecond(r.ortMs),
    perSecond(r.cpuMs),
  ];
};
const [o, p] = [row(ours), row(peer)];
console.log('| phase (whole paragraph, medians) | ours | piper-tts 1.8.0 | ours ÷ peer |');
console.log('| --- | --- | --- | --- |');
const labels = [
  'phonemize',
  'onnxruntime run',
  'onnxruntime, first sentence',
  'everything else',
  'onnxruntime per s of audio',
  'process CPU time per s of audio',
];
for (let i = 0; i < labels.length; i++) {
  console.log(`| ${labels[i]} | ${o[i].toFixed(1)} ms | ${p[i].toFixed(1)} ms | ${(o[i] / p[i]).toFixed(2)} |`);
}
console.log(`audio samples (median): ours ${median(ours.samples)}, piper-tts ${median(peer.samples)}`);
