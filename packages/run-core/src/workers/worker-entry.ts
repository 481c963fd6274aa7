/**
 * The worker side of a model hosted in worker threads ({@link WorkerPool}): loads its own copy of the model with
 * the loader named in `workerData`, sends `ready` with the backend's fields, then runs each `call` and sends back
 * its result, stream items, callbacks and errors. Never imported by the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  HOSTED_FIELDS,
  STREAM_INPUT_METHODS,
  STREAM_WINDOW,
  type FromWorker,
  type HostedKind,
  type ToWorker,
  type WorkerLoadSpec,
} from './protocol.js';
import { fromWireError, toWireError, transferables } from './wire.js';

interface Data {
  readonly kind: HostedKind;
  readonly spec: WorkerLoadSpec;
}

type Backend = Record<string, unknown> & { modelId: string; unload(): Promise<void> };

/** A running call: its abort controller, fed input chunks and stream credit. */
interface Running {
  readonly controller: AbortController;
  /** Input chunks received and not yet taken, and the taker waiting for the next one. */
  readonly chunks: unknown[];
  ended: boolean;
  inputError?: Error;
  wake?: () => void;
  /** Stream items the main thread may still receive before it acks. */
  credit: number;
  resume?: () => void;
}

const port = parentPort;
if (!port) throw new Error('worker-entry.ts runs inside a worker thread only.');
const { kind, spec } = workerData as Data;
const running = new Map<number, Running>();

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** Sends a result, moving its typed arrays' buffers; falls back to an error when it cannot be copied. */
function sendValue(type: 'result' | 'item', id: number, value: unknown): void {
  try {
    send({ type, id, value }, transferables(value));
  } catch (error) {
    send({ type: 'error', id, error: toWireError(error) });
  }
}

/** Rebuilds the options: callback markers become functions that post back, and the call's own signal. */
function options(id: number, value: unknown, withSignal: boolean, signal: AbortSignal): unknown {
  if (value === null || typeof value !== 'object') return withSignal ? { signal } : value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const marker = v as { __callback?: unknown } | null;
    out[key] =
      marker !== null && typeof marker === 'object' && typeof marker.__callback === 'string'
        ? (...args: unknown[]): void => send({ type: 'callback', id, name: key, args })
        : v;
  }
  if (withSignal) out.signal = signal;
  return out;
}

/** The input chunks of a streaming call, asked for one at a time (`need`) as the backend takes them. */
async function* inputChunks(id: number, run: Running): AsyncGenerator<unknown> {
  for (;;) {
    if (run.chunks.length === 0 && !run.ended && run.inputError === undefined) {
      send({ type: 'need', id });
      await new Promise<void>((resolve) => {
        run.wake = resolve;
      });
      run.wake = undefined;
    }
    if (run.chunks.length > 0) {
      yield run.chunks.shift();
      continue;
    }
    if (run.inputError) throw run.inputError;
    if (run.ended) return;
  }
}

async function call(backend: Backend, message: Extract<ToWorker, { type: 'call' }>): Promise<void> {
  const { id, method, stream } = message;
  const run: Running = { controller: new AbortController(), chunks: [], ended: false, credit: STREAM_WINDOW };
  running.set(id, run);
  try {
    const fn = backend[method];
    if (typeof fn !== 'function') throw new TypeError(`The hosted ${kind} model has no method '${method}'.`);
    const args = [...message.args];
    if (STREAM_INPUT_METHODS.includes(method)) args[0] = inputChunks(id, run);
    if (args.length > 1 || message.signal) args[1] = options(id, args[1], message.signal, run.controller.signal);
    const out: unknown = (fn as (...a: unknown[]) => unknown).apply(backend, args);
    if (!stream) {
      sendValue('result', id, await out);
      return;
    }
    for await (const item of out as AsyncIterable<unknown>) {
      if (run.controller.signal.aborted) break;
      sendValue('item', id, item);
      if (--run.credit <= 0) {
        await new Promise<void>((resolve) => {
          run.resume = resolve;
        });
        run.resume = undefined;
      }
      if (run.controller.signal.aborted) break;
    }
    send({ type: 'done', id });
  } catch (error) {
    send({ type: 'error', id, error: toWireError(error) });
  } finally {
    running.delete(id);
  }
}

function onMessage(backend: Backend, message: ToWorker): void {
  if (message.type === 'call') {
    void call(backend, message);
    return;
  }
  const run = running.get(message.id);
  if (!run) return;
  switch (message.type) {
    case 'abort':
      run.controller.abort(message.reason === undefined ? undefined : fromWireError(message.reason));
      run.resume?.();
      run.inputError ??= fromWireError(message.reason ?? toWireError(new Error('aborted')));
      run.wake?.();
      break;
    case 'chunk':
      run.chunks.push(message.value);
      run.wake?.();
      break;
    case 'end':
      run.ended = true;
      run.wake?.();
      break;
    case 'input-error':
      run.inputError = fromWireError(message.error);
      run.wake?.();
      break;
    case 'ack':
      run.credit++;
      run.resume?.();
      break;
  }
}

async function main(): Promise<void> {
  let backend: Backend;
  try {
    const mod = (await import(spec.module)) as Record<string, unknown>;
    const load = mod[spec.export];
    if (typeof load !== 'function') {
      throw new TypeError(`The module ${spec.module} has no loader export '${spec.export}' (a function).`);
    }
    backend = await (load as (p: string, o: unknown) => Promise<Backend>)(spec.path, spec.options ?? {});
  } catch (error) {
    send({ type: 'load-error', error: toWireError(error) });
    return;
  }
  const fields: Record<string, unknown> = {};
  for (const name of HOSTED_FIELDS[kind]) fields[name] = backend[name];
  port?.on('message', (message: ToWorker) => onMessage(backend, message));
  send({ type: 'ready', info: { modelId: backend.modelId, fields } });
}

await main();
