/**
 * Reads `metadata_props` (custom key/value metadata, e.g. Ultralytics' `names`, `imgsz`, `stride`, `task`)
 * from an ONNX ModelProto. onnxruntime-node does not expose them, and decoding the whole protobuf with a
 * generated schema (onnx-proto) would copy every weight; this walks only the top-level fields and skips the
 * graph by its length prefix.
 */

/** ModelProto field numbers we read (onnx.proto3). */
const MODEL_PRODUCER_NAME = 2;
const MODEL_METADATA_PROPS = 14;

interface Cursor {
  pos: number;
}

function readVarint(buf: Uint8Array, c: Cursor): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (c.pos >= buf.length) throw new RangeError('truncated varint');
    const byte = buf[c.pos++]!;
    // Lengths in a model fit in 53 bits; use multiplication to stay exact past 2^31.
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) throw new RangeError('varint too long');
  }
}

function skipField(buf: Uint8Array, c: Cursor, wireType: number): void {
  switch (wireType) {
    case 0:
      readVarint(buf, c);
      return;
    case 1:
      c.pos += 8;
      return;
    case 2: {
      const length = readVarint(buf, c);
      c.pos += length;
      return;
    }
    case 5:
      c.pos += 4;
      return;
    default:
      throw new RangeError(`unsupported wire type ${wireType}`);
  }
}

const decoder = new TextDecoder();

function readStringStringEntry(buf: Uint8Array, start: number, end: number): [string, string] {
  const c = { pos: start };
  let key = '';
  let value = '';
  while (c.pos < end) {
    const tag = readVarint(buf, c);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2 && (field === 1 || field === 2)) {
      const len = readVarint(buf, c);
      const text = decoder.decode(buf.subarray(c.pos, c.pos + len));
      c.pos += len;
      if (field === 1) key = text;
      else value = text;
    } else {
      skipField(buf, c, wire);
    }
  }
  return [key, value];
}

/** What {@link readOnnxMetadata} finds in a model file. */
export interface OnnxModelInfo {
  producerName: string;
  metadata: Record<string, string>;
}

/** Reads the producer name and `metadata_props` of an ONNX model; returns empty values for non-ONNX bytes. */
export function readOnnxMetadata(model: Uint8Array): OnnxModelInfo {
  const metadata: Record<string, string> = {};
  let producerName = '';
  const c = { pos: 0 };
  try {
    while (c.pos < model.length) {
      const tag = readVarint(model, c);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 2 && (field === MODEL_METADATA_PROPS || field === MODEL_PRODUCER_NAME)) {
        const len = readVarint(model, c);
        if (field === MODEL_METADATA_PROPS) {
          const [key, value] = readStringStringEntry(model, c.pos, c.pos + len);
          if (key) metadata[key] = value;
        } else {
          producerName = decoder.decode(model.subarray(c.pos, c.pos + len));
        }
        c.pos += len;
      } else {
        skipField(model, c, wire);
      }
    }
  } catch {
    // Not a well-formed ModelProto: the runtime will say so when it loads it.
  }
  return { producerName, metadata };
}
