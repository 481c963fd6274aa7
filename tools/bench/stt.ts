/**
 * Speech-to-text benchmark (prints figures; not a test). Run:
 *   tools/fixtures/.venv/bin/python tools/fixtures/generate.py --full-tiny   # once: random-weight full-size whisper-tiny
 *   cd packages/run-onnx && node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/stt.ts
 *
 * Real-time factor (wall time / audio seconds) of `transcribe` on the real-size random-weight Whisper tiny, side by
 * side with transformers.js' automatic-speech-recognition pipeline on the same ONNX files, doing the same work:
 * - the same clip (7.1 s, so one 30 s window), fp32, CPU, the same thread settings (intra-op `BENCH_THREADS`,
 *   default 1; inter-op 1), timestamps on in both;
 * - the same number of generated tokens: EOT suppressed on both sides (ours `ignoreEot`, theirs
 *   `min_new_tokens = max_new_tokens`), `BENCH_TOKENS` (default 50) tokens.
 * Each side's ONNX sessions are wrapped to count encoder runs and decoder runs (`session.run` calls) and the time
 * spent inside them; the bench refuses to compare when the counts differ. Per side it prints: total, encoder ms,
 * log-mel ms (timed in separate rounds: ours `logMelSpectrogram` as `transcribe` calls it, theirs the pipeline's
 * processor), decoder ms per step inside onnxruntime, and per-step decode ms all included ((total − encoder − log-mel) / steps:
 * the runtime plus all JavaScript work per token). Rounds are interleaved; medians are reported.
 *
 * `BENCH_BASELINE=/path/to/old/run-core/src` also times an older copy of run-core's Whisper pipeline (same
 * sessions, same options) in the same rounds, for before/after figures.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadAudio, logMelSpectrogram, type InferenceSession } from '../../packages/run-core/src/index.js';
import { OnnxSession, loadSpeechToText } from '../../packages/run-onnx/src/index.js';
import { asset } from '../test/assets.js';
import type * as RunCore from '../../packages/run-core/src/index.js';

const pkg = fileURLToPath(new URL('../../packages/run-onnx/package.json', import.meta.url));
const req = createRequire(pkg);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 50);
const BASELINE = process.env.BENCH_BASELINE;
const out = fileURLToPath(new URL('../fixtures/.out/', import.meta.url));
const model = `${out}whisper-tiny-full`;
const clip = asset('media/speech/sense_and_sensibility_01_austen_64kb-0870.wav');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Counts runs and the time spent in them, per session role. */
class Counter {
  runs = 0;
  ms = 0;
  reset(): void {
    this.runs = 0;
    this.ms = 0;
  }
  /** Wraps an async run function. */
  wrap<A extends unknown[], R>(fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
    return async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        return await fn(...a);
      } finally {
        this.ms += performance.now() - t;
        this.runs++;
      }
    };
  }
}

interface Side {
  name: string;
  enc: Counter;
  dec: Counter;
  run(): Promise<void>;
  mel(): Promise<void>;
  totals: number[];
  encMs: number[];
  decMs: number[];
  melMs: number[];
  encRuns: number;
  decRuns: number;
}

function side(name: string, enc: Counter, dec: Counter, run: () => Promise<void>, mel: () => Promise<void>): Side {
  return { name, enc, dec, run, mel, totals: [], encMs: [], decMs: [], melMs: [], encRuns: 0, decRuns: 0 };
}

const pcm = await loadAudio(new Uint8Array(await readFile(clip)), { sampleRate: 16000 });
const seconds = pcm.samples.length / 16000;

// Ours: count at the InferenceSession seam (every session loadSpeechToText opens goes through OnnxSession.create).
const ourEnc = new Counter();
const ourDec = new Counter();
const opened: InferenceSession[] = [];
const create = OnnxSession.create.bind(OnnxSession);
OnnxSession.create = async (m, o) => {
  const s = await create(m, o);
  const counter = typeof m === 'string' && m.includes('encoder') ? ourEnc : ourDec;
  s.run = counter.wrap(s.run.bind(s));
  opened.push(s);
  return s;
};
const sessionOptions = { intraOpThreads: THREADS, interOpThreads: 1 };
const ours = await loadSpeechToText(model, { vad: false, ...sessionOptions });
const ourOpts = { language: 'en', temperature: 0, ignoreEot: true, maxNewTokens: TOKENS } as const;
const ourMelOpts = { nMels: 80, nSamples: pcm.samples.length + 480000 }; // what transcribePcm computes
const sides: Side[] = [
  side(
    'ours',
    ourEnc,
    ourDec,
    async () => void (await ours.transcribe(pcm, ourOpts)),
    () => Promise.resolve(void logMelSpectrogram(pcm.samples, ourMelOpts)),
  ),
];

