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
