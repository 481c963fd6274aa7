import { writeFile } from 'node:fs/promises';
import { isRunError } from '@llama-pajamas/run-core';
import { InvalidArgumentError, type Command } from 'commander';
import { InputFetchError } from '../errors.js';

/**
 * Exit codes of the one-shot commands (docs/cli.md): 0 ok, 1 the model or runtime failed, 2 bad usage,
 * 3 the model is missing, 4 the input cannot be read, 5 the model cannot do what was asked.
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, modelMissing: 3, badInput: 4, unsupported: 5 } as const;

const INPUT_CODES = new Set([
  'ERR_RUN_IMAGE_DECODE',
  'ERR_RUN_IMAGE_TOO_LARGE',
  'ERR_RUN_AUDIO_DECODE',
  'ERR_RUN_AUDIO_UNSUPPORTED_FORMAT',
  'ERR_RUN_AUDIO_TOO_LONG',
  'ERR_RUN_TEXT_TOO_LONG',
  'ERR_RUN_INVALID_ARGUMENT',
  'ERR_RUN_CLI_INPUT_FETCH',
]);

/** The exit code for an error thrown by a one-shot command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof InvalidArgumentError) return EXIT_CODES.usage;
  if (!isRunError(error)) return EXIT_CODES.failed;
  if (error.code === 'ERR_RUN_MODEL_NOT_FOUND' || error.code.startsWith('ERR_RUN_MODELS_'))
    return EXIT_CODES.modelMissing;
  if (INPUT_CODES.has(error.code)) return EXIT_CODES.badInput;
  if (error.code === 'ERR_RUN_UNSUPPORTED_OPERATION' || error.code === 'ERR_RUN_LANGUAGE_UNSUPPORTED') {
    return EXIT_CODES.unsupported;
  }
  return EXIT_CODES.failed;
}

/** Most bytes a one-shot command downloads for an http(s) input. */
const MAX_URL_BYTES = 100 * 1024 * 1024;

/**
 * An input given on the command line: a file path stays a path (the loaders read it), an http(s) URL is
 * downloaded (at most 100 MiB, 60 s) into bytes.
 */
export async function readInput(value: string): Promise<string | Uint8Array> {
  if (!/^https?:\/\//i.test(value)) return value;
  const response = await fetch(value, { signal: AbortSignal.timeout(60_000), redirect: 'follow' }).catch(
    (e: unknown) => {
      throw new InputFetchError(value, e instanceof Error ? e.message : String(e), { cause: e });
    },
  );
  if (!response.ok) throw new InputFetchError(value, `HTTP ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_URL_BYTES)
    throw new InputFetchError(value, `${length} bytes is over the ${MAX_URL_BYTES}-byte limit`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > MAX_URL_BYTES) throw new InputFetchError(value, `over the ${MAX_URL_BYTES}-byte limit`);
  return bytes;
}

/** Parses a number option, naming the flag when it is not one. */
export function numberOption(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a number from ${min} to ${max} for ${flag}, got '${value}'.`);
    }
    return n;
  };
}

/** Writes a command's result: to `file` when given (bytes or text), else text to stdout. */
export async function emit(result: string | Uint8Array, file?: string): Promise<void> {
  if (file !== undefined && file !== '-') {
    await writeFile(file, result);
    return;
  }
  process.stdout.write(typeof result === 'string' ? (result.endsWith('\n') ? result : `${result}\n`) : result);
}

/** Prints JSON for scripts (`--json`): one document, two-space indented. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Progress for long work: a rewritten line on a TTY, a plain line every `every` calls otherwise (stderr). */
export function progressLine(label: string): { update(text: string): void; done(text?: string): void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  let lastAt = 0;
  return {
    update(text: string) {
      last = text;
      const now = Date.now();
      if (tty) process.stderr.write(`\r\x1b[2K${label} ${text}`);
      else if (now - lastAt > 2000) process.stderr.write(`${label} ${text}\n`);
      lastAt = now;
    },
    done(text?: string) {
      if (tty && last !== '') process.stderr.write(`\r\x1b[2K`);
      if (text) process.stderr.write(`${label} ${text}\n`);
    },
  };
}

/** Adds the options every one-shot command has. */
export function withCommonOptions(command: Command, modelHelp: string): Command {
  return command
    .requiredOption('-m, --model <model>', modelHelp)
    .option('--json', 'print the result as JSON (for scripts)')
    .option(
      '--threads <n>',
      'threads inside one operator (default: the runtime default)',
      numberOption('--threads', 0, 256),
    );
}

/** Loader options from the common flags. */
export function sessionOptions(flags: { threads?: number }): { intraOpThreads?: number } {
  return flags.threads === undefined ? {} : { intraOpThreads: flags.threads };
}
