import { ApiError } from './errors.js';

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Jobs that run at the same time (default 1). */
  concurrency?: number;
  /** Jobs that may wait; one more is refused with 429 (default 16). */
  maxQueue?: number;
}

interface Waiting {
  start: () => void;
  reject: (error: unknown) => void;
}

/**
 * A bounded FIFO in front of one backend: `concurrency` jobs run, `maxQueue` wait, and the next one is refused with
 * a 429 {@link ApiError} that carries a `Retry-After` estimated from recent job times.
 */
export class WorkQueue {
  readonly concurrency: number;
  readonly maxQueue: number;
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private avgMs = 100;

  constructor(options: WorkQueueOptions = {}) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 16));
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a job would have to wait. */
  get busy(): boolean {
    return this.running >= this.concurrency;
  }

  /** Throws the 429 error when one more waiting job would not fit (`extra` counts jobs about to be added). */
  assertRoom(extra = 1): void {
    if (this.running + this.waiting.length + extra > this.concurrency + this.maxQueue) {
      const seconds = Math.max(1, Math.ceil(((this.waiting.length + 1) * this.avgMs) / this.concurrency / 1000));
      throw new ApiError(
        429,
        `The server is busy: ${this.running} requests are running and ${this.waiting.length} are waiting for this model (limit ${this.maxQueue}). Retry after ${seconds} s.`,
        { type: 'rate_limit_error', code: 'rate_limit_exceeded', headers: { 'retry-after': String(seconds) } },
      );
    }
  }

  /** Runs `job` when a slot is free; rejects with 429 when the queue is full, or with `signal`'s reason. */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.assertRoom();
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve, reject) => {
        const entry: Waiting = {
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject,
        };
        const onAbort = (): void => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal?.reason as Error);
        };
        if (signal?.aborted) return reject(signal.reason as Error);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      });
    } else {
      this.running++;
    }
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.avgMs = this.avgMs * 0.8 + (performance.now() - t0) * 0.2;
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running--;
    }
  }
}
