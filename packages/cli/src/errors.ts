import { RunError } from '@llama-pajamas/run-core';

/** Error codes the `llama-pajamas` command raises itself (each has a row in docs/errors.md). */
export const CLI_ERROR_CODES = ['ERR_RUN_CLI_INPUT_FETCH'] as const;

/** An http(s) input given to a one-shot command could not be downloaded. */
export class InputFetchError extends RunError {
  override name = 'InputFetchError';
  constructor(url: string, why: string, options: { cause?: unknown } = {}) {
    super(
      'ERR_RUN_CLI_INPUT_FETCH',
      `Could not download ${url}: ${why}. Check the URL, or download the file and pass its path.`,
      { ...options, details: { url } },
    );
  }
}
