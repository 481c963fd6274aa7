import { ModelNotLoadedError } from '../errors.js';

/** What every backend shares: a model id, and explicit load/unload. */
export abstract class ModelBackend implements AsyncDisposable {
  /** A short id for the model (folder or file name unless given). */
  abstract readonly modelId: string;
  /** Whether the model is loaded and ready. */
  abstract get isLoaded(): boolean;
  /** Loads the model (idempotent). */
  abstract load(): Promise<void>;
  /** Frees the model's memory (idempotent); `load()` brings it back. */
  abstract unload(): Promise<void>;

  /** Throws {@link ModelNotLoadedError} unless loaded. */
  protected assertLoaded(): void {
    if (!this.isLoaded) {
      throw new ModelNotLoadedError(`Model '${this.modelId}' is not loaded. Call load() first.`, {
        details: { model: this.modelId },
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.unload();
  }
}
