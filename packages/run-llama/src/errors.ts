import { RunError, type RunErrorOptions } from '@llama-pajamas/run-core';

/** Error codes of run-llama itself (chat-model errors shared by every runtime are run-core's `LLM_ERROR_CODES`). */
export const LLAMA_ERROR_CODES = ['ERR_RUN_LLAMA_MODEL_LOAD', 'ERR_RUN_LLAMA_RUNTIME'] as const;

/** One of {@link LLAMA_ERROR_CODES}. */
export type LlamaErrorCode = (typeof LLAMA_ERROR_CODES)[number];

/** node-llama-cpp could not open the file as a GGUF model (not a GGUF, truncated, or an unknown architecture). */
export class LlamaModelLoadError extends RunError {
  override name = 'LlamaModelLoadError';
  constructor(facts: { path: string; reason: string }, options: RunErrorOptions = {}) {
    super(
      'ERR_RUN_LLAMA_MODEL_LOAD',
      `Could not load '${facts.path}' as a GGUF chat model: ${facts.reason}. Expected a complete .gguf file of an architecture llama.cpp supports (check the download, or convert the model with llama.cpp's convert_hf_to_gguf.py).`,
      { ...options, details: { ...facts, ...options.details } },
    );
  }
}

/** node-llama-cpp's native binary could not start (no prebuilt binary for this platform). */
export class LlamaRuntimeError extends RunError {
  override name = 'LlamaRuntimeError';
  constructor(facts: { reason: string }, options: RunErrorOptions = {}) {
    super(
      'ERR_RUN_LLAMA_RUNTIME',
      `node-llama-cpp could not start its prebuilt llama.cpp binary: ${facts.reason}. run-llama never compiles llama.cpp; install node-llama-cpp's prebuilt package for this platform (@node-llama-cpp/${process.platform}-${process.arch}), e.g. with 'pnpm install --include=optional'.`,
      { ...options, details: { ...facts, ...options.details } },
    );
  }
}
