import * as coreErrors from '../errors.js';
import * as llmErrors from '../backends/llm-errors.js';
import { RunError, type AnyRunErrorCode } from '../errors.js';

/** An error as it crosses a thread: what is needed to rebuild the same class on the other side. */
export interface WireError {
  /** The class's name (`constructor.name`), looked up among the registered classes. */
  readonly className: string;
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
  readonly cause?: WireError;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const classes = new Map<string, ErrorClass>();

/** Whether `value` is a class whose instances are errors. */
function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && value.prototype instanceof Error;
}

/**
 * Registers error classes (by their `name`) so that an error thrown in a model worker arrives on the main thread
 * as the same class. run-core's own classes are registered already; a package with its own `RunError` subclasses
 * registers them on the main thread (any object of exports works: non-classes are skipped).
 * @example
 * registerErrorClasses(await import('@llama-pajamas/run-coreml'));
 */
export function registerErrorClasses(exports: Readonly<Record<string, unknown>> | readonly unknown[]): void {
  for (const value of Array.isArray(exports) ? exports : Object.values(exports)) {
    if (isErrorClass(value)) classes.set(value.name, value);
  }
}

registerErrorClasses(coreErrors);
registerErrorClasses(llmErrors);

/** Turns a thrown value into its {@link WireError} (plain data that `postMessage` can copy). */
export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { className: 'Error', name: 'Error', message: String(error) };
  const e = error as Error & { code?: unknown; details?: unknown };
  const wire: {
    className: string;
    name: string;
    message: string;
    code?: string;
    details?: Record<string, unknown>;
    stack?: string;
    cause?: WireError;
  } = { className: e.constructor.name, name: e.name, message: e.message };
  if (typeof e.code === 'string') wire.code = e.code;
  if (e.details !== null && typeof e.details === 'object')
    wire.details = cloneable(e.details as Record<string, unknown>);
  if (typeof e.stack === 'string') wire.stack = e.stack;
  if (e.cause !== undefined && depth < 4) wire.cause = toWireError(e.cause, depth + 1);
  return wire;
}

/** `details` as plain data: kept as they are when they copy, else through JSON (functions and cycles dropped). */
function cloneable(details: Record<string, unknown>): Record<string, unknown> {
  try {
    structuredClone(details);
    return details;
  } catch {
    try {
      return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
}

/**
 * Rebuilds an error from its {@link WireError}: the registered class of the same `name` (so `instanceof` and
 * `code` hold), else a `RunError` when it had a code, else an `Error`; message, details, stack and cause kept.
 */
export function fromWireError(wire: WireError): Error {
  const cls = classes.get(wire.className) ?? classes.get(wire.name);
  let error: Error;
  if (cls) {
    error = Object.create(cls.prototype as object) as Error;
    Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  } else if (wire.code?.startsWith('ERR_RUN_')) {
    error = new RunError(wire.code as AnyRunErrorCode, wire.message);
  } else {
    error = new Error(wire.message);
  }
  const fields = error as unknown as Record<string, unknown>;
  fields.name = wire.name;
  if (wire.code !== undefined) fields.code = wire.code;
  if (cls || wire.code !== undefined) fields.details = wire.details ?? {};
  if (wire.stack !== undefined) fields.stack = wire.stack;
  if (wire.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: fromWireError(wire.cause), writable: true, configurable: true });
  }
  return error;
}

/**
 * The ArrayBuffers of a result that can be moved instead of copied: those of typed arrays that own their whole
 * buffer (never Node's shared Buffer pool), each once.
 */
export function transferables(value: unknown, found = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  if (depth > 6 || value === null || typeof value !== 'object') return [...found];
  if (ArrayBuffer.isView(value)) {
    const { buffer, byteOffset, byteLength } = value;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength && byteLength > 0) {
      found.add(buffer);
    }
    return [...found];
  }
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) transferables(item, found, depth + 1);
  return [...found];
}
