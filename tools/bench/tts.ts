/**
 * Text-to-speech latency benchmark (prints figures; not a test). Run from packages/run-onnx:
 *   bash ../../tools/fetch-test-voices.sh   # once: the real en_US-joe-medium voice into .cache/voices (else the fixture)
 *   node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/tts.ts
 *
 * Time to the first audio chunk of `synthesizeStreaming` against the wall time of a whole-utterance `synthesize`
 * on a four-sentence paragraph, plus the cost of one espeak-ng phonemizer call and the real-time factor.
 * CPU, 1 intra-op thread unless BENCH_THREADS is set; medians of BENCH_ROUNDS (default 5) interleaved rounds.
 * One voice per phonemizer in BENCH_PHONEMIZERS (default `espeak-ng-wasm,libespeak-ng`), side by side (rounds
 * interleaved, order rotated), with the ratio of the two.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { PhonemizerChoice } from '../../packages/run-core/src/index.js';
import { selectPhonemizer } from '../../packages/run-core/src/families.js';
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

const kinds = (process.env.BENCH_PHONEMIZERS ?? 'espeak-ng-wasm,libespeak-ng').split(',') as PhonemizerChoice[];
const sides = [];
for (const kind of kinds) {
  const t = await loadTextToSpeech(voice, { intraOpThreads: THREADS, interOpThreads: 1, phonemizer: kind });
  await t.synthesize('Warm up.');
  sides.push({
    kind,
    tts: t,
    espeak: await selectPhonemizer(kind),
    first: [] as number[],
    streamTotal: [] as number[],
    whole: [] as number[],
    phonemize: [] as number[],
  });
}
let audioSeconds = 0;
for (let r = 0; r < ROUNDS; r++) {
  // Sides interleaved, order rotated every round.
  for (let k = 0; k < sides.length; k++) {
    const side = sides[(r + k) % sides.length]!;
    let t = performance.now();
    let gotFirst = 0;
    for await (const chunk of side.tts.synthesizeStreaming(text)) {
      if (chunk.index === 0) gotFirst = performance.now() - t;
    }
    side.first.push(gotFirst);
    side.streamTotal.push(performance.now() - t);
    t = performance.now();
    const result = await side.tts.synthesize(text);
    side.whole.push(performance.now() - t);
    audioSeconds = result.samples.length / result.sampleRate;
    t = performance.now();
    await side.espeak.phonemize('The quick brown fox jumps over the lazy dog.', 'en-us');
    side.phonemize.push(performance.now() - t);
  }
}
for (const side of sides) await side.tts.unload();

const ms = (x: number): string => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
console.log(
  `voice: ${voice === real ? 'en_US-joe-medium (real, 63 MB)' : 'random-weight fixture'}; ${THREADS} thread(s); ${ROUNDS} rounds; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`audio: ${audioSeconds.toFixed(2)} s for ${text.length} characters in 4 sentences`);
for (const side of sides) {
  console.log(`phonemizer ${side.kind} (${side.tts.phonemizerName}):`);
  console.log(`  streaming, first chunk:      ${ms(median(side.first))}`);
  console.log(`  streaming, all chunks:       ${ms(median(side.streamTotal))}`);
  console.log(
    `  synthesize (whole):          ${ms(median(side.whole))}  (real-time factor ${(median(side.whole) / 1000 / audioSeconds).toFixed(3)})`,
  );
  console.log(`  espeak-ng, one sentence:     ${ms(median(side.phonemize))}`);
}
if (sides.length === 2) {
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  console.log(
    `ratio ${b.kind} / ${a.kind}: first chunk ${(median(b.first) / median(a.first)).toFixed(2)}, whole ${(median(b.whole) / median(a.whole)).toFixed(2)}`,
  );
}
