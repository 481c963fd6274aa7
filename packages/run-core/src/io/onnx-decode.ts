import onnxProto from 'onnx-proto';

/**
 * The fields of decoded ONNX messages that the graph rewrites read (protobufjs fills repeated fields with arrays;
 * int64 values may come as Long objects, hence `toString`). Each rewrite declares its own graph and model views.
 */
export interface OnnxTensorView {
  name?: string | null;
  dims: (number | { toString(): string })[];
  dataType?: number | null;
  rawData?: Uint8Array | null;
  floatData?: number[] | null;
  int64Data?: (number | { toString(): string })[] | null;
  dataLocation?: number | null;
}
/** A decoded `AttributeProto`; `G` is the caller's view of a subgraph. */
export interface OnnxAttributeView<G> {
  name?: string | null;
  i?: unknown;
  ints?: unknown[] | null;
  t?: OnnxTensorView | null;
  g?: G | null;
  graphs?: G[] | null;
}
/** A decoded `NodeProto`; `G` is the caller's view of a subgraph. */
export interface OnnxNodeView<G> {
  name?: string | null;
  opType?: string | null;
  domain?: string | null;
  input: string[];
  output: string[];
  attribute: OnnxAttributeView<G>[];
}

/**
 * Decodes the bytes of an ONNX model into the caller's view of `ModelProto` (the fields a graph rewrite reads);
 * undefined when the bytes are not an ONNX model.
 */
export function decodeOnnxModel<Model>(bytes: Uint8Array): Model | undefined {
  try {
    return onnxProto.onnx.ModelProto.decode(bytes) as unknown as Model;
  } catch {
    return undefined;
  }
}
