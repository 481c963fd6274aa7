import type { ModelBackend } from '@llama-pajamas/run-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MicroBatcher } from './batcher.js';
import { raceSignal, requestSignal, type RouteContext } from './context.js';
import type { ServedModel } from './models.js';
import type { ServedTask } from './tasks.js';

/** One request's work on one served model: the model, the request's signal and the ways to run on its queue. */
export interface TaskCall<B extends ModelBackend> {
  readonly model: ServedModel<B>;
  /** Aborts on the request timeout (504) or when the client goes away (499). */
  readonly signal: AbortSignal;
  /** Runs `job` on the model's queue; rejects with the signal's reason as soon as it aborts. */
  run<R>(job: () => Promise<R>): Promise<R>;
  /** Runs a job that writes the response itself (a stream) on the queue; the job watches `signal`. */
  stream(job: () => Promise<void>): Promise<void>;
  /**
   * Runs `inputs` as one `batch` call on the queue, or, for a single input with micro-batching on, through the
   * model's micro-batcher for this task, which runs it with others that share its `options`. `batch` must be the
   * same operation for every call of a task (the batcher keeps the first one).
   */
  batch<I, O, R>(inputs: I[], options: O, batch: (inputs: I[], options: O) => Promise<R[]>): Promise<R[]>;
}

/**
 * Starts a request's work: picks the model for `task` (by the request's `model`, else the default; 501/404/400 as
 * {@link ModelTable.pick}) and makes its signal.
 * @example
 * const call = beginTask<STTBackend>(ctx, request, reply, 'transcribe', body.model, '/v1/audio/transcriptions');
 * const result = await call.run(() => call.model.backend.transcribe(bytes, { signal: call.signal }));
 */
export function beginTask<B extends ModelBackend>(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  task: ServedTask,
  requested: unknown,
  endpoint: string,
): TaskCall<B> {
  const model = ctx.models.pick<B>(task, requested, endpoint);
  const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
  const run = <R>(job: () => Promise<R>): Promise<R> => raceSignal(model.queue.run(job, signal), signal);
  return {
    model,
    signal,
    run,
    stream: (job) => model.queue.run(job, signal),
    batch<I, O, R>(inputs: I[], options: O, batch: (inputs: I[], options: O) => Promise<R[]>): Promise<R[]> {
      const first = inputs[0];
      if (inputs.length !== 1 || first === undefined || ctx.microBatch <= 1) return run(() => batch(inputs, options));
      let batcher = model.batchers.get(task) as MicroBatcher<I, O, R> | undefined;
      if (!batcher) {
        batcher = new MicroBatcher<I, O, R>(model.queue, ctx.microBatch, batch);
        model.batchers.set(task, batcher as unknown as MicroBatcher<never, never, unknown>);
      }
      return raceSignal(batcher.submit(first, options, signal), signal).then((r) => [r]);
    },
  };
}
