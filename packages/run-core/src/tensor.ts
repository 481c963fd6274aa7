import { TensorShapeError, invalidParameter } from './errors.js';

/** Element types a {@link Tensor} can hold, named as ONNX Runtime names them. */
export type TensorType = 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/** The typed array that stores each {@link TensorType} (float16 is raw IEEE half bits). */
export interface TensorDataTypeMap {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

/** A plain n-dimensional array: element type, dims, and a flat typed array in row-major order. */
export interface Tensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly dims: readonly number[];
  readonly data: TensorDataTypeMap[T];
}

/** The sizes one dim accepts: `min` to `max` inclusive; `max` is -1 when unbounded. */
export interface TensorDimRange {
  readonly min: number;
  readonly max: number;
}

/** A model input or output as the runtime describes it; symbolic dims (like `batch_size`) are strings. */
export interface TensorInfo {
  readonly name: string;
  /** Element type, or `unknown` when the runtime does not say. */
  readonly type: TensorType | 'unknown';
  /** Dims (for a flexible input, its default shape); `-1`-style unknowns and named dims are strings. Empty for scalars. */
  readonly dims: readonly (number | string)[];
  /** The whole shapes a flexible input accepts, when the runtime lists them (CoreML enumerated shapes). */
  readonly shapes?: readonly (readonly number[])[];
  /** Per dim, the sizes a flexible input accepts (CoreML range shapes); one entry per dim. */
  readonly ranges?: readonly TensorDimRange[];
}

/** Number of elements in a tensor of the given dims (1 for a scalar). */
export function sizeOfDims(dims: readonly number[]): number {
  let size = 1;
  for (const d of dims) size *= d;
  return size;
}

/**
 * Makes a {@link Tensor}, checking that `data` holds exactly as many elements as `dims` ask for.
 * @example
 * const t = createTensor('float32', new Float32Array(6), [1, 2, 3]);
 * // { type: 'float32', dims: [1, 2, 3], data: Float32Array(6) }
 */
export function createTensor<T extends TensorType>(
  type: T,
  data: TensorDataTypeMap[T],
  dims: readonly number[],
): Tensor<T> {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw invalidParameter('dims', 'non-negative integers', d);
  }
  const size = sizeOfDims(dims);
  if (data.length !== size) {
    throw new TensorShapeError(`Tensor data has ${data.length} elements but dims [${dims.join(', ')}] need ${size}.`, {
      details: { dims: [...dims], length: data.length },
    });
  }
  return { type, dims: [...dims], data };
}

/** True when `value` has the shape of a {@link Tensor}. */
export function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Tensor>;
  return typeof v.type === 'string' && Array.isArray(v.dims) && ArrayBuffer.isView(v.data);
}

/** Checks that a tensor is float32 with the given rank and returns its data; throws {@link TensorShapeError}. */
export function expectFloat32(t: Tensor, name: string, rank?: number): Float32Array {
  if (t.type !== 'float32') {
    throw new TensorShapeError(`Expected ${name} to be float32 but it is ${t.type}.`, { details: { name } });
  }
  if (rank !== undefined && t.dims.length !== rank) {
    throw new TensorShapeError(`Expected ${name} to have ${rank} dims but it has [${t.dims.join(', ')}].`, {
      details: { name, dims: [...t.dims] },
    });
  }
  return t.data as Float32Array;
}
