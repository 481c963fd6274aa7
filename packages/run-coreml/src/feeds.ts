import { TensorShapeError, createTensor, type Tensor, type TensorDimRange } from '@llama-pajamas/run-core';
import type { NativeTensor } from './binding.js';
import { toFloat16Tensor, toFloat32Tensor } from './float16.js';
import type { CoreMLFeatureInfo } from './spec.js';

type ShapeInfo = Pick<CoreMLFeatureInfo, 'name' | 'dims' | 'shapes' | 'ranges'>;

function fitsRanges(dims: readonly number[], ranges: readonly TensorDimRange[]): boolean {
  return (
    dims.length === ranges.length &&
    dims.every((d, i) => d >= ranges[i]!.min && (ranges[i]!.max < 0 || d <= ranges[i]!.max))
  );
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Says in words which shapes a feature accepts: `[1, 4]`, `one of [1, 4], [2, 4]`, `[1..16, 4]`. */
export function describeAcceptedShapes(info: ShapeInfo): string {
  if (info.shapes && info.shapes.length > 0) return `one of ${info.shapes.map((s) => `[${s.join(', ')}]`).join(', ')}`;
  if (info.ranges && info.ranges.length > 0) {
    return `[${info.ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}..${r.max < 0 ? '∞' : r.max}`)).join(', ')}]`;
  }
  return `[${info.dims.join(', ')}]`;
}

/**
 * True when a CoreML input accepts these dims: its default shape, one of its enumerated shapes, or within
 * its per-dim ranges.
 * @example
 * acceptsShape({ name: 'b', dims: [2, 4], ranges: [{ min: 1, max: 16 }, { min: 4, max: 4 }] }, [9, 4]); // true
 */
export function acceptsShape(info: ShapeInfo, dims: readonly number[]): boolean {
  if (sameDims(info.dims, dims)) return true;
  if (info.shapes?.some((s) => sameDims(s, dims))) return true;
  return info.ranges !== undefined && fitsRanges(dims, info.ranges);
}

function int64ToInt32(name: string, t: Tensor): Tensor {
  const src = t.data as BigInt64Array;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v > 2147483647n || v < -2147483648n) {
      throw new TensorShapeError(
        `Input '${name}' holds ${v}, which does not fit the int32 that CoreML multi-arrays use (they have no int64).`,
        { details: { input: name, index: i } },
      );
    }
    out[i] = Number(v);
  }
  return createTensor('int32', out, t.dims);
}

function toFloat64(t: Tensor): Tensor {
  const data = t.type === 'float16' ? toFloat32Tensor(t).data : t.data;
  return createTensor('float64', Float64Array.from(data as Float32Array), t.dims);
}

/**
 * Checks a feed against a CoreML input and converts its element type to what the input holds: float32 ↔ float16
 * (in TypeScript), float32/float16 → float64, int64 → int32 (range-checked). Anything else throws
 * `ERR_RUN_TENSOR_SHAPE` naming the accepted shapes and type.
 * @example
 * prepareFeed({ name: 'x', kind: 'multiArray', type: 'float16', dims: [1, 4], optional: false },
 *   createTensor('float32', new Float32Array(4), [1, 4]));
 * // { type: 'float16', dims: [1, 4], data: Uint16Array(4) }
 */
export function prepareFeed(info: CoreMLFeatureInfo, tensor: Tensor, model = 'model'): NativeTensor {
  if (info.kind !== 'multiArray') {
    throw new TensorShapeError(
      `Input '${info.name}' of '${model}' is ${info.kind === 'image' ? 'an image' : `a ${info.kind}`} feature; ` +
        `this binding feeds multi-arrays only. Convert the model with a TensorType input (the converters' default).`,
      { details: { input: info.name, kind: info.kind } },
    );
  }
  if (!acceptsShape(info, tensor.dims)) {
    throw new TensorShapeError(
      `Input '${info.name}' of '${model}' accepts ${describeAcceptedShapes(info)} but the feed has [${tensor.dims.join(', ')}].`,
      { details: { input: info.name, dims: [...tensor.dims] } },
    );
  }
  const want = info.type;
  if (tensor.type === want) return tensor;
  if (want === 'float16' && (tensor.type === 'float32' || tensor.type === 'float64')) return toFloat16Tensor(tensor);
  if (want === 'float32' && tensor.type === 'float16') return toFloat32Tensor(tensor);
  if (want === 'float32' && tensor.type === 'float64') {
    return createTensor('float32', Float32Array.from(tensor.data as Float64Array), tensor.dims);
  }
  if (want === 'float64' && (tensor.type === 'float32' || tensor.type === 'float16')) return toFloat64(tensor);
  if (want === 'int32' && tensor.type === 'int64') return int64ToInt32(info.name, tensor);
  throw new TensorShapeError(
    `Input '${info.name}' of '${model}' holds ${want} but the feed is ${tensor.type}; pass ${want} ` +
      `(float32 and float16 convert into each other, int64 into int32).`,
    { details: { input: info.name, expected: want, actual: tensor.type } },
  );
}
