/**
 * @llama-pajamas/run-core/workers — models hosted in worker threads: {@link loadInWorkers} loads N copies of a
 * model, each in its own thread, behind one `STTBackend`/`TTSBackend`/`VisionBackend`.
 */
export * from './workers/backends.js';
export { WorkerExitedError, type WorkerExitedArgs } from './workers/errors.js';
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats } from './workers/pool.js';
export type { HostedKind, WorkerLoadSpec } from './workers/protocol.js';
export { fromWireError, registerErrorClasses, toWireError, type WireError } from './workers/wire.js';
