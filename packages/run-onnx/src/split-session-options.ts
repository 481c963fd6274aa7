import type { OnnxSessionOptions } from './session.js';

/** The flat ONNX session option names that run-onnx's `loadX` functions accept beside their own options. */
export type OnnxSessionKey =
  | 'executionProviders'
  | 'intraOpThreads'
  | 'interOpThreads'
  | 'allowSpinning'
  | 'graphOptimizationLevel'
  | 'coreMlFlags';

/**
 * Splits flat ONNX session options (today's `loadX` signatures) from a run-core loader's own options.
 * @example
 * splitSessionOptions({ intraOpThreads: 2, labels: ['a'] }); // { session: { intraOpThreads: 2 }, rest: { labels: ['a'] } }
 */
export function splitSessionOptions<T extends Omit<OnnxSessionOptions, 'name'>>(
  options: T,
): { session: OnnxSessionOptions; rest: Omit<T, OnnxSessionKey> } {
  const {
    executionProviders,
    intraOpThreads,
    interOpThreads,
    allowSpinning,
    graphOptimizationLevel,
    coreMlFlags,
    ...rest
  } = options;
  const session: OnnxSessionOptions = {
    ...(executionProviders ? { executionProviders } : {}),
    ...(intraOpThreads !== undefined ? { intraOpThreads } : {}),
    ...(interOpThreads !== undefined ? { interOpThreads } : {}),
    ...(allowSpinning !== undefined ? { allowSpinning } : {}),
    ...(graphOptimizationLevel ? { graphOptimizationLevel } : {}),
    ...(coreMlFlags !== undefined ? { coreMlFlags } : {}),
  };
  return { session, rest };
}
