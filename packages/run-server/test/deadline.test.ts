/**
 * The request deadline: 504 after the time limit, 499 when the client goes away, and `refresh()` (what a stream
 * calls as it sends) starts the limit again so that it measures silence, not length. Fake timers, a real
 * node:http ServerResponse.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestDeadline } from '../src/context.js';
import type { ApiError } from '../src/errors.js';

function reply(): { reply: FastifyReply; raw: ServerResponse } {
  const raw = new ServerResponse(new IncomingMessage(new Socket()));
  return { reply: { raw } as unknown as FastifyReply, raw };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('requestDeadline', () => {
  it('aborts with a 504 once the limit passes without a refresh', () => {
    const { signal } = requestDeadline(reply().reply, 1000);
    vi.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as ApiError).status).toBe(504);
  });

  it('measures silence: each refresh starts the limit again', () => {
    const deadline = requestDeadline(reply().reply, 1000);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(900);
      deadline.refresh();
    }
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(deadline.signal.aborted).toBe(true);
  });

  it('aborts with a 499 when the response closes before it finished', () => {
    const { reply: r, raw } = reply();
    const { signal } = requestDeadline(r, 1000);
    raw.emit('close');
    expect((signal.reason as ApiError).status).toBe(499);
  });
});
