import { describe, expect, it } from 'vitest';
import { summarizeComputePlan } from '../src/index.js';

describe('summarizeComputePlan', () => {
  it('counts operations per preferred device and shares out the estimated cost, skipping constants', () => {
    const plan = summarizeComputePlan({
      structure: 'program',
      operations: [
        { name: 'w', operator: 'const', supported: [] },
        {
          name: 'c1',
          operator: 'conv',
          preferred: 'neuralEngine',
          supported: ['neuralEngine', 'gpu', 'cpu'],
          cost: 0.6,
        },
        {
          name: 'c2',
          operator: 'conv',
          preferred: 'neuralEngine',
          supported: ['neuralEngine', 'gpu', 'cpu'],
          cost: 0.3,
        },
        { name: 'g', operator: 'gather', preferred: 'cpu', supported: ['cpu'], cost: 0.1 },
      ],
    });
    expect(plan.devices.neuralEngine.operations).toBe(2);
    expect(plan.devices.neuralEngine.costShare).toBeCloseTo(0.9, 10);
    expect(plan.devices.cpu).toEqual({ operations: 1, costShare: expect.closeTo(0.1, 10) as number });
    expect(plan.devices.gpu).toEqual({ operations: 0, costShare: 0 });
    expect(plan.operations).toHaveLength(4);
  });

  it('gives zero shares when CoreML reports no costs (neural networks)', () => {
    const plan = summarizeComputePlan({
      structure: 'neuralNetwork',
      operations: [{ name: 'fc', operator: 'innerProduct', preferred: 'gpu', supported: ['gpu', 'cpu'] }],
    });
    expect(plan.devices.gpu).toEqual({ operations: 1, costShare: 0 });
  });
});
