import type { Worker } from 'node:worker_threads';
import { invalidParameter } from '../errors.js';
import { WorkerExitedError } from './errors.js';
import {
  STREAM_INPUT_METHODS,
  type CallbackMarker,
  type FromWorker,
  type HostedInfo,
  type HostedKind,
  type ToWorker,
  type WorkerLoadSpec,
} from './protocol.js';
import { spawn } from './spawn.js';
import { fromWireError, registerErrorClasses, toWireError } from './wire.js';

/** Options of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  /** Worker threads, each with its own copy of the model (1-64). */
  readonly workers: number;
  /**
   * Node options of each worker (default: the source condition in a source checkout, else the parent's own less
   * `--eval`/`--print`/`--input-type`).
   */
  readonly execArgv?: readonly string[];
}

/** How busy a pool is, as `/health` shows it. */
export interface WorkerPoolStats {
  /** Workers alive. */
  readonly workers: number;
  /** Workers running a call now. */
  readonly busy: number;
  /** Calls waiting for an idle worker. */
  readonly queued: number;
  /** Workers that ended unexpectedly and were replaced since the start. */
  readonly restarts: number;
}

/** One call as the main thread tracks it. */
interface Job {
  readonly method: string;
  readonly args: unknown[];
  readonly stream: boolean;
  readonly signal?: AbortSignal;
  readonly callbacks: Readonly<Record<string, (...args: unknown[]) => void>>;
  /** The input chunks of a streaming-input call. */
  readonly input?: AsyncIterator<unknown>;
  onItem?: (value: unknown) => void;
  onDone: (value: unknown) => void;
  onError: (error: Error) => void;
  /** Set once sent to a worker. */
  slot?: Slot;
  id?: number;
  onAbort?: () => void;
}

interface Slot {
  readonly worker: Worker;
  job?: Job;
}

registerErrorClasses([WorkerExitedError]);

let nextId = 1;

/** Replaces functions of an options object with markers; returns the copyable options and the callbacks. */
function splitOptions(options: unknown): {
  options: unknown;
  signal?: AbortSignal;
  callbacks: Record<string, (...args: unknown[]) => void>;
} {
  const callbacks: Record<string, (...args: unknown[]) => void> = {};
  if (options === null || typeof options !== 'object') return { options, callbacks };
  const out: Record<string, unknown> = {};
  let signal: AbortSignal | undefined;
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    if (key === 'signal' && value instanceof AbortSignal) signal = value;
    else if (typeof value === 'function') {
      callbacks[key] = value as (...args: unknown[]) => void;
      out[key] = { __callback: key } satisfies CallbackMarker;
    } else if (value !== undefined) out[key] = value;
  }
  return { options: out, ...(signal ? { signal } : {}), callbacks };
}

/**
 * A model loaded in N worker threads, one copy each. {@link call} and {@link stream} run a backend method on an
 * idle worker (FIFO when all are busy); a worker that ends unexpectedly rejects its call with
 * `ERR_RUN_WORKER_EXITED` and is replaced. Used by {@link loadInWorkers}'s backends; not usually made directly.
 */
export class WorkerPool {
  readonly kind: HostedKind;
  readonly spec: WorkerLoadSpec;
  /** The hosted backend's id and fields, from the first worker. */
  readonly info: HostedInfo;
  readonly #slots: Slot[] = [];
  readonly #waiting: Job[] = [];
  readonly #execArgv: readonly string[] | undefined;
  #restarts = 0;
  #closed = false;
  #replaceError: Error | undefined;

  private constructor(kind: HostedKind, spec: WorkerLoadSpec, info: HostedInfo, execArgv?: readonly string[]) {
    this.kind = kind;
    this.spec = spec;
    this.info = info;
    this.#execArgv = execArgv;
  }

