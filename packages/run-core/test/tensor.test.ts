import { describe, expect, it } from 'vitest';
import { createTensor, expectFloat32, isTensor, sizeOfDims } from '../src/index.js';

describe('createTensor', () => {
  it('builds a tensor whose data matches its dims', () => {
    const t = createTensor('float32', new Float32Array(6), [1, 2, 3]);
    expect(t).toEqual({ type: 'float32', dims: [1, 2, 3], data: new Float32Array(6) });
    expect(isTensor(t)).toBe(true);
    expect(sizeOfDims([])).toBe(1);
    expect(createTensor('int64', new BigInt64Array([7n]), []).dims).toEqual([]);
  });

  it('refuses data of the wrong length and bad dims', () => {
    expect(() => createTensor('float32', new Float32Array(5), [2, 3])).toThrowErrorMatchingInlineSnapshot(
      `[TensorShapeError: Tensor data has 5 elements but dims [2, 3] need 6.]`,
    );
    expect(() => createTensor('float32', new Float32Array(0), [-1])).toThrowError(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
    expect(() => createTensor('float32', new Float32Array(2), [1.5])).toThrowError(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
  });

  it('checks float32 outputs', () => {
    const t = createTensor('int32', new Int32Array(2), [2]);
    expect(() => expectFloat32(t, 'logits')).toThrowError(/Expected logits to be float32 but it is int32/);
    const f = createTensor('float32', new Float32Array(2), [2]);
    expect(expectFloat32(f, 'logits', 1)).toBe(f.data);
    expect(() => expectFloat32(f, 'logits', 2)).toThrowError(/Expected logits to have 2 dims/);
    expect(isTensor({ type: 'float32', dims: [1], data: [1] })).toBe(false);
  });
});
