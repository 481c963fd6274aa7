import { AbortedError, type GenerationOptions } from '@llama-pajamas/run-core';

/** A push-to-pull bridge: callbacks `push` values, a `for await` loop takes them in order. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  /** Adds a value (ignored after `end()`/`fail()`). */
  push(value: T): void {
    if (this.ended) return;
    this.items.push(value);
    this.wake();
  }

  /** Ends the stream after the values already pushed. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Ends the stream with an error, thrown after the values already pushed. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift() as T;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * Runs `job` with its own abort signal and hands its pushed deltas to a `for await` loop; leaving the loop early
 * (a client that disconnects) aborts the generation and frees its sequence before the loop returns.
 */
export function streamJob<D>(
  options: GenerationOptions,
  job: (signal: AbortSignal, push: (d: D) => void) => Promise<void>,
): AsyncIterable<D> {
  return {
    [Symbol.asyncIterator]: () => {
      const controller = new AbortController();
      const outer = options.signal;
      const onAbort = (): void => controller.abort(outer?.reason);
      if (outer?.aborted) controller.abort(outer.reason);
      else outer?.addEventListener('abort', onAbort, { once: true });
      const queue = new AsyncQueue<D>();
      const running = job(controller.signal, (d) => queue.push(d)).then(
        () => queue.end(),
        (e: unknown) => queue.fail(e),
      );
      const it = queue[Symbol.asyncIterator]();
      const finish = async (): Promise<void> => {
        outer?.removeEventListener('abort', onAbort);
        if (!controller.signal.aborted) controller.abort(new AbortedError('The stream was closed by its reader.'));
        await running;
      };
      return {
        next: async () => {
          try {
            const r = await it.next();
            if (r.done) outer?.removeEventListener('abort', onAbort);
            return r;
          } catch (e) {
            outer?.removeEventListener('abort', onAbort);
            throw e;
          }
        },
        return: async () => {
          await finish();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
