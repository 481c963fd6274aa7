/**
 * Every error that llama-pajamas throws on purpose is a {@link RunError} with a stable `code`.
 * The codes, and how to solve each, are listed in `docs/errors.md` (a test keeps the two in step).
 */

/**
 * run-core's stable error codes, one per failure; `docs/errors.md` has a "How to solve" row for each. Other
 * packages export their own `<AREA>_ERROR_CODES` (run-coreml, converters, run-llama, …).
 */
export const RUN_ERROR_CODES = [
  'ERR_RUN_INVALID_ARGUMENT',
  'ERR_RUN_IMAGE_DECODE',
  'ERR_RUN_IMAGE_TOO_LARGE',
  'ERR_RUN_AUDIO_DECODE',
  'ERR_RUN_AUDIO_UNSUPPORTED_FORMAT',
  'ERR_RUN_AUDIO_TOO_LONG',
  'ERR_RUN_TEXT_TOO_LONG',
  'ERR_RUN_TENSOR_SHAPE',
  'ERR_RUN_MODEL_NOT_FOUND',
  'ERR_RUN_MODEL_UNRECOGNIZED',
  'ERR_RUN_MODEL_OUTPUT_MISMATCH',
  'ERR_RUN_MODEL_NOT_LOADED',
  'ERR_RUN_UNSUPPORTED_OPERATION',
  'ERR_RUN_INFERENCE',
  'ERR_RUN_SESSION_DISPOSED',
  'ERR_RUN_BACKEND_NOT_FOUND',
  'ERR_RUN_LANGUAGE_UNSUPPORTED',
  'ERR_RUN_SPEAKER_UNKNOWN',
  'ERR_RUN_PHONEMIZER_NOT_FOUND',
  'ERR_RUN_ABORTED',
  'ERR_RUN_TIMEOUT',
  'ERR_RUN_WORKER_EXITED',
  // Chat models (LLMBackend; the classes are in backends/llm-errors.ts).
  'ERR_RUN_LLM_CONTEXT_OVERFLOW',
  'ERR_RUN_LLM_SCHEMA_UNSUPPORTED',
  'ERR_RUN_LLM_INVALID_MESSAGES',
  'ERR_RUN_LLM_UNSUPPORTED_FEATURE',
] as const;

/** One of {@link RUN_ERROR_CODES}. */
export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];

/**
 * A code of any llama-pajamas package: run-core's own ({@link RunErrorCode}) or one that another package
 * (run-coreml, converters, run-llama, models) defines for its area. Every code has the `ERR_RUN_` prefix.
 */
export type AnyRunErrorCode = RunErrorCode | `ERR_RUN_${string}`;

/** Options accepted by every {@link RunError} constructor. */
export interface RunErrorOptions {
  /** The lower-level error that caused this one (kept for its stack). */
  cause?: unknown;
  /** Machine-readable facts about the failure (sizes, names, limits). */
  details?: Record<string, unknown>;
}

/**
 * Base class of every llama-pajamas error.
 * @example
 * try { await backend.detect(Buffer.from('nope')) } catch (e) { if (e instanceof RunError) console.log(e.code) }
 * // ERR_RUN_IMAGE_DECODE
 */
export class RunError extends Error {
  override name = 'RunError';
  readonly code: AnyRunErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: AnyRunErrorCode, message: string, options: RunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A parameter has the wrong type or is out of range. */
export class InvalidArgumentError extends RunError {
  override name = 'InvalidArgumentError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_INVALID_ARGUMENT', message, options);
  }
}

/** The bytes are not an image that can be decoded (empty, truncated, corrupt, or another kind of file). */
export class ImageDecodeError extends RunError {
  override name = 'ImageDecodeError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_IMAGE_DECODE', message, options);
  }
}

/** The image has more pixels (or bytes) than the configured limit. */
export class ImageTooLargeError extends RunError {
  override name = 'ImageTooLargeError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_IMAGE_TOO_LARGE', message, options);
  }
}

/** The audio could not be decoded (empty, truncated or corrupt). */
export class AudioDecodeError extends RunError {
  override name = 'AudioDecodeError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_AUDIO_DECODE', message, options);
  }
}

