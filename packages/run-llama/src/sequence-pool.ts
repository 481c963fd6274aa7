import { AbortedError } from '@llama-pajamas/run-core';

/**
 * A fixed set of items (context sequences) lent one request at a time; `acquire` waits, in FIFO order, for a
 * free one and gives up when its signal aborts.
 */
export class Pool<T> {
  private readonly free: T[];
  private readonly waiting: { resolve: (item: T) => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly items: readonly T[]) {
    this.free = [...items];
  }

  /** Items free now. */
  get available(): number {
    return this.free.length;
  }

  /** Takes a free item, waiting for one when all are lent. */
  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
    const item = this.free.pop();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const entry = {
        resolve: (it: T) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(it);
        },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError(undefined, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** Gives an item back (to the longest waiter, if any). */
  release(item: T): void {
    const next = this.waiting.shift();
    if (next) next.resolve(item);
    else this.free.push(item);
  }
}
