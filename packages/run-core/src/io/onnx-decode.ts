import onnxProto from 'onnx-proto';

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
