import { readFile } from 'node:fs/promises';
import { ModelJsonInvalidError, ModelNotFoundError } from '../errors.js';

/** Options of {@link readJsonFile}. */
export interface ReadJsonFileOptions {
  /** When false, a missing file gives `undefined` instead of an error (default true). */
  readonly required?: boolean;
  /** What the file is, for the not-found message (default `JSON file`). */
  readonly what?: string;
}

/**
 * Reads and parses a model's JSON file (config, manifest, tokenizer). One code per failure: a missing or
 * unreadable required file is `ERR_RUN_MODEL_NOT_FOUND`, invalid JSON is {@link ModelJsonInvalidError}
 * (`ERR_RUN_MODEL_UNRECOGNIZED`).
 * @example
 * const config = await readJsonFile('models/vit/config.json');
 * const generation = await readJsonFile('models/whisper/generation_config.json', { required: false }); // undefined
 */
export async function readJsonFile(path: string, options: ReadJsonFileOptions = {}): Promise<unknown> {
  const { required = true, what = 'JSON file' } = options;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelNotFoundError({ path, what, reason: (e as Error).message }, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelJsonInvalidError({ path, reason: (e as Error).message }, { cause: e });
  }
}
