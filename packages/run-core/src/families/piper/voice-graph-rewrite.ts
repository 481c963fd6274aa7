/**
 * Rewrites a Piper voice's ONNX graph into forms that onnxruntime 1.30's CPU provider computes faster, with the
 * same sums in another order (results differ by float rounding: at most 4e-5 on en_US-joe-medium's
 * peak-normalised audio with the noise off, about one 16-bit step):
 * - each 1-D `ConvTranspose` (HiFi-GAN upsampling) into its polyphase form: one `Conv` (2-D, height 1) with
 *   `stride` times the output channels and `kernel / stride` taps, then `Reshape`, `Transpose`, `Reshape` and
 *   `Slice` to interleave the phases (onnxruntime 1.30's `ConvTranspose` is about twice as slow as 1.32's, the
 *   gap to piper-tts);
 * - each 1-D `Conv` into a 2-D one of height 1 between an `Unsqueeze` and a `Squeeze`, which onnxruntime runs
 *   with its blocked NCHWc kernels (it only uses them for 2-D convolutions).
 *
 * The protobuf is walked by hand, field by field: only the graph's nodes and the rewritten weights are decoded,
 * every other byte is copied as it is (a generated schema would decode and copy every weight of the model).
 */

// onnx.proto field numbers and enums used here.
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTR_NAME = 1;
const ATTR_I = 3;
const ATTR_S = 4;
const ATTR_G = 6;
const ATTR_INTS = 8;
const ATTR_GRAPHS = 11;
const ATTR_TYPE = 20;
const ATTR_TYPE_INT = 2;
const ATTR_TYPE_INTS = 7;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_DATA_LOCATION = 14;
const VALUE_INFO_NAME = 1;
const DATA_FLOAT = 1;
const DATA_INT64 = 7;
const INT64_MAX = 2n ** 63n - 1n;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One protobuf field: its number, wire type, and where its bytes are (`start` is the tag's first byte). */
interface Field {
  field: number;
  wire: number;
  start: number;
  end: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload (wire 2). */
  data: Uint8Array;
}

/** The fields of one message, in order. */
function fields(buf: Uint8Array, from = 0, to = buf.length): Field[] {
  const out: Field[] = [];
  let pos = from;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= to || shift > 63) throw new RangeError('bad varint');
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < to) {
    const start = pos;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let value = 0;
    let data = buf.subarray(0, 0);
    if (wire === 0) value = varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      data = buf.subarray(pos, pos + length);
      pos += length;
    } else throw new RangeError(`unsupported wire type ${wire}`);
    if (pos > to) throw new RangeError('truncated field');
    out.push({ field, wire, start, end: pos, value, data });
  }
  return out;
}

/** Varints packed back to back (a packed repeated field's payload). */
function packedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let result = 0;
  let shift = 0;
  for (const byte of bytes) {
    result += (byte & 0x7f) * 2 ** shift;
    if (byte & 0x80) shift += 7;
    else {
      out.push(result);
      result = 0;
      shift = 0;
    }
  }
  return out;
}

/** Repeated int64s of a field, packed or not (proto2 writers use either). */
function ints(all: Field[], field: number): number[] {
  const out: number[] = [];
  for (const f of all) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(f.value);
    else if (f.wire === 2) out.push(...packedVarints(f.data));
  }
  return out;
}

const text = (all: Field[], field: number): string[] =>
  all.filter((f) => f.field === field && f.wire === 2).map((f) => decoder.decode(f.data));

