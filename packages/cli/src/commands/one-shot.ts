import { readFile, writeFile } from 'node:fs/promises';
import { defaultCatalogEntry, MODEL_DTYPES, type ModelDtype, type ModelTask } from '@llama-pajamas/models';
import { InvalidArgumentError } from 'commander';
import { createModelResolver } from '../model-refs.js';

/** Most bytes a one-shot command reads from a file or URL. */
export const MAX_INPUT_BYTES = 200 * 1024 * 1024;
const URL_TIMEOUT_MS = 60_000;

/** A file path or an http(s) URL → its bytes (URLs fetched with a time and size limit). */
export async function readInput(input: string): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(input)) {
    const res = await fetch(input, { signal: AbortSignal.timeout(URL_TIMEOUT_MS) }).catch((e: unknown) => {
      throw new Error(`Could not fetch ${input}: ${e instanceof Error ? e.message : String(e)}.`);
    });
    if (!res.ok) throw new Error(`Could not fetch ${input}: the server answered ${res.status}.`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_INPUT_BYTES) throw new Error(`${input} is ${declared} bytes; the limit is ${MAX_INPUT_BYTES}.`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > MAX_INPUT_BYTES) throw new Error(`${input} is over the ${MAX_INPUT_BYTES}-byte limit.`);
    return bytes;
  }
  try {
    return new Uint8Array(await readFile(input));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(
      code === 'ENOENT'
        ? `No file at "${input}" (expected a file path or an http(s) URL).`
        : `Cannot read "${input}": ${String(code)}.`,
    );
  }
}

/** Writes `data` to `file`, or to stdout when `file` is undefined or `-`. */
export async function writeOutput(file: string | undefined, data: string | Uint8Array): Promise<void> {
  if (file === undefined || file === '-') {
    process.stdout.write(data);
    return;
  }
  await writeFile(file, data);
}

/** A commander parser that accepts one of `values`. */
export function choiceOption<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`Expected one of ${values.join(', ')}.`);
    return value as T;
  };
}

/** Parses a `--dtype` value. */
export const dtypeOption: (value: string) => ModelDtype = choiceOption(MODEL_DTYPES);

/** Parses a number option within [min, max]. */
export function numberOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`Expected ${name} in [${min}, ${max}].`);
    return n;
  };
}

/** A model reference (or the task's catalog default) resolved to a local path and dtype. */
export async function resolveTaskModel(
  task: ModelTask,
  ref: string | undefined,
  dtype: ModelDtype | undefined,
): Promise<{ path: string; dtype: ModelDtype | undefined; name: string }> {
  const name = ref ?? defaultCatalogEntry(task)?.name;
  if (name === undefined) throw new InvalidArgumentError(`No default model for ${task}; give --model.`);
  const resolved = await createModelResolver(process.env).resolve(name, { dtype });
  // With no dtype, run-core's loaders take the first of the runtime's preferred dtypes whose files are there.
  return { path: resolved.path, dtype: dtype ?? resolved.dtype, name };
}

/** Help text shared by the one-shot commands. */
export const MODEL_HELP =
  'a model reference: a catalog name (see `llama-pajamas models list --catalog`), hf:org/name[@rev], or a path (default: the task’s catalog default)';
