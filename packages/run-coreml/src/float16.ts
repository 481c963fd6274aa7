import { createTensor, type Tensor } from '@llama-pajamas/run-core';
import { float16ToFloat32, float32ToFloat16 } from '@llama-pajamas/run-core/families';

// The bit conversions are run-core's (families/whisper/float16.ts, round to nearest even); these lift them to
// tensors for CoreML's float16 inputs and outputs.

/**
 * A float16 tensor as float32 (other types are returned unchanged).
 * @example
 * toFloat32Tensor({ type: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0x4000]) });
 * // { type: 'float32', dims: [2], data: Float32Array [1, 2] }
 */
export function toFloat32Tensor(tensor: Tensor): Tensor {
  if (tensor.type !== 'float16') return tensor;
  return createTensor('float32', float16ToFloat32(tensor.data as Uint16Array), tensor.dims);
}

/**
 * A float32 or float64 tensor as float16 (float64 goes through float32; other types are returned unchanged).
 * @example
 * toFloat16Tensor({ type: 'float32', dims: [1], data: new Float32Array([1]) });
 * // { type: 'float16', dims: [1], data: Uint16Array [0x3c00] }
 */
export function toFloat16Tensor(tensor: Tensor): Tensor {
  if (tensor.type === 'float32')
    return createTensor('float16', float32ToFloat16(tensor.data as Float32Array), tensor.dims);
  if (tensor.type === 'float64') {
    return createTensor('float16', float32ToFloat16(Float32Array.from(tensor.data as Float64Array)), tensor.dims);
  }
  return tensor;
}