/** Bytes of protobuf fields under construction. */
class Writer {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  raw(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    return this.raw(Uint8Array.from(bytes));
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, payload: Uint8Array): this {
    return this.tag(field, 2).varint(payload.length).raw(payload);
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** A length-delimited field whose payload is `inner`'s bytes (taken over, not copied). */
  message(field: number, inner: Writer): this {
    this.tag(field, 2).varint(inner.#length);
    this.#parts.push(...inner.#parts);
    this.#length += inner.#length;
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function intsAttribute(name: string, values: readonly number[]): Uint8Array {
  const w = new Writer().string(ATTR_NAME, name);
  for (const v of values) w.int(ATTR_INTS, v);
  return w.int(ATTR_TYPE, ATTR_TYPE_INTS).finish();
}

function intAttribute(name: string, value: number): Uint8Array {
  return new Writer().string(ATTR_NAME, name).int(ATTR_I, value).int(ATTR_TYPE, ATTR_TYPE_INT).finish();
}

function node(name: string, opType: string, inputs: string[], outputs: string[], attributes: Uint8Array[] = []) {
  const w = new Writer();
  for (const i of inputs) w.string(NODE_INPUT, i);
  for (const o of outputs) w.string(NODE_OUTPUT, o);
  w.string(NODE_NAME, name).string(NODE_OP_TYPE, opType);
  for (const a of attributes) w.bytes(NODE_ATTRIBUTE, a);
  return w.finish();
}

function floatTensor(name: string, dims: number[], data: Float32Array): Uint8Array {
  const w = new Writer();
  for (const d of dims) w.int(TENSOR_DIMS, d);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return w.int(TENSOR_DATA_TYPE, DATA_FLOAT).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw).finish();
}

function int64Tensor(name: string, values: readonly bigint[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return new Writer()
    .int(TENSOR_DIMS, values.length)
    .int(TENSOR_DATA_TYPE, DATA_INT64)
    .string(TENSOR_NAME, name)
    .bytes(TENSOR_RAW_DATA, raw)
    .finish();
}

/** A float32 initializer's dims and values, or undefined when it is not one stored inside the model. */
function readFloatTensor(all: Field[]): { dims: number[]; data: Float32Array } | undefined {
  const type = all.find((f) => f.field === TENSOR_DATA_TYPE)?.value;
  if (type !== DATA_FLOAT || all.some((f) => f.field === TENSOR_DATA_LOCATION && f.value !== 0)) return undefined;
  const dims = ints(all, TENSOR_DIMS);
  const size = dims.reduce((a, b) => a * b, 1);
  const raw = all.find((f) => f.field === TENSOR_RAW_DATA)?.data;
  const data = new Float32Array(size);
  if (raw !== undefined) {
    if (raw.length !== size * 4) return undefined;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true);
    return { dims, data };
  }
  let at = 0;
  for (const f of all) {
    if (f.field !== TENSOR_FLOAT_DATA) continue;
    const bytes = f.wire === 2 ? f.data : null;
    if (bytes === null) return undefined; // unpacked floats: not written by any exporter we know
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 4 <= bytes.length && at < size; i += 4) data[at++] = view.getFloat32(i, true);
  }
  return at === size ? { dims, data } : undefined;
}

interface Candidate {
  name: string;
  input: string;
  weight: string;
  bias: string | undefined;
  output: string;
  stride: number;
  pads: [number, number];
}

/** The ConvTranspose node's parameters when the polyphase form applies to it. */
function candidate(all: Field[]): Candidate | undefined {
  const domain = text(all, NODE_DOMAIN)[0] ?? '';
  if (text(all, NODE_OP_TYPE)[0] !== 'ConvTranspose' || (domain !== '' && domain !== 'ai.onnx')) return undefined;
  const inputs = text(all, NODE_INPUT);
  const outputs = text(all, NODE_OUTPUT);
  if (inputs.length < 2 || inputs.length > 3 || outputs.length !== 1 || inputs.some((i) => i === '')) return undefined;
  let stride = 1;
  let pads: [number, number] = [0, 0];
  for (const a of all.filter((f) => f.field === NODE_ATTRIBUTE)) {
    const attr = fields(a.data);
    const name = text(attr, ATTR_NAME)[0];
    const values = ints(attr, ATTR_INTS);
    if (name === 'strides' && values.length === 1) stride = values[0]!;
    else if (name === 'pads' && values.length === 2) pads = [values[0]!, values[1]!];
    else if (name === 'group' && attr.find((f) => f.field === ATTR_I)?.value === 1) continue;
    else if ((name === 'dilations' || name === 'output_padding') && values.length === 1) {
      if (values[0] !== (name === 'dilations' ? 1 : 0)) return undefined;
    } else if (name === 'kernel_shape' && values.length === 1) continue;
    else if (name === 'auto_pad' && text(attr, ATTR_S)[0] === 'NOTSET') continue;
    else return undefined; // output_shape, other auto_pad, 2-D attributes, anything unknown
  }
  if (!(stride >= 1 && stride <= 64) || pads.some((p) => !(p >= 0 && p < 1 << 20))) return undefined;
  return {
    name: text(all, NODE_NAME)[0] ?? outputs[0]!,
    input: inputs[0]!,
    weight: inputs[1]!,
    bias: inputs[2],
    output: outputs[0]!,
    stride,
    pads,
  };
}

/** A 1-D convolution's shape, as {@link rewriteVoiceGraph}'s `convolutions2d` choice sees it. */
export interface Conv1dShape {
  readonly outChannels: number;
  readonly inChannels: number;
  readonly kernel: number;
  readonly dilation: number;
  readonly group: number;
}

/** What {@link rewriteVoiceGraph} did. */
export interface VoiceGraphRewrite {
  /** The model bytes to open (the input itself when nothing was rewritten). */
  model: Uint8Array;
  /** How many 1-D `ConvTranspose` nodes became a polyphase `Conv` + interleave. */
  upsampling: number;
  /** How many 1-D `Conv` nodes now run as 2-D ones (height 1), between an `Unsqueeze` and a `Squeeze`. */
  convolutions: number;
}

/**
 * Returns the model with (1) each eligible 1-D `ConvTranspose` (weights stored in the model, group 1,
 * dilation 1, kernel a multiple of the stride, explicit pads) replaced by its polyphase `Conv` form and (2) each
 * 1-D `Conv` whose weight only it reads run as a 2-D `Conv` of height 1, which onnxruntime's CPU provider
 * computes with its blocked (NCHWc) kernels (`convolutions2d`: true, the default, for all of them, false for
 * none, or a function that picks them by shape; the polyphase convolutions are asked too). Same sums in another order:
 * results differ by float rounding. Models it does not understand come back unchanged; it never throws on bad bytes.
 * @example
 * const { model, upsampling, convolutions } = rewriteVoiceGraph(await readFile('en_US-joe-medium.onnx'));
 * [upsampling, convolutions]; // [3, 132]
 */
export function rewriteVoiceGraph(
  model: Uint8Array,
  options: { convolutions2d?: boolean | ((conv: Conv1dShape) => boolean) } = {},
): VoiceGraphRewrite {
  const option = options.convolutions2d ?? true;
  const twoD = typeof option === 'function' ? option : () => option;
  try {
    const g = parse(model);
    if (g === undefined) return { model, upsampling: 0, convolutions: 0 };
    const [upsampling, upsampling2d] = polyphase(g, twoD);
    // The polyphase convolutions are written 2-D already.
    const convolutions = convsAs2d(g, twoD) + upsampling2d;
    return { model: upsampling + convolutions > 0 ? assemble(g) : model, upsampling, convolutions };
  } catch {
    return { model, upsampling: 0, convolutions: 0 };
  }
}

/** A model's graph, walked: its fields, nodes, initializers and names, and the edits to make. */
interface ParsedGraph {
  model: Uint8Array;
  top: Field[];
  graphField: Field;
  graph: Field[];
  nodes: { f: Field; all: Field[] }[];
  initializers: Map<string, { f: Field; all: Field[] }>;
  graphInputs: Set<string | undefined>;
  /** How many node inputs name each value. */
  uses: Map<string, number>;
  /** Every initializer and node output name. */
  names: Set<string>;
  /** Graph fields to replace by these encoded graph fields (none: drop). */
  replaced: Map<Field, Uint8Array[]>;
  /** Initializers (TensorProto bytes) to append. */
  added: Uint8Array[];
}

/** The default-domain opset a model imports (0 when none). */
function opset(top: Field[]): number {
  for (const f of top.filter((x) => x.field === MODEL_OPSET_IMPORT)) {
    const all = fields(f.data);
    const domain = text(all, 1)[0] ?? '';
    if (domain === '' || domain === 'ai.onnx') return all.find((x) => x.field === 2)?.value ?? 0;
  }
  return 0;
}

function parse(model: Uint8Array): ParsedGraph | undefined {
  const top = fields(model);
  const graphs = top.filter((f) => f.field === MODEL_GRAPH && f.wire === 2);
  // Unsqueeze/Squeeze with axes as an input, and Slice with inputs, need opset 13.
  if (graphs.length !== 1 || opset(top) < 13) return undefined;
  const graphField = graphs[0]!;
  const graph = fields(graphField.data);
  const nodes = graph.filter((f) => f.field === GRAPH_NODE).map((f) => ({ f, all: fields(f.data) }));
  // Subgraphs (If, Loop, Scan) could read the weights under their own scoping rules: leave such models alone.
  for (const n of nodes) {
    for (const a of n.all.filter((x) => x.field === NODE_ATTRIBUTE)) {
      if (fields(a.data).some((x) => x.field === ATTR_G || x.field === ATTR_GRAPHS)) return undefined;
    }
  }
  const initializers = new Map<string, { f: Field; all: Field[] }>();
  for (const f of graph.filter((x) => x.field === GRAPH_INITIALIZER)) {
    const all = fields(f.data);
    const name = text(all, TENSOR_NAME)[0];
    if (name !== undefined) initializers.set(name, { f, all });
  }
  const graphInputs = new Set(
    graph.filter((f) => f.field === GRAPH_INPUT).map((f) => text(fields(f.data), VALUE_INFO_NAME)[0]),
  );
  const uses = new Map<string, number>();
  const names = new Set<string>(initializers.keys());
  for (const n of nodes) {
    for (const i of text(n.all, NODE_INPUT)) uses.set(i, (uses.get(i) ?? 0) + 1);
    for (const o of text(n.all, NODE_OUTPUT)) names.add(o);
  }
  return {
    model,
    top,
    graphField,
    graph,
    nodes,
    initializers,
    graphInputs,
    uses,
    names,
    replaced: new Map(),
    added: [],
  };
}

/** The model bytes with the graph's edits made. */
function assemble(g: ParsedGraph): Uint8Array {
  const graph = new Writer();
  for (const f of g.graph) {
    const instead = g.replaced.get(f);
    if (instead === undefined) graph.raw(g.graphField.data.subarray(f.start, f.end));
    else for (const bytes of instead) graph.raw(bytes);
  }
  for (const t of g.added) graph.bytes(GRAPH_INITIALIZER, t);
  const model = new Writer();
  for (const f of g.top) {
    if (f === g.graphField) model.message(MODEL_GRAPH, graph);
    else model.raw(g.model.subarray(f.start, f.end));
  }
  return model.finish();
}

/** NodeProto bytes as graph `node` fields. */
const graphNodes = (...nodes: Uint8Array[]): Uint8Array[] =>
  nodes.map((n) => new Writer().bytes(GRAPH_NODE, n).finish());

/**
 * Plans the polyphase form of each eligible ConvTranspose (its Conv 2-D where `twoD` says so); returns how many,
 * and how many of them are 2-D.
 */
function polyphase(g: ParsedGraph, twoDFor: (conv: Conv1dShape) => boolean): [number, number] {
  let count = 0;
  let count2d = 0;
  for (const n of g.nodes) {
    const c = candidate(n.all);
    if (c === undefined) continue;
    const w = g.initializers.get(c.weight);
    const b = c.bias === undefined ? undefined : g.initializers.get(c.bias);
    const weight = w && readFloatTensor(w.all);
    const bias = b && readFloatTensor(b.all);
    if (weight === undefined || weight.dims.length !== 3 || (c.bias !== undefined && bias === undefined)) continue;
    const [cin, cout, k] = weight.dims as [number, number, number];
    const s = c.stride;
    if (k % s !== 0 || (bias !== undefined && bias.data.length !== cout)) continue;
    const taps = k / s;
    const twoD = twoDFor({ outChannels: s * cout, inChannels: cin, kernel: taps, dilation: 1, group: 1 });
    const id = (x: string): string => `${c.output}__polyphase_${x}`;
    const [wName, bName, x4, z, zr, zt, zf, shape1, shape2, starts, ends, axes] = [
      'w',
      'b',
      'x4',
      'z',
      'zr',
      'zt',
      'zf',
      'shape1',
      'shape2',
      'starts',
      'ends',
      'axes',
    ].map(id) as [string, string, string, string, string, string, string, string, string, string, string, string];
    if ([wName, bName, x4, z, zr, zt, zf, shape1, shape2, starts, ends, axes].some((x) => g.names.has(x))) continue;
    // Phase r of the output, channel o, tap u reads input channel c at offset q - (taps - 1 - u):
    // Wc[r·cout + o][c][taps - 1 - t] = W[c][o][r + t·s].
    const wc = new Float32Array(s * cout * cin * taps);
    for (let r = 0; r < s; r++)
      for (let o = 0; o < cout; o++)
        for (let ci = 0; ci < cin; ci++)
          for (let t = 0; t < taps; t++)
            wc[((r * cout + o) * cin + ci) * taps + (taps - 1 - t)] = weight.data[(ci * cout + o) * k + r + t * s]!;
    g.added.push(floatTensor(wName, twoD ? [s * cout, cin, 1, taps] : [s * cout, cin, taps], wc));
    if (bias !== undefined) {
      const bc = new Float32Array(s * cout);
      for (let r = 0; r < s; r++) bc.set(bias.data, r * cout);
      g.added.push(floatTensor(bName, [s * cout], bc));
    }
    g.added.push(
      int64Tensor(shape1, [0n, BigInt(s), BigInt(cout), -1n]),
      int64Tensor(shape2, [0n, BigInt(cout), -1n]),
      int64Tensor(starts, [BigInt(c.pads[0])]),
      int64Tensor(ends, [c.pads[1] > 0 ? -BigInt(c.pads[1]) : INT64_MAX]),
      int64Tensor(axes, [2n]),
    );
    const convInputs = [c.input, wName, ...(bias !== undefined ? [bName] : [])];
    count++;
    if (twoD) count2d++;
    g.replaced.set(
      n.f,
      graphNodes(
        // 2-D: a convolution of height 1 (see convsAs2d); the Reshape after it drops the height.
        ...(twoD ? [node(`${c.name}/polyphase/Unsqueeze`, 'Unsqueeze', [c.input, axes], [x4])] : []),
        node(
          `${c.name}/polyphase/Conv`,
          'Conv',
          twoD ? convInputs.map((i) => (i === c.input ? x4 : i)) : convInputs,
          [z],
          [
            intsAttribute('kernel_shape', twoD ? [1, taps] : [taps]),
            intsAttribute('pads', twoD ? [0, taps - 1, 0, taps - 1] : [taps - 1, taps - 1]),
            intsAttribute('strides', twoD ? [1, 1] : [1]),
            intsAttribute('dilations', twoD ? [1, 1] : [1]),
            intAttribute('group', 1),
          ],
        ),
        node(`${c.name}/polyphase/Reshape`, 'Reshape', [z, shape1], [zr]),
        node(`${c.name}/polyphase/Transpose`, 'Transpose', [zr], [zt], [intsAttribute('perm', [0, 2, 3, 1])]),
        node(`${c.name}/polyphase/Reshape_1`, 'Reshape', [zt, shape2], [zf]),
        node(`${c.name}/polyphase/Slice`, 'Slice', [zf, starts, ends, axes], [c.output]),
      ),
    );
    // The old weights go when nothing else reads them (onnxruntime warns about unused initializers).
    for (const [name, init] of [
      [c.weight, w],
      [c.bias, b],
    ] as const) {
      if (name !== undefined && init !== undefined && g.uses.get(name) === 1 && !g.graphInputs.has(name)) {
        g.replaced.set(init.f, []);
      }
    }
  }
  return [count, count2d];
}

/** The 1-D Conv node's parameters when it can run as a 2-D one. */
function conv1d(all: Field[]): { attributes: Uint8Array[]; dilation: number; group: number } | undefined {
  const domain = text(all, NODE_DOMAIN)[0] ?? '';
  if (text(all, NODE_OP_TYPE)[0] !== 'Conv' || (domain !== '' && domain !== 'ai.onnx')) return undefined;
  const attributes: Uint8Array[] = [];
  let [dilation, group] = [1, 1];
  for (const a of all.filter((f) => f.field === NODE_ATTRIBUTE)) {
    const attr = fields(a.data);
    const name = text(attr, ATTR_NAME)[0];
    const values = ints(attr, ATTR_INTS);
    if ((name === 'kernel_shape' || name === 'strides' || name === 'dilations') && values.length === 1) {
      attributes.push(intsAttribute(name, [1, values[0]!]));
      if (name === 'dilations') dilation = values[0]!;
    } else if (name === 'pads' && values.length === 2)
      attributes.push(intsAttribute(name, [0, values[0]!, 0, values[1]!]));
    else if (name === 'group' && attr.some((f) => f.field === ATTR_I)) {
      attributes.push(a.data);
      group = attr.find((f) => f.field === ATTR_I)!.value;
    } else if (name === 'auto_pad' && text(attr, ATTR_S)[0] === 'NOTSET') continue;
    else return undefined;
  }
  return { attributes, dilation, group };
}

/**
 * Plans each 1-D Conv (rank-3 weight that only it reads) that `twoD` picks as Unsqueeze → 2-D Conv → Squeeze;
 * returns how many.
 */
function convsAs2d(g: ParsedGraph, twoD: (conv: Conv1dShape) => boolean): number {
  const axes = '__conv2d_axes';
  if (g.names.has(axes)) return 0;
  let count = 0;
  for (const n of g.nodes) {
    const c = conv1d(n.all);
    const inputs = text(n.all, NODE_INPUT);
    const outputs = text(n.all, NODE_OUTPUT);
    if (c === undefined || inputs.length < 2 || outputs.length !== 1 || inputs.some((i) => i === '')) continue;
    const weight = g.initializers.get(inputs[1]!);
    if (weight === undefined || g.uses.get(inputs[1]!) !== 1 || g.graphInputs.has(inputs[1])) continue;
    const dims = ints(weight.all, TENSOR_DIMS);
    if (dims.length !== 3 || weight.all.some((f) => f.field === TENSOR_DATA_LOCATION && f.value !== 0)) continue;
    const [outChannels, inChannels, kernel] = [dims[0]!, dims[1]! * c.group, dims[2]!];
    if (!twoD({ outChannels, inChannels, kernel, dilation: c.dilation, group: c.group })) continue;
    const [x4, y4] = [`${outputs[0]}__conv2d_in`, `${outputs[0]}__conv2d_out`];
    if (g.names.has(x4) || g.names.has(y4)) continue;
    const name = text(n.all, NODE_NAME)[0] ?? outputs[0]!;
    // The weight, same data, as [out, in / group, 1, k].
    const w = new Writer();
    for (const d of [dims[0]!, dims[1]!, 1, dims[2]!]) w.int(TENSOR_DIMS, d);
    for (const f of weight.all) if (f.field !== TENSOR_DIMS) w.raw(weight.f.data.subarray(f.start, f.end));
    g.replaced.set(weight.f, [new Writer().bytes(GRAPH_INITIALIZER, w.finish()).finish()]);
    g.replaced.set(
      n.f,
      graphNodes(
        node(`${name}/conv2d/Unsqueeze`, 'Unsqueeze', [inputs[0]!, axes], [x4]),
        node(`${name}/conv2d/Conv`, 'Conv', [x4, ...inputs.slice(1)], [y4], c.attributes),
        node(`${name}/conv2d/Squeeze`, 'Squeeze', [y4, axes], [outputs[0]!]),
      ),
    );
    count++;
  }
  if (count > 0) g.added.push(int64Tensor(axes, [2n]));
  return count;
}
