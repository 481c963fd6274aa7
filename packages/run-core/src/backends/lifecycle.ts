/** How a {@link ModelLifecycle} opens and frees what a backend holds while loaded (sessions and pipelines). */
export interface LifecycleHooks<T> {
  /** Opens the sessions and builds what the backend runs on; called by `load()` (again after `unload()`). */
  open: () => Promise<T>;
  /** Frees what `open` returned. */
  close: (value: T) => Promise<void>;
  /** Already open (a loader opened it to recognise the model): the lifecycle starts loaded. */
  initial?: T;
}

/**
 * The load/unload state machine every {@link ModelBackend} shares. Calls take effect in the order they are made:
 * concurrent `load()` calls share one `open()`; `unload()` during a load waits for it and then frees what it
 * opened (nothing leaks); `load()` after `unload()` opens again once the unload is done. A failed `open()` rejects
 * every waiting `load()` and leaves the backend unloaded.
 * @example
 * const life = new ModelLifecycle({ open: () => openSessions(), close: (s) => s.dispose() });
 * await Promise.all([life.load(), life.load()]); // one open()
 * life.value; // the opened sessions
 * await life.unload(); // life.value === undefined
 */
export class ModelLifecycle<T> {
  readonly #open: () => Promise<T>;
  readonly #close: (value: T) => Promise<void>;
  #value: T | undefined;
  /** Settles after the last queued load or unload. */
  #tail: Promise<void> = Promise.resolve();
  /** A queued load that no unload has been queued after: a new `load()` joins it. */
  #pendingLoad: Promise<void> | undefined;
  /** Loads and unloads queued and not finished. */
  #queued = 0;

  constructor(hooks: LifecycleHooks<T>) {
    this.#open = hooks.open;
    this.#close = hooks.close;
    this.#value = hooks.initial;
  }

  /** What `open()` returned, while loaded (undefined before `load()`, and from the moment `unload()` begins). */
  get value(): T | undefined {
    return this.#value;
  }

  /** Whether loaded. */
  get isLoaded(): boolean {
    return this.#value !== undefined;
  }

  /** Opens unless loaded (idempotent); concurrent calls share one `open()`. */
  load(): Promise<void> {
    if (this.#value !== undefined && this.#queued === 0) return Promise.resolve();
    if (this.#pendingLoad) return this.#pendingLoad;
    const run = this.#enqueue(async () => {
      if (this.#value === undefined) this.#value = await this.#open();
    });
    this.#pendingLoad = run;
    const clear = (): void => {
      if (this.#pendingLoad === run) this.#pendingLoad = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  /** Frees what is open (idempotent), after any load in flight has finished. */
  unload(): Promise<void> {
    this.#pendingLoad = undefined;
    const take = (): T | undefined => {
      const value = this.#value;
      this.#value = undefined;
      return value;
    };
    // With nothing in flight, the value goes now, so that calls made meanwhile fail fast.
    const now = this.#queued === 0 ? take() : undefined;
    return this.#enqueue(async () => {
      const value = now ?? take();
      if (value !== undefined) await this.#close(value);
    });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#queued++;
    const run = this.#tail.then(task).finally(() => {
      this.#queued--;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
