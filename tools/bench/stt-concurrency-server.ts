/**
 * One `llama-pajamas serve`-like server for tools/bench/stt-concurrency.mjs: a Whisper model on onnxruntime behind
 * run-server on loopback. Prints `{ ready, url }`; then answers each stdin line with `{ cpuMs, waitMs, verdict }` (its
 * own CPU time so far, the time its threads waited for a CPU so far, and what batchTranscribe's check found). Env: BENCH_MODEL, BENCH_DTYPE, BENCH_THREADS (intra-op,
 * inter-op 1), BENCH_MICROBATCH (`off` disables micro-batching), BENCH_BATCH_MODE (verify|always|never),
 * BENCH_VAD (`off`), BENCH_DEFAULTS (JSON transcription defaults, e.g. a fixed token count), BENCH_WORKERS (N > 0:
 * the model hosted in N worker threads of BENCH_THREADS intra-op threads each, as `serve --workers N`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { WhisperBatchMode } from '../../packages/run-core/src/families.js';
import { loadSpeechToText, loadSpeechToTextInWorkers } from '../../packages/run-onnx/src/index.js';
import { createMultimodalApp } from '../../packages/run-server/src/index.js';

/** ms this process's threads (worker threads included) spent runnable but waiting for a CPU (schedstat field 2). */
function runQueueWaitMs(): number {
  let ns = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

const threads = Number(process.env.BENCH_THREADS ?? 2);
const workers = Number(process.env.BENCH_WORKERS ?? 0);
const options = {
  ...(process.env.BENCH_DTYPE ? { dtype: process.env.BENCH_DTYPE as 'int8' } : {}),
  intraOpThreads: threads,
  interOpThreads: 1,
  ...(process.env.BENCH_VAD === 'off' ? { vad: false } : {}),
  ...(process.env.BENCH_DEFAULTS ? { defaults: JSON.parse(process.env.BENCH_DEFAULTS) as object } : {}),
};
const model = process.env.BENCH_MODEL as string;
const inProcess = workers > 0 ? undefined : await loadSpeechToText(model, options);
const stt = inProcess ?? (await loadSpeechToTextInWorkers(model, { ...options, workers }));
if (process.env.BENCH_BATCH_MODE && inProcess)
  inProcess.pipeline.batchMode = process.env.BENCH_BATCH_MODE as WhisperBatchMode;
const app = await createMultimodalApp({
  stt: { whisper: stt },
  options: { microBatch: process.env.BENCH_MICROBATCH !== 'off', maxQueue: 256, requestTimeoutMs: 600_000 },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ ready: true, url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const u = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (u.user + u.system) / 1000, waitMs: runQueueWaitMs(), verdict: inProcess ? inProcess.pipeline.batchVerdict : `${workers} workers` })}\n`,
  );
}
await app.close();
await stt.unload();
