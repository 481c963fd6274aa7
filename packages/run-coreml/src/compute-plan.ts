import type { ComputePlanOperation, NativeComputePlan } from './binding.js';

/** A compute plan with a per-device summary: how many operations, and what share of the estimated cost, run where. */
export interface CoreMLComputePlan extends NativeComputePlan {
  readonly devices: Readonly<
    Record<'neuralEngine' | 'gpu' | 'cpu', { readonly operations: number; readonly costShare: number }>
  >;
}

/**
 * Adds the per-device summary to a compute plan (operations without a device, like constants, are not counted;
 * `costShare` is the device's part of the operations' estimated cost, 0 when CoreML gives no costs).
 * @example
 * summarizeComputePlan(await binding.computePlan(path, { computeUnits: 'all' })).devices.neuralEngine;
 * // { operations: 61, costShare: 0.97 }
 */
export function summarizeComputePlan(plan: NativeComputePlan): CoreMLComputePlan {
  const devices = {
    neuralEngine: { operations: 0, costShare: 0 },
    gpu: { operations: 0, costShare: 0 },
    cpu: { operations: 0, costShare: 0 },
  };
  let total = 0;
  const counted = (op: ComputePlanOperation): op is ComputePlanOperation & { preferred: keyof typeof devices } =>
    op.preferred === 'neuralEngine' || op.preferred === 'gpu' || op.preferred === 'cpu';
  for (const op of plan.operations) {
    if (!counted(op)) continue;
    devices[op.preferred].operations++;
    devices[op.preferred].costShare += op.cost ?? 0;
    total += op.cost ?? 0;
  }
  for (const d of Object.values(devices)) d.costShare = total > 0 ? d.costShare / total : 0;
  return { ...plan, devices };
}
