/**
 * Persistent speech-to-text worker for tools/bench/peers/stt.mjs (ours): one JSON request per stdin line, one JSON
 * answer per line, timed inside the worker.
 * - `{ "files": […], "beamSize": 5 }` → `{ "ms", "cpuMs", "texts", "phases" }`: wall time of transcribing the files
 *   one after the other (decode, log-mel, encoder, decoder), this process's CPU time, and the per-phase counters
 *   (`encoderMs`, `decoderMs`: wall time inside the encoder and decoder runs; `decoderRuns`).
 * - `{ "vad": file, "options": {…} }` → `{ "ms", "cpuMs", "regions" }`: the Silero VAD that `transcribe` uses
 *   (run-onnx's default model), alone, on the file's 16 kHz samples (decoded before the clock starts).
 * Env: BENCH_MODEL, BENCH_THREADS, BENCH_ENCODER_ATTENTION.
 */
import { createInterface } from 'node:readline';
import { loadAudio, type InferenceSession, type Tensor } from '../../../packages/run-core/src/index.js';
import { loadSpeechToText, loadVad } from '../../../packages/run-onnx/src/index.js';

const threads = Number(process.env.BENCH_THREADS ?? 1);
const stt = await loadSpeechToText(process.env.BENCH_MODEL as string, {
  vad: false,
  intraOpThreads: threads,
  interOpThreads: 1,
  // BENCH_ENCODER_ATTENTION=float: the int8 encoder as exported (by default its self-attention is fused, docs/speech.md).
  ...(process.env.BENCH_ENCODER_ATTENTION === 'float' ? { rewriteGraph: { encoderAttention: 'float' } } : {}),
});
const vad = await loadVad(undefined, { intraOpThreads: 1, interOpThreads: 1 });
const phases = { encoderMs: 0, decoderMs: 0, decoderRuns: 0 };
// Per-phase counters: the pipeline's own sessions, timed around each run (a bench-only look inside the runner).
const sessions = (stt.pipeline.runner as unknown as { sessions: Record<string, InferenceSession | undefined> })
  .sessions;
for (const [name, session] of Object.entries(sessions)) {
  if (!session) continue;
  const run = session.run.bind(session);
  session.run = async (feeds: Record<string, Tensor>, options) => {
    const t = performance.now();
    try {
      return await run(feeds, options);
    } finally {
      if (name === 'encoder') phases.encoderMs += performance.now() - t;
      else {
        phases.decoderMs += performance.now() - t;
        phases.decoderRuns++;
      }
    }
  };
}
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const req = JSON.parse(line) as { files?: string[]; beamSize?: number; vad?: string; options?: object };
  if (req.vad) {
    const pcm = await loadAudio(req.vad, { sampleRate: 16000 });
    const c = process.cpuUsage();
    const t = performance.now();
    const regions = await vad.detectSpeech(pcm, req.options ?? {});
    process.stdout.write(`${JSON.stringify({ ms: performance.now() - t, cpuMs: cpuMs(c), regions })}\n`);
    continue;
  }
  Object.assign(phases, { encoderMs: 0, decoderMs: 0, decoderRuns: 0 });
  const c = process.cpuUsage();
  const t = performance.now();
  const texts: string[] = [];
  for (const f of req.files ?? []) {
    const r = await stt.transcribe(f, { language: 'en', beamSize: req.beamSize ?? 1, temperature: 0 });
    texts.push(r.text.trim());
  }
  const ms = performance.now() - t;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: cpuMs(c), texts, phases })}\n`);
}
await Promise.all([stt.unload(), vad.dispose()]);
