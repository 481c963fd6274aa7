/**
 * Persistent TTS worker for tools/bench/peers/tts.mjs (ours): reads one JSON request per stdin line,
 * `{ "text": "…" }`, and answers one JSON line `{ "firstMs", "totalMs", "samples", "phonemizeMs", "ortMs",
 * "firstOrtMs", "cpuMs" }`: time to the first streamed sentence and to the last one, measured inside the worker, and the
 * time spent in the phonemizer and in onnxruntime's `InferenceSession.run` (the rest is everything else), and the process's CPU time for the request.
 * Env: BENCH_VOICE, BENCH_THREADS.
 */
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { selectPhonemizer } from '../../../packages/run-core/src/families.js';
import { loadTextToSpeech } from '../../../packages/run-onnx/src/index.js';

const voice = process.env.BENCH_VOICE as string;
const threads = Number(process.env.BENCH_THREADS ?? 1);
const phases = { phonemizeMs: 0, ortMs: 0, runs: 0, firstOrtMs: 0 };

// onnxruntime-node as run-onnx resolves it (the same module instance), its `run` timed.
const ort = createRequire(new URL('../../../packages/run-onnx/package.json', import.meta.url))('onnxruntime-node') as {
  InferenceSession: { prototype: { run: (...args: unknown[]) => Promise<unknown> } };
};
const run = ort.InferenceSession.prototype.run;
ort.InferenceSession.prototype.run = async function timedRun(this: unknown, ...args: unknown[]) {
  const t = performance.now();
  try {
    return await run.apply(this, args);
  } finally {
    const ms = performance.now() - t;
    phases.ortMs += ms;
    if (phases.runs++ === 0) phases.firstOrtMs = ms;
  }
};
const base = await selectPhonemizer('auto');
const phonemizer = {
  name: base.name,
  async phonemize(text: string, espeakVoice: string): Promise<string[]> {
    const t = performance.now();
    try {
      return await base.phonemize(text, espeakVoice);
    } finally {
      phases.phonemizeMs += performance.now() - t;
    }
  },
};
const tts = await loadTextToSpeech(voice, { intraOpThreads: threads, interOpThreads: 1, phonemizer });
await tts.synthesize('Warm up.');
process.stdout.write(`${JSON.stringify({ ready: true, phonemizer: tts.phonemizerName })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { text } = JSON.parse(line) as { text: string };
  Object.assign(phases, { phonemizeMs: 0, ortMs: 0, runs: 0, firstOrtMs: 0 });
  const cpu = process.cpuUsage();
  const t = performance.now();
  let firstMs = 0;
  let samples = 0;
  for await (const chunk of tts.synthesizeStreaming(text)) {
    if (chunk.index === 0) firstMs = performance.now() - t;
    samples += chunk.samples.length;
  }
  const totalMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  process.stdout.write(`${JSON.stringify({ firstMs, totalMs, cpuMs, samples, ...phases })}\n`);
}
await tts.unload();