  /**
   * Starts `options.workers` workers and waits until each has loaded the model; a load failure terminates them
   * all and rejects with the loader's own error (rebuilt as the same class).
   */
  static async start(kind: HostedKind, spec: WorkerLoadSpec, options: WorkerPoolOptions): Promise<WorkerPool> {
    const n = options.workers;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw invalidParameter('workers', 'an integer from 1 to 64', n);
    const started = await Promise.allSettled(Array.from({ length: n }, () => spawn(kind, spec, options.execArgv)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(
        started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : Promise.resolve(0))),
      );
      throw failed.reason;
    }
    const ok = started as PromiseFulfilledResult<{ worker: Worker; info: HostedInfo }>[];
    const first = ok[0];
    if (!first) throw invalidParameter('workers', 'at least 1', n);
    const pool = new WorkerPool(kind, spec, first.value.info, options.execArgv);
    for (const s of ok) pool.#adopt(s.value.worker);
    return pool;
  }

  /** Workers alive, busy and calls waiting. */
  get stats(): WorkerPoolStats {
    return {
      workers: this.#slots.length,
      busy: this.#slots.filter((s) => s.job).length,
      queued: this.#waiting.length,
      restarts: this.#restarts,
    };
  }

  /** Runs `method(...args)` on an idle worker; the last argument's functions and `signal` are proxied. */
  call<T>(method: string, args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#submit(method, args, false, {
        onDone: (v) => resolve(v as T),
        onError: reject,
      });
    });
  }

  /** Runs a streaming method on an idle worker; its items arrive as they come, at most a few ahead of the reader. */
  stream<T>(method: string, args: unknown[]): AsyncIterable<T> {
    const items: T[] = [];
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    let job: Job | undefined;
    const ping = (): void => {
      wake?.();
      wake = undefined;
    };
    const submit = this.#submit.bind(this);
    const post = this.#post.bind(this);
    const cancel = this.#cancel.bind(this);
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<T> {
        job = submit(method, args, true, {
          onItem: (v) => {
            items.push(v as T);
            ping();
          },
          onDone: () => {
            finished = true;
            ping();
          },
          onError: (e) => {
            failure = e;
            ping();
          },
        });
        try {
          for (;;) {
            if (items.length > 0) {
              const item = items.shift() as T;
              post(job, { type: 'ack', id: job.id ?? 0 });
              yield item;
              continue;
            }
            if (failure) throw failure;
            if (finished) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          // The reader stopped early (break, or an error in its loop): stop the worker's call too.
          if (!finished && !failure) cancel(job);
        }
      },
    };
  }

  /** Terminates every worker; calls running or waiting reject with `ERR_RUN_WORKER_EXITED`. */
  async terminate(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    const unloaded = (threadId: number, inFlight: number): WorkerExitedError =>
      new WorkerExitedError({
        model: this.info.modelId,
        threadId,
        reason: 'the model was unloaded',
        inFlight,
        unloaded: true,
      });
    for (const job of this.#waiting.splice(0)) job.onError(unloaded(-1, 0));
    for (const slot of slots) {
      const job = slot.job;
      slot.job = undefined;
      if (job) job.onError(unloaded(slot.worker.threadId, 1));
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #submit(
    method: string,
    args: unknown[],
    stream: boolean,
    handlers: Pick<Job, 'onDone' | 'onError'> & { onItem?: (value: unknown) => void },
  ): Job {
    const rest = [...args];
    const split = splitOptions(rest[1]);
    if (rest.length > 1) rest[1] = split.options;
    let input: AsyncIterator<unknown> | undefined;
    if (STREAM_INPUT_METHODS.includes(method)) {
      input = (rest[0] as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      rest[0] = null;
    }
    const job: Job = {
      method,
      args: rest,
      stream,
      ...(split.signal ? { signal: split.signal } : {}),
      callbacks: split.callbacks,
      ...(input ? { input } : {}),
      ...handlers,
    };
    const signal = job.signal;
    if (signal?.aborted) {
      job.onError(abortReason(signal));
      return job;
    }
    if (this.#closed || this.#slots.length === 0) {
      job.onError(
        this.#replaceError ??
          new WorkerExitedError({
            model: this.info.modelId,
            threadId: -1,
            reason: 'no worker is running',
            inFlight: 0,
          }),
      );
      return job;
    }
    if (signal) {
      job.onAbort = () => {
        const i = this.#waiting.indexOf(job);
        if (i >= 0) {
          this.#waiting.splice(i, 1);
          job.onError(abortReason(signal));
        } else if (job.slot) {
          this.#post(job, { type: 'abort', id: job.id ?? 0, reason: toWireError(signal.reason) });
        }
      };
      signal.addEventListener('abort', job.onAbort, { once: true });
    }
    this.#waiting.push(job);
    this.#dispatch();
    return job;
  }

  #cancel(job: Job): void {
    const i = this.#waiting.indexOf(job);
    if (i >= 0) this.#waiting.splice(i, 1);
    else if (job.slot) this.#post(job, { type: 'abort', id: job.id ?? 0 });
    void job.input?.return?.();
  }

  #post(job: Job, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (job.slot?.job === job) job.slot.worker.postMessage(message, transfer);
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job) continue;
      const job = this.#waiting.shift();
      if (!job) return;
      slot.job = job;
      job.slot = slot;
      job.id = nextId++;
      slot.worker.ref();
      try {
        slot.worker.postMessage({
          type: 'call',
          id: job.id,
          method: job.method,
          args: job.args,
          stream: job.stream,
          signal: job.signal !== undefined,
        } satisfies ToWorker);
      } catch (error) {
        // The arguments cannot be copied to a thread (a function inside an input, for example).
        this.#finish(slot, job);
        job.onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #finish(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    slot.job = undefined;
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    slot.worker.unref();
    this.#dispatch();
  }

  #adopt(worker: Worker): void {
    const slot: Slot = { worker };
    this.#slots.push(slot);
    worker.unref();
    let uncaught: string | undefined;
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      uncaught = error instanceof Error ? error.message : String(error);
    });
    worker.on('exit', (exitCode) => this.#onExit(slot, exitCode, uncaught));
    this.#dispatch();
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    const job = slot.job;
    if (!job || !('id' in message) || message.id !== job.id) return;
    switch (message.type) {
      case 'result':
        this.#finish(slot, job);
        job.onDone(message.value);
        break;
      case 'done':
        this.#finish(slot, job);
        job.onDone(undefined);
        break;
      case 'error':
        this.#finish(slot, job);
        job.onError(fromWireError(message.error));
        break;
      case 'item':
        job.onItem?.(message.value);
        break;
      case 'callback':
        try {
          job.callbacks[message.name]?.(...message.args);
        } catch {
          // A caller's callback that throws is ignored: the call goes on in the worker and its result comes back.
        }
        break;
      case 'need':
        void this.#feed(job);
        break;
    }
  }

  /** Sends the next input chunk of a streaming-input call (one per `need`: bounded). */
  async #feed(job: Job): Promise<void> {
    const input = job.input;
    if (!input) return;
    try {
      const next = await input.next();
      if (next.done) this.#post(job, { type: 'end', id: job.id ?? 0 });
      else this.#post(job, { type: 'chunk', id: job.id ?? 0, value: next.value });
    } catch (error) {
      this.#post(job, { type: 'input-error', id: job.id ?? 0, error: toWireError(error) });
    }
  }

  #onExit(slot: Slot, exitCode: number, uncaught: string | undefined): void {
    const i = this.#slots.indexOf(slot);
    if (i < 0) return; // terminated by terminate()
    this.#slots.splice(i, 1);
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
      job.onError(
        new WorkerExitedError({
          model: this.info.modelId,
          threadId: slot.worker.threadId,
          exitCode,
          ...(uncaught ? { reason: uncaught } : {}),
        }),
      );
    }
    if (this.#closed) return;
    this.#restarts++;
    spawn(this.kind, this.spec, this.#execArgv).then(
      ({ worker }) => {
        if (this.#closed) void worker.terminate();
        else this.#adopt(worker);
      },
      (error: unknown) => {
        this.#replaceError = error instanceof Error ? error : new Error(String(error));
        if (this.#slots.length === 0) for (const j of this.#waiting.splice(0)) j.onError(this.#replaceError);
      },
    );
  }
}

/** The error a call rejects with when its signal aborted before it reached a worker. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : fromWireError(toWireError(reason ?? 'aborted'));
}
