import type { STTBackend, TranscribeOptions, TranscriptionResult } from '@llama-pajamas/run-core';
import { ApiError } from '../errors.js';

/** One request of a micro-batched group: its upload and its own signal. */
export interface GroupInput {
  readonly file: Uint8Array;
  readonly signal: AbortSignal;
}

/** One request's outcome inside a group: its result or its own error. */
export type GroupOutcome = { result: TranscriptionResult } | { error: unknown };

/** A signal that aborts once every one of `signals` has (a group stops only when nobody waits any more). */
function whenAllAborted(signals: readonly AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const check = (): void => {
    if (signals.every((s) => s.aborted)) controller.abort(signals[signals.length - 1]?.reason);
  };
  for (const s of signals) s.addEventListener('abort', check, { once: true });
  check();
  return controller.signal;
}

/**
 * Transcribes a group of requests that share `options`: one `batchTranscribe` call (shared encoder and decoder runs
 * where the backend can), each request keeping its own outcome. A lone request runs `transcribe` as before; when the
 * batch call fails, the requests run one by one so that one bad upload fails only its own request.
 */
export async function transcribeGroup(
  backend: STTBackend,
  inputs: readonly GroupInput[],
  options: TranscribeOptions,
  onBatchError?: (error: unknown) => void,
): Promise<GroupOutcome[]> {
  const one = async (input: GroupInput): Promise<GroupOutcome> => {
    if (input.signal.aborted) return { error: input.signal.reason };
    try {
      return { result: await backend.transcribe(input.file, { ...options, signal: input.signal }) };
    } catch (error) {
      return { error };
    }
  };
  const first = inputs[0];
  if (inputs.length === 1 && first) return [await one(first)];
  const signal = whenAllAborted(inputs.map((i) => i.signal));
  try {
    const results = await backend.batchTranscribe(
      inputs.map((i) => i.file),
      { ...options, signal },
    );
    return results.map((result) => ({ result }));
  } catch (error) {
    if (!signal.aborted) onBatchError?.(error);
    const out: GroupOutcome[] = [];
    for (const input of inputs) out.push(await one(input));
    return out;
  }
}

/** The result of an outcome, or its error thrown. */
export function unwrap(outcome: GroupOutcome | undefined): TranscriptionResult {
  if (!outcome)
    throw new ApiError(500, 'The speech model returned no result for this request in its batch.', {
      code: 'internal_error',
    });
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}