// An older copy of run-core's pipeline on the same sessions (before/after).
if (BASELINE) {
  const base = pathToFileURL(join(BASELINE, 'families/whisper/')).href;
  const { WhisperRunner } = (await import(`${base}runner.ts`)) as typeof RunCore;
  const { WhisperPipeline } = (await import(`${base}transcribe.ts`)) as typeof RunCore;
  const mel = (await import(`${base}log-mel.ts`)) as typeof RunCore;
  const bEnc = new Counter();
  const bDec = new Counter();
  const [encoder, decoder] = await Promise.all(
    ['encoder_model.onnx', 'decoder_model_merged.onnx'].map((f) => create(join(model, 'onnx', f), sessionOptions)),
  );
  if (!encoder || !decoder) throw new Error('baseline sessions');
  encoder.run = bEnc.wrap(encoder.run.bind(encoder));
  decoder.run = bDec.wrap(decoder.run.bind(decoder));
  opened.push(encoder, decoder);
  const p = ours.pipeline;
  const pipe = new WhisperPipeline(new WhisperRunner({ encoder, decoder }), p.tokenizer, p.config);
  sides.push(
    side(
      'before',
      bEnc,
      bDec,
      async () => void (await pipe.transcribePcm(pcm.samples, ourOpts)),
      () => Promise.resolve(void mel.logMelSpectrogram(pcm.samples, ourMelOpts)),
    ),
  );
}

// transformers.js: count at its onnxruntime sessions (the pipeline's model.sessions).
interface OrtLike {
  run(...a: unknown[]): Promise<unknown>;
}
type Pipe = ((audio: Float32Array, options: object) => Promise<unknown>) & {
  model: { sessions: Record<string, OrtLike> };
  processor: (audio: Float32Array) => Promise<unknown>;
};
interface Tjs {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline(task: string, model: string, options: object): Promise<Pipe>;
}
const tjs = (await import(pathToFileURL(req.resolve('@huggingface/transformers')).href)) as Tjs;
tjs.env.allowRemoteModels = false;
tjs.env.allowLocalModels = true;
tjs.env.localModelPath = out;
const theirs = await tjs.pipeline('automatic-speech-recognition', 'whisper-tiny-full', {
  dtype: 'fp32',
  device: 'cpu',
  session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
});
const tEnc = new Counter();
const tDec = new Counter();
for (const [key, s] of Object.entries(theirs.model.sessions)) {
  s.run = (key === 'model' ? tEnc : tDec).wrap(s.run.bind(s));
}
const theirOpts = {
  language: 'en',
  task: 'transcribe',
  return_timestamps: true,
  max_new_tokens: TOKENS,
  min_new_tokens: TOKENS,
};
sides.push(
  side(
    'transformers.js',
    tEnc,
    tDec,
    async () => void (await theirs(pcm.samples, theirOpts)),
    async () => void (await theirs.processor(pcm.samples)),
  ),
);

// Warm up every side and check that they do the same work.
for (const s of sides) {
  s.enc.reset();
  s.dec.reset();
  await s.run();
  s.encRuns = s.enc.runs;
  s.decRuns = s.dec.runs;
  await s.mel();
}
const same = sides.every((s) => s.encRuns === sides[0]?.encRuns && s.decRuns === sides[0]?.decRuns);

for (let i = 0; i < ROUNDS; i++) {
  for (const s of sides) {
    s.enc.reset();
    s.dec.reset();
    const t = performance.now();
    await s.run();
    s.totals.push(performance.now() - t);
    s.encMs.push(s.enc.ms);
    s.decMs.push(s.dec.ms / Math.max(1, s.dec.runs));
  }
}
// Log-mel rounds apart from the transcriptions (so that one side's garbage collection does not land in them).
for (let i = 0; i < ROUNDS * 2; i++) {
  for (const s of sides) {
    const m = performance.now();
    await s.mel();
    s.melMs.push(performance.now() - m);
  }
}

console.log(
  `whisper-tiny (random weights, full size), ${seconds.toFixed(2)} s clip, ${TOKENS} tokens (EOT suppressed), ` +
    `intra-op threads ${THREADS}, ${ROUNDS} interleaved rounds, medians`,
);
console.log(
  '  side              enc runs  dec runs   total ms    RTF   encoder ms  log-mel ms  dec ms/step (ORT)  decode ms/step (all)',
);
const rows = new Map<string, number>();
for (const s of sides) {
  const total = median(s.totals);
  const enc = median(s.encMs);
  const mel = median(s.melMs);
  const perStep = median(s.totals.map((t, i) => (t - (s.encMs[i] as number) - mel) / s.decRuns));
  rows.set(s.name, total);
  console.log(
    `  ${s.name.padEnd(16)} ${String(s.encRuns).padStart(9)} ${String(s.decRuns).padStart(9)} ${total.toFixed(0).padStart(10)} ` +
      `${(total / 1000 / seconds).toFixed(3).padStart(6)} ${enc.toFixed(1).padStart(12)} ${mel.toFixed(1).padStart(11)} ` +
      `${median(s.decMs).toFixed(2).padStart(18)} ${perStep.toFixed(2).padStart(21)}`,
  );
}
const th = rows.get('transformers.js') as number;
for (const [name, t] of rows)
  if (name !== 'transformers.js') console.log(`  ${name} / transformers.js: ${(t / th).toFixed(2)}`);
if (!same)
  console.log('  WARNING: the sides ran different numbers of encoder/decoder runs; compare the per-step figures only.');
const mels: number[] = [];
for (let i = 0; i < 9; i++) {
  const t = performance.now();
  logMelSpectrogram(pcm.samples);
  mels.push(performance.now() - t);
}
console.log(`  log-mel of one 30 s window (ours): ${median(mels).toFixed(1)} ms`);
await ours.unload();
await Promise.all(opened.map((s) => s.dispose()));
