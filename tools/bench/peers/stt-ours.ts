/**
 * Persistent speech-to-text worker for tools/bench/peers/stt.mjs (ours): one JSON request per stdin line,
 * `{ "files": […], "beamSize": 5 }`, one JSON answer `{ "ms", "texts" }`: wall time of transcribing the files one
 * after the other (decode, log-mel, encoder, decoder), measured inside the worker. Env: BENCH_MODEL, BENCH_THREADS.
 */
import { createInterface } from 'node:readline';
import { loadSpeechToText } from '../../../packages/run-onnx/src/index.js';

const threads = Number(process.env.BENCH_THREADS ?? 1);
const stt = await loadSpeechToText(process.env.BENCH_MODEL as string, {
  vad: false,
  intraOpThreads: threads,
  interOpThreads: 1,
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { files, beamSize } = JSON.parse(line) as { files: string[]; beamSize: number };
  const t = performance.now();
  const texts: string[] = [];
  for (const f of files) {
    const r = await stt.transcribe(f, { language: 'en', beamSize, temperature: 0 });
    texts.push(r.text.trim());
  }
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t, texts })}\n`);
}
await stt.unload();
