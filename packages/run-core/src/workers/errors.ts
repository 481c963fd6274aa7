import { RunError, type RunErrorOptions } from '../errors.js';

/** Typed arguments of {@link WorkerExitedError}. */
export interface WorkerExitedArgs {
  /** The hosted model's id. */
  readonly model: string;
  /** The worker's thread id. */
  readonly threadId: number;
  /** Its exit code (`process.exit(n)` in the worker, 1 after an uncaught error). */
  readonly exitCode?: number;
  /** The uncaught error's message, when one ended it. */
  readonly reason?: string;
  /** Calls that were running on it and are rejected with this error. */
  readonly inFlight?: number;
  /** `unload()` ended it (nothing to retry until `load()`). */
  readonly unloaded?: boolean;
}

/**
 * A model worker thread ended while a call ran on it (an uncaught error, a native crash it survived, or
 * `process.exit` in the worker); the pool replaces it. Also thrown for calls made after `unload()` terminated the
 * workers while they waited.
 */
export class WorkerExitedError extends RunError {
  override name = 'WorkerExitedError';
  constructor(args: WorkerExitedArgs, options: RunErrorOptions = {}) {
    super(
      'ERR_RUN_WORKER_EXITED',
      `The worker thread ${args.threadId} hosting model '${args.model}' ended${args.exitCode !== undefined ? ` with exit code ${args.exitCode}` : ''}${args.reason ? ` (${args.reason})` : ''} while ${args.inFlight ?? 1} call(s) ran on it. ` +
        (args.unloaded
          ? 'The model was unloaded: call load() before using it again.'
          : 'The pool starts a new worker: retry the call. If it happens again, run the model in-process (no `workers`) to see the error.'),
      {
        ...options,
        details: { model: args.model, threadId: args.threadId, exitCode: args.exitCode, ...options.details },
      },
    );
  }
}
