import type { FastifyReply } from 'fastify';
import { ApiError } from './errors.js';
import type { ModelTable } from './models.js';
import type { MultimodalAppOptions, ResolvedLimits } from './options.js';

/** What every route module gets: the model table, the limits and the options. */
export interface RouteContext {
  models: ModelTable;
  limits: ResolvedLimits;
  options: MultimodalAppOptions;
  requestTimeoutMs: number;
  microBatch: number;
  startedAt: number;
}

/** A request's signal and the means to push its time limit back. */
export interface RequestDeadline {
  /** Aborts on the time limit (reason: a 504 ApiError) or when the client goes away (reason: a 499 ApiError). */
  readonly signal: AbortSignal;
  /** Starts the time limit again from now (a stream calls it as it sends, so the limit measures silence). */
  refresh(): void;
}

/**
 * An AbortSignal for one request's work: aborts `timeoutMs` after the start (or the last `refresh()`) or when the
 * client goes away.
 */
export function requestDeadline(reply: FastifyReply, timeoutMs: number): RequestDeadline {
  const controller = new AbortController();
  const onTimeout = (): void => {
    controller.abort(
      new ApiError(
        504,
        `The request took longer than the server's ${timeoutMs} ms limit and was stopped. Try a shorter input or retry later.`,
        { code: 'timeout' },
      ),
    );
  };
  let timer = setTimeout(onTimeout, timeoutMs);
  timer.unref();
  const onClose = (): void => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished && !controller.signal.aborted) {
      controller.abort(new ApiError(499, 'The client closed the connection.', { code: 'client_closed' }));
    }
  };
  // A response that closes before it finished means the client went away.
  reply.raw.once('close', onClose);
  return {
    signal: controller.signal,
    refresh() {
      if (controller.signal.aborted) return;
      clearTimeout(timer);
      timer = setTimeout(onTimeout, timeoutMs);
      timer.unref();
    },
  };
}

/** Resolves with `promise`, or rejects with `signal.reason` as soon as it aborts (the work itself may go on). */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted)
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Writes one server-sent event carrying `data` as JSON. */
export function sseWrite(reply: FastifyReply, data: unknown): void {
  reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
}

/** Takes over the response and sends the SSE headers (once). */
export function sseStart(reply: FastifyReply): void {
  if (reply.sent || reply.raw.headersSent) return;
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(reply.request.id),
  });
}
