/**
 * Persistent TTS worker for tools/bench/peers/tts.mjs (ours): reads one JSON request per stdin line,
 * `{ "text": "…" }`, and answers one JSON line `{ "firstMs", "totalMs", "samples" }`: time to the first streamed
 * sentence and to the last one, measured inside the worker. Env: BENCH_VOICE, BENCH_THREADS.
 */
import { createInterface } from 'node:readline';
import { loadTextToSpeech } from '../../../packages/run-onnx/src/index.js';

const voice = process.env.BENCH_VOICE as string;
const threads = Number(process.env.BENCH_THREADS ?? 1);
const tts = await loadTextToSpeech(voice, { intraOpThreads: threads, interOpThreads: 1 });
await tts.synthesize('Warm up.');
process.stdout.write(`${JSON.stringify({ ready: true, phonemizer: tts.phonemizerName })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { text } = JSON.parse(line) as { text: string };
  const t = performance.now();
  let firstMs = 0;
  let samples = 0;
  for await (const chunk of tts.synthesizeStreaming(text)) {
    if (chunk.index === 0) firstMs = performance.now() - t;
    samples += chunk.samples.length;
  }
  process.stdout.write(`${JSON.stringify({ firstMs, totalMs: performance.now() - t, samples })}\n`);
}
await tts.unload();
