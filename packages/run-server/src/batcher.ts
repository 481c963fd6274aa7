import type { WorkQueue } from './queue.js';

interface Pending<I, R> {
  input: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

interface Group<I, O, R> {
  options: O;
  pending: Pending<I, R>[];
}

/**
 * Micro-batching in front of a {@link WorkQueue}, one per model and task: single requests with the same options
 * that arrive while the backend is busy are run together in one `batch` call (e.g. `VisionBackend.batchDetect`)
 * when it frees up. Requests are grouped by their options (as JSON); a group is dropped as soon as its last request
 * has been taken, so client-chosen options (confidence, zero-shot labels) leave nothing behind. With a queue
 * concurrency above 1, waiting requests are split evenly between the slots as they free up.
 */
export class MicroBatcher<I, O, R> {
  private readonly groups = new Map<string, Group<I, O, R>>();
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly queue: WorkQueue,
    private readonly maxBatch: number,
    private readonly batch: (inputs: I[], options: O) => Promise<R[]>,
  ) {}

  /** True when no request waits and no batch is scheduled (a batch may still be running). */
  get idle(): boolean {
    return this.groups.size === 0 && this.scheduled.size === 0;
  }

  /** Option sets with requests waiting now. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Adds one input to the group of requests with the same `options` and resolves with its own result. */
  submit(input: I, options: O, signal?: AbortSignal): Promise<R> {
    const key = JSON.stringify(options) ?? '';
    const group = this.groups.get(key) ?? { options, pending: [] };
    // Requests that join a batch already scheduled do not need a queue slot of their own.
    if (!this.scheduled.has(key) || group.pending.length >= this.maxBatch) this.queue.assertRoom();
    return new Promise<R>((resolve, reject) => {
      // The abort listener holds the input (the image bytes): remove it once the request settles.
      const onAbort = (): void => {
        const g = this.groups.get(key)?.pending;
        const i = g?.indexOf(entry) ?? -1;
        if (g && i >= 0) {
          g.splice(i, 1);
          reject(signal?.reason as Error);
        }
      };
      const entry: Pending<I, R> = {
        input,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      group.pending.push(entry);
      this.groups.set(key, group);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!this.scheduled.has(key)) this.schedule(key, signal);
    });
  }

  private schedule(key: string, signal?: AbortSignal): void {
    this.scheduled.add(key);
    this.queue
      .run(async () => {
        this.scheduled.delete(key);
        const group = this.groups.get(key);
        if (!group) return;
        // With more than one slot, take an even share of what waits so that the next free slot gets the rest now
        // instead of idling while one slot works through a long batch (one image at a time on batch-1 models).
        const share = Math.ceil(group.pending.length / Math.max(1, this.queue.concurrency));
        const take = group.pending.splice(0, Math.min(this.maxBatch, share));
        if (group.pending.length > 0) this.schedule(key);
        else this.groups.delete(key);
        if (take.length === 0) return;
        try {
          const results = await this.batch(
            take.map((p) => p.input),
            group.options,
          );
          take.forEach((p, i) => p.resolve(results[i] as R));
        } catch (error) {
          for (const p of take) p.reject(error);
        }
      }, signal)
      .catch((error: unknown) => {
        // The slot was refused or the first request gave up while waiting: fail the group's waiting members only
        // if nobody else will run them.
        this.scheduled.delete(key);
        const pending = this.groups.get(key)?.pending ?? [];
        if (signal?.aborted && pending.length > 0) {
          this.schedule(key);
          return;
        }
        this.groups.delete(key);
        for (const p of pending) p.reject(error);
      });
  }
}
