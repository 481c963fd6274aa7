/**
 * Worker of tools/bench/stt-sizes.mjs (ours): one JSON request per stdin line, `{ "files": […], "beamSize": 5 }`,
 * one JSON answer `{ "ms", "tokens" }`. Per file, the same work faster-whisper's side does: read and decode the
 * WAV, log-mel, encode the one 30 s window, then decode exactly BENCH_TOKENS tokens without timestamps (EOT
 * suppressed), greedy or beam search, as `transcribe` decodes a window. Env: BENCH_MODEL, BENCH_DTYPE,
 * BENCH_THREADS, BENCH_TOKENS.
 */
import { createInterface } from 'node:readline';
import { loadAudio } from '../../packages/run-core/src/index.js';
import {
  WHISPER_CHUNK_FRAMES,
  WHISPER_CHUNK_SAMPLES,
  decodeWindow,
  logMelSpectrogram,
  seededRandom,
} from '../../packages/run-core/src/families.js';
import { loadSpeechToText } from '../../packages/run-onnx/src/index.js';

const threads = Number(process.env.BENCH_THREADS ?? 1);
const tokens = Number(process.env.BENCH_TOKENS ?? 64);
const stt = await loadSpeechToText(process.env.BENCH_MODEL as string, {
  ...(process.env.BENCH_DTYPE ? { dtype: process.env.BENCH_DTYPE as 'int8' } : {}),
  vad: false,
  intraOpThreads: threads,
  interOpThreads: 1,
});
const p = stt.pipeline;
const sp = p.tokenizer.special;
const language = p.resolveLanguage('en');

async function one(file: string, beamSize: number): Promise<number> {
  const pcm = await loadAudio(file, { sampleRate: 16000 });
  const mel = logMelSpectrogram(pcm.samples, {
    nMels: p.config.nMels,
    nSamples: pcm.samples.length + WHISPER_CHUNK_SAMPLES,
  });
  const feats = new Float32Array(p.config.nMels * WHISPER_CHUNK_FRAMES);
  for (let m = 0; m < p.config.nMels; m++)
    feats.set(mel.data.subarray(m * mel.nFrames, m * mel.nFrames + WHISPER_CHUNK_FRAMES), m * WHISPER_CHUNK_FRAMES);
  const hidden = await p.encode(feats, 1);
  const r = await decodeWindow(p.runner, p.tokenizer, p.config, hidden, {
    ...(language?.token !== undefined ? { languageToken: language.token } : {}),
    ...(p.config.isMultilingual ? { taskToken: sp.transcribe } : {}),
    withTimestamps: false,
    temperature: 0,
    beamSize,
    maxNewTokens: tokens,
    ignoreEot: true,
    random: seededRandom(0),
  });
  return r.tokens.length;
}

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { files, beamSize } = JSON.parse(line) as { files: string[]; beamSize: number };
  const t = performance.now();
  const counts: number[] = [];
  for (const f of files) counts.push(await one(f, beamSize));
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t, tokens: counts })}\n`);
}
await stt.unload();