/** The audio container or codec is not one that can be decoded here. */
export class AudioUnsupportedFormatError extends RunError {
  override name = 'AudioUnsupportedFormatError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_AUDIO_UNSUPPORTED_FORMAT', message, options);
  }
}

/** The audio is longer than the configured limit. */
export class AudioTooLongError extends RunError {
  override name = 'AudioTooLongError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_AUDIO_TOO_LONG', message, options);
  }
}

/** The text is longer than the configured limit. */
export class TextTooLongError extends RunError {
  override name = 'TextTooLongError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_TEXT_TOO_LONG', message, options);
  }
}

/** A tensor's dims do not match its data or what a model expects. */
export class TensorShapeError extends RunError {
  override name = 'TensorShapeError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_TENSOR_SHAPE', message, options);
  }
}

/**
 * The message and options of a model error: a string is the message as given; typed arguments build the message
 * and add their facts to `details`.
 */
function built<A extends object>(
  args: A | string,
  options: RunErrorOptions,
  message: (args: A) => string,
  facts: (args: A) => Record<string, unknown>,
): [string, RunErrorOptions] {
  if (typeof args === 'string') return [args, options];
  return [message(args), { ...options, details: { ...facts(args), ...options.details } }];
}

function notFoundMessage({ path, what = 'model file or folder', reason }: ModelNotFoundArgs): string {
  return (
    `No readable ${what} at ${JSON.stringify(path)}${reason ? ` (${reason})` : ''}. ` +
    'Check the path (relative paths start from the working directory) and its permissions.'
  );
}

function unrecognizedMessage({ model, found, lookedFor, hint }: ModelUnrecognizedArgs): string {
  const looked = lookedFor && lookedFor.length > 0 ? ` Looked for: ${lookedFor.join('; ')}.` : '';
  return `Cannot use the model '${model}': ${found}.${looked} ${hint ?? 'See docs/model-formats.md for the supported exports.'}`;
}

function mismatchMessage({ model, found, expected, hint }: ModelOutputMismatchArgs): string {
  return (
    `Model '${model}': ${found}, but ${expected} was expected. ` +
    (hint ?? 'Check the task or family (option or manifest), or re-export the model with the standard exporter.')
  );
}

/** Typed arguments of {@link ModelNotFoundError}: the message is built from them. */
export interface ModelNotFoundArgs {
  /** The path that was looked up. */
  readonly path: string;
  /** What was expected there (default `model file or folder`). */
  readonly what?: string;
  /** Why it could not be read (for example the system error's message). */
  readonly reason?: string;
}

/** No model file or folder at the given path. Pass {@link ModelNotFoundArgs}; a string is kept as the message. */
export class ModelNotFoundError extends RunError {
  override name = 'ModelNotFoundError';
  constructor(args: ModelNotFoundArgs | string, options: RunErrorOptions = {}) {
    super('ERR_RUN_MODEL_NOT_FOUND', ...built(args, options, notFoundMessage, (a) => ({ path: a.path })));
  }
}

/** Typed arguments of {@link ModelUnrecognizedError}: what was found, what was looked for, what to do. */
export interface ModelUnrecognizedArgs {
  /** The model id or path named in the message. */
  readonly model: string;
  /** What was found instead (`its output 'x' is [1, 3]`, `"task" is "segment"`). */
  readonly found: string;
  /** The layouts or files that would have been recognised. */
  readonly lookedFor?: readonly string[];
  /** What to do about it (default: see docs/model-formats.md). */
  readonly hint?: string;
}

/** The files exist but match no known model family; the message names what was looked for. */
export class ModelUnrecognizedError extends RunError {
  override name = 'ModelUnrecognizedError';
  constructor(args: ModelUnrecognizedArgs | string, options: RunErrorOptions = {}) {
    super('ERR_RUN_MODEL_UNRECOGNIZED', ...built(args, options, unrecognizedMessage, (a) => ({ model: a.model })));
  }
}

/** Typed arguments of {@link ModelJsonInvalidError}. */
export interface ModelJsonInvalidArgs {
  /** The JSON file. */
  readonly path: string;
  /** The parser's complaint. */
  readonly reason: string;
}

