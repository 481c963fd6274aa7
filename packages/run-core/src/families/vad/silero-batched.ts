import onnxProto from 'onnx-proto';
import { decodeOnnxModel, type OnnxNodeView, type OnnxTensorView } from '../../io/onnx-decode.js';

/**
 * Silero VAD (v5/v6 ONNX) split in two graphs that take many windows per run: the same weights and operators as
 * the 16 kHz branch of the original graph, so the probabilities are those of the window-by-window model.
 *
 * - `encoder`: input `input` `[windows, 576]` (64 samples of context + 512 new ones per row) → `output`
 *   `[windows, 128, 1]`. These are the original graph's own STFT and convolution nodes, which hold no state and
 *   so run on every window at once.
 * - `decoder`: the LSTM over the windows as one sequence (inputs `x` `[windows, 1, 128]`, `h0`, `c0` `[1, 1, 128]`),
 *   then ReLU, the 1×1 convolution and the sigmoid: outputs `probs` `[windows, 1, 1]`, `hN`, `cN`.
 */
export interface BatchedSileroModels {
  readonly encoder: Uint8Array;
  readonly decoder: Uint8Array;
  /** Width of the LSTM state (128). */
  readonly hidden: number;
}

/** The fields of decoded ONNX messages read here (see `OnnxNodeView`). */
type TensorProto = OnnxTensorView;
type Node = OnnxNodeView<Graph>;
interface Graph {
  node: Node[];
  output: { name?: string | null }[];
}
interface Model {
  graph?: Graph | null;
  irVersion?: unknown;
  opsetImport?: unknown;
}

const FLOAT = 1;
const INT64 = 7;
/** Samples per row of the encoder: 64 of context, then the 512 of the window. */
export const BATCHED_ROW = 576;

/** The float32 values of a Constant node's tensor (raw bytes or float_data). */
function floatsOf(t: TensorProto): Float32Array | undefined {
  if (t.dataType !== FLOAT) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const copy = Uint8Array.prototype.slice.call(t.rawData) as Uint8Array;
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return t.floatData && t.floatData.length > 0 ? Float32Array.from(t.floatData) : undefined;
}

/** The 16 kHz branch of the top-level `If` on `sr` (the graph's `Equal(sr, 16000)` picks `then`). */
function sixteenKBranch(g: Graph): Graph | undefined {
  const ifs = g.node.filter((n) => n.opType === 'If');
  if (ifs.length !== 1) return undefined;
  const ifNode = ifs[0] as Node;
  const eq = g.node.find((n) => n.opType === 'Equal' && n.output.includes(ifNode.input[0] as string));
  if (!eq || !eq.input.includes('sr')) return undefined;
  const constName = eq.input.find((i) => i !== 'sr');
  const c = g.node.find((n) => n.opType === 'Constant' && n.output[0] === constName)?.attribute[0]?.t;
  const v = c?.int64Data?.[0];
  const value = v === undefined ? undefined : Number(v.toString());
  if (value !== 16000) return undefined;
  return ifNode.attribute.find((a) => a.name === 'then_branch')?.g ?? undefined;
}

/**
 * Builds {@link BatchedSileroModels} from the bytes of a Silero VAD v5/v6 ONNX model; undefined when the graph is
 * not laid out as expected (other generations keep running window by window).
 */
