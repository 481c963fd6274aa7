import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTensor } from '@llama-pajamas/run-core';
import {
  float16ToFloat32 as float16ToFloat32Array,
  float32ToFloat16 as float32ToFloat16Array,
  fromFloat16Bits as float16BitsToFloat32,
  toFloat16Bits as float32ToFloat16Bits,
} from '@llama-pajamas/run-core/families';
import { toFloat16Tensor, toFloat32Tensor } from '../src/index.js';
import { golden } from './fixtures/index.js';

const asFloat32 = (bits: number[]): Float32Array => new Float32Array(new Uint32Array(bits).buffer);

// run-core's bit conversions (which CoreML feeds and outputs go through), checked against numpy.
describe('float16 conversion against numpy (golden.json from tools/fixtures/coreml/generate.py)', () => {
  it('rounds float32 to float16 exactly as numpy astype(np.float16): ties to even, subnormals, overflow, NaN', () => {
    const values = asFloat32(golden.float16.float32Bits);
    const bits = float32ToFloat16Array(values);
    expect([...bits]).toEqual(golden.float16.float16Bits);
    expect(golden.float16.float16Bits).toContain(0x7c00); // 65520 → Infinity is in the set
    expect(golden.float16.float16Bits).toContain(0x0001); // the smallest subnormal
  });

  it('decodes every one of the 65536 half bit patterns as numpy does', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f32 = float16ToFloat32Array(all);
    const nans = f32.map((v) => (Number.isNaN(v) ? 1 : 0)).reduce((a, b) => a + b, 0);
    expect(nans).toBe(2 * 1023); // exponent 31 with a non-zero mantissa, both signs
    const zeroed = f32.map((v) => (Number.isNaN(v) ? 0 : v));
    expect(createHash('sha256').update(new Uint8Array(zeroed.buffer)).digest('hex')).toBe(
      golden.float16.allHalvesAsFloat32Bits,
    );
  });

  it('round-trips every finite half through float32', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = float16BitsToFloat32(h);
      if (!Number.isNaN(v) && float32ToFloat16Bits(v) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('converts tensors and leaves other element types alone', () => {
    const t = createTensor('float32', new Float32Array([1, -2, 0.5]), [1, 3]);
    const half = toFloat16Tensor(t);
    expect(half).toEqual({ type: 'float16', dims: [1, 3], data: new Uint16Array([0x3c00, 0xc000, 0x3800]) });
    expect(toFloat32Tensor(half)).toEqual(t);
    const ints = createTensor('int32', new Int32Array([1]), [1]);
    expect(toFloat16Tensor(ints)).toBe(ints);
    expect(toFloat32Tensor(ints)).toBe(ints);
  });
});