/** A model's JSON file (config, manifest, tokenizer) is not valid JSON. Code `ERR_RUN_MODEL_UNRECOGNIZED`. */
export class ModelJsonInvalidError extends ModelUnrecognizedError {
  override name = 'ModelJsonInvalidError';
  constructor(args: ModelJsonInvalidArgs, options: RunErrorOptions = {}) {
    super(
      `${args.path} is not valid JSON (${args.reason}). Expected the file as the exporter wrote it: download it again or fix the syntax.`,
      { ...options, details: { path: args.path, ...options.details } },
    );
  }
}

/** Typed arguments of {@link ModelOutputMismatchError}. */
export interface ModelOutputMismatchArgs {
  /** The model id named in the message. */
  readonly model: string;
  /** What the model has (`output 'output0' is [1, 84]`). */
  readonly found: string;
  /** What its family needs (`[batch, 4 + classes, anchors]`). */
  readonly expected: string;
  /** What to do (default: check the task or family, re-export with the standard exporter). */
  readonly hint?: string;
}

/** The model's inputs or outputs do not have the shape its family needs. */
export class ModelOutputMismatchError extends RunError {
  override name = 'ModelOutputMismatchError';
  constructor(args: ModelOutputMismatchArgs | string, options: RunErrorOptions = {}) {
    super(
      'ERR_RUN_MODEL_OUTPUT_MISMATCH',
      ...built(args, options, mismatchMessage, (a) => ({ model: a.model, expected: a.expected })),
    );
  }
}

/** A backend was used before `load()` or after `unload()`. */
export class ModelNotLoadedError extends RunError {
  override name = 'ModelNotLoadedError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_MODEL_NOT_LOADED', message, options);
  }
}

/** The loaded model cannot do what was asked (for example text embeddings from an image-only model). */
export class UnsupportedOperationError extends RunError {
  override name = 'UnsupportedOperationError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_UNSUPPORTED_OPERATION', message, options);
  }
}

/** The runtime failed while running a model; `cause` holds the runtime's own error. */
export class InferenceError extends RunError {
  override name = 'InferenceError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_INFERENCE', message, options);
  }
}

/** A session was used after `dispose()`. */
export class SessionDisposedError extends RunError {
  override name = 'SessionDisposedError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_SESSION_DISPOSED', message, options);
  }
}

/** No registered backend could be initialised; the message lists each candidate and why it failed. */
export class BackendNotFoundError extends RunError {
  override name = 'BackendNotFoundError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_BACKEND_NOT_FOUND', message, options);
  }
}

/** The requested language is not one the speech model knows. */
export class LanguageUnsupportedError extends RunError {
  override name = 'LanguageUnsupportedError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_LANGUAGE_UNSUPPORTED', message, options);
  }
}

/** The requested speaker (id or name) is not in the voice. */
export class SpeakerUnknownError extends RunError {
  override name = 'SpeakerUnknownError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_SPEAKER_UNKNOWN', message, options);
  }
}

/** Text-to-speech needs espeak-ng phonemes but the optional `espeak-ng` package (GPL-3.0) is not installed. */
export class PhonemizerNotFoundError extends RunError {
  override name = 'PhonemizerNotFoundError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_PHONEMIZER_NOT_FOUND', message, options);
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class AbortedError extends RunError {
  override name = 'AbortedError';
  constructor(message = 'The operation was aborted.', options?: RunErrorOptions) {
    super('ERR_RUN_ABORTED', message, options);
  }
}

/** The operation took longer than its time limit. */
export class TimeoutError extends RunError {
  override name = 'TimeoutError';
  constructor(message: string, options?: RunErrorOptions) {
    super('ERR_RUN_TIMEOUT', message, options);
  }
}

/** True when `value` is a {@link RunError}, optionally with the given code. */
export function isRunError(value: unknown, code?: AnyRunErrorCode): value is RunError {
  return value instanceof RunError && (code === undefined || value.code === code);
}

/** Throws {@link AbortedError} when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
}

/** Describes a value for an error message: `a string`, `an object`, `null`, `an array of 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} (${typeof value})`;
  }
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Builds an {@link InvalidArgumentError} in the shape `Expected <expected> for <name> but received <actual>.` */
export function invalidParameter(name: string, expected: string, actual: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`Expected ${expected} for ${name} but received ${describeValue(actual)}.`, {
    details: { param: name },
  });
}