export function buildBatchedSilero(bytes: Uint8Array): BatchedSileroModels | undefined {
  const { onnx } = onnxProto;
  const model = decodeOnnxModel<Model>(bytes);
  if (!model) return undefined;
  const branch = model.graph ? sixteenKBranch(model.graph) : undefined;
  if (!branch) return undefined;
  const producer = new Map<string, Node>();
  for (const n of branch.node) for (const o of n.output) producer.set(o, n);
  const encoderOut = [...producer.keys()].find((k) => k.endsWith('/encoder/3/activation/Relu_output_0'));
  if (!encoderOut) return undefined;
  // The encoder: every node the last encoder activation depends on; only `input` may come from outside.
  const needed = new Set<Node>();
  const stack = [encoderOut];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    const n = producer.get(name);
    if (!n) {
      if (name !== 'input') return undefined;
      continue;
    }
    if (needed.has(n)) continue;
    if (n.attribute.some((a) => a.g || (a.graphs && a.graphs.length > 0))) return undefined;
    needed.add(n);
    for (const i of n.input) if (i) stack.push(i);
  }
  const constant = (suffix: string): { dims: number[]; data: Float32Array } | undefined => {
    const n = branch.node.find((x) => x.opType === 'Constant' && (x.output[0] ?? '').endsWith(suffix));
    const t = n?.attribute[0]?.t;
    const data = t ? floatsOf(t) : undefined;
    return t && data ? { dims: t.dims.map((d) => Number(d.toString())), data } : undefined;
  };
  const wih = constant('decoder.rnn.weight_ih');
  const whh = constant('decoder.rnn.weight_hh');
  const bih = constant('decoder.rnn.bias_ih');
  const bhh = constant('decoder.rnn.bias_hh');
  const cw = constant('decoder.decoder.2.weight');
  const cb = constant('decoder.decoder.2.bias');
  if (!wih || !whh || !bih || !bhh || !cw || !cb) return undefined;
  const hidden = whh.dims[1] as number;
  const inputSize = wih.dims[1] as number;
  if (wih.dims[0] !== 4 * hidden || whh.dims[0] !== 4 * hidden || bih.data.length !== 4 * hidden) return undefined;
  if (bhh.data.length !== 4 * hidden || cw.data.length !== hidden || cb.data.length !== 1) return undefined;
  // PyTorch's LSTM gates are ordered i, f, g, o; ONNX's LSTM wants i, o, f, c.
  const gates = (src: Float32Array, rowLen: number): Float32Array => {
    const out = new Float32Array(src.length);
    const block = hidden * rowLen;
    [0, 3, 1, 2].forEach((from, to) => out.set(src.subarray(from * block, (from + 1) * block), to * block));
    return out;
  };
  const bias = new Float32Array(8 * hidden);
  bias.set(gates(bih.data, 1), 0);
  bias.set(gates(bhh.data, 1), 4 * hidden);
  const tensor = (name: string, dims: number[], data: Float32Array | BigInt64Array, dataType: number) =>
    onnx.TensorProto.create({
      name,
      dims,
      dataType,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  const value = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input, output, attribute });
  const encode = (graph: object): Uint8Array =>
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: model.irVersion as number,
        opsetImport: model.opsetImport as { domain?: string; version?: number }[],
        producerName: 'llama-pajamas',
        graph,
      }),
    ).finish();
  const encoder = encode({
    name: 'silero-encoder',
    node: branch.node.filter((n) => needed.has(n)) as object[],
    input: [value('input', ['windows', BATCHED_ROW])],
    output: [value(encoderOut, ['windows', inputSize, 1])],
  });
  const decoder = encode({
    name: 'silero-decoder',
    initializer: [
      tensor('W', [1, 4 * hidden, inputSize], gates(wih.data, inputSize), FLOAT),
      tensor('R', [1, 4 * hidden, hidden], gates(whh.data, hidden), FLOAT),
      tensor('B', [1, 8 * hidden], bias, FLOAT),
      tensor('cw', cw.dims, cw.data, FLOAT),
      tensor('cb', cb.dims, cb.data, FLOAT),
      tensor('shape', [3], BigInt64Array.of(-1n, BigInt(hidden), 1n), INT64),
    ],
    node: [
      node(
        'LSTM',
        ['x', 'W', 'R', 'B', '', 'h0', 'c0'],
        ['Y', 'hN', 'cN'],
        [{ name: 'hidden_size', type: 2, i: hidden }],
      ),
      node('Reshape', ['Y', 'shape'], ['y']),
      node('Relu', ['y'], ['r']),
      node('Conv', ['r', 'cw', 'cb'], ['z']),
      node('Sigmoid', ['z'], ['probs']),
    ],
    input: [value('x', ['windows', 1, inputSize]), value('h0', [1, 1, hidden]), value('c0', [1, 1, hidden])],
    output: [value('probs', ['windows', 1, 1]), value('hN', [1, 1, hidden]), value('cN', [1, 1, hidden])],
  });
  // The encoder's output is renamed `output` so that callers need not know the original graph's names.
  const enc = onnx.ModelProto.decode(encoder);
  const g = enc.graph as unknown as Graph;
  for (const n of g.node) n.output = n.output.map((o) => (o === encoderOut ? 'output' : o));
  (g.output[0] as { name: string }).name = 'output';
  return { encoder: onnx.ModelProto.encode(enc).finish(), decoder, hidden };
}
