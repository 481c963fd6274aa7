/**
 * Text-to-speech latency benchmark (prints figures; not a test). Run from packages/run-onnx:
 *   bash ../../tools/fetch-test-voices.sh   # once: the real en_US-joe-medium voice into .cache/voices (else the fixture)
 *   node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/tts.ts
 *
 * Time to the first audio chunk of `synthesizeStreaming` against the wall time of a whole-utterance `synthesize`
 * on a four-sentence paragraph, plus the cost of one espeak-ng phonemizer call and the real-time factor.
 * CPU, 1 intra-op thread unless BENCH_THREADS is set; medians of BENCH_ROUNDS (default 5) interleaved rounds.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EspeakPhonemizer } from '../../packages/run-core/src/index.js';
import { loadTextToSpeech } from '../../packages/run-onnx/src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const real = fileURLToPath(new URL('../../.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/models/piper-voice', import.meta.url));
const voice = existsSync(real) ? real : fixture;
const text =
  'The quick brown fox jumps over the lazy dog. ' +
  'Streaming speech starts playing while the rest of the paragraph is still being synthesized. ' +
  'Each sentence is phonemized by espeak and spoken by the voice model. ' +
  'This is the last sentence of the benchmark.';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const tts = await loadTextToSpeech(voice, { intraOpThreads: THREADS, interOpThreads: 1 });
const espeak = new EspeakPhonemizer();
await tts.synthesize('Warm up.');

const first: number[] = [];
const streamTotal: number[] = [];
const whole: number[] = [];
const phonemize: number[] = [];
let audioSeconds = 0;
for (let r = 0; r < ROUNDS; r++) {
  let t = performance.now();
  let gotFirst = 0;
  for await (const chunk of tts.synthesizeStreaming(text)) {
    if (chunk.index === 0) gotFirst = performance.now() - t;
  }
  first.push(gotFirst);
  streamTotal.push(performance.now() - t);
  t = performance.now();
  const result = await tts.synthesize(text);
  whole.push(performance.now() - t);
  audioSeconds = result.samples.length / result.sampleRate;
  t = performance.now();
  await espeak.phonemize('The quick brown fox jumps over the lazy dog.', 'en-us');
  phonemize.push(performance.now() - t);
}
await tts.unload();

const ms = (x: number): string => `${x.toFixed(0)} ms`;
console.log(
  `voice: ${voice === real ? 'en_US-joe-medium (real, 63 MB)' : 'random-weight fixture'}; ${THREADS} thread(s); ${ROUNDS} rounds`,
);
console.log(`audio: ${audioSeconds.toFixed(2)} s for ${text.length} characters in 4 sentences`);
console.log(`streaming, first chunk:      ${ms(median(first))}`);
console.log(`streaming, all chunks:       ${ms(median(streamTotal))}`);
console.log(
  `synthesize (whole):          ${ms(median(whole))}  (real-time factor ${(median(whole) / 1000 / audioSeconds).toFixed(3)})`,
);
console.log(`espeak-ng, one sentence:     ${ms(median(phonemize))}`);
console.log(`first chunk / whole:         ${(median(first) / median(whole)).toFixed(2)}`);
