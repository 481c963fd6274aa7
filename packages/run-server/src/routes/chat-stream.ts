import type { FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';

/** A stream's abort signal and the call that tells it the stream is alive. */
export interface StreamSignal {
  readonly signal: AbortSignal;
  /** Restarts the silence timer (call on every chunk sent). */
  alive: () => void;
  /** Stops the timer (the stream ended). */
  done: () => void;
}

/**
 * An AbortSignal for a streamed response: it aborts when the client goes away (499), or when nothing was sent for
 * `silenceMs` (504). A stream that keeps sending is never cut by the request timeout: streams time silence.
 */
export function streamSignal(reply: FastifyReply, silenceMs: number): StreamSignal {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      controller.abort(
        new ApiError(
          504,
          `The stream sent nothing for ${silenceMs} ms (the server's limit) and was stopped. Retry later.`,
          {
            code: 'timeout',
          },
        ),
      );
    }, silenceMs);
    timer.unref();
  };
  arm();
  reply.raw.once('close', () => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished && !controller.signal.aborted) {
      controller.abort(new ApiError(499, 'The client closed the connection.', { code: 'client_closed' }));
    }
  });
  return {
    signal: controller.signal,
    alive: () => {
      if (!controller.signal.aborted) arm();
    },
    done: () => clearTimeout(timer),
  };
}
