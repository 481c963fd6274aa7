import onnxProto from 'onnx-proto';
import { decodeOnnxModel, type OnnxNodeView, type OnnxTensorView } from '../../io/onnx-decode.js';

/**
 * Rewrites each self-attention block of a Whisper encoder export (Optimum / transformers.js, fp32 or dynamically
 * quantized) into one `com.microsoft.MultiHeadAttention` node, which onnxruntime's CPU provider computes with a
 * fused kernel instead of eight Reshape/Transpose nodes, two batched MatMuls, a Mul and a Softmax.
 *
 * The exported block reads the projected `q` (bias added), `k` and `v` (`[B, T, dModel]`), scales `q` by a
 * constant, splits the heads (`Reshape` `[B, T, H, D]` → `Transpose` → `Reshape` `[B·H, T, D]`), multiplies,
 * softmaxes, multiplies by V and merges the heads back into `[B, T, dModel]`. The rewrite feeds the same
 * projections to `MultiHeadAttention` (`num_heads` H, `scale` the export's constant) writing the merged output's
 * name; the projections (MatMul or MatMulInteger) stay as they are and the now unread nodes are dropped. The
 * sums run in another order, so outputs differ by float rounding: `encoder-session.ts` compares the rewritten
 * encoder with the original on a probe input at load and keeps the original when they differ.
 */
export interface EncoderAttentionRewrite {
  /** The rewritten model's bytes. */
  readonly model: Uint8Array;
  /** How many attention blocks became one `MultiHeadAttention` node. */
  readonly layers: number;
  /** Whether the graph quantizes activations at run time (DynamicQuantizeLinear, MatMulInteger, …). */
  readonly quantized: boolean;
}

/** The fields of decoded ONNX messages used here (see `OnnxNodeView`). */
type Tensor = OnnxTensorView;
type Node = OnnxNodeView<unknown>;
interface Graph {
  node: Node[];
  output: { name?: string | null }[];
  initializer: Tensor[];
}
interface Model {
  graph?: Graph | null;
  opsetImport: { domain?: string | null; version?: unknown }[];
}

const FLOAT = 1;
const INT64 = 7;
const EXTERNAL = 1;
const MS_DOMAIN = 'com.microsoft';
const PREFIX = 'llama_pajamas/encoder_attention';
const QUANTIZED_OPS = /^(DynamicQuantize|MatMulInteger|ConvInteger|QLinear|QuantizeLinear|DequantizeLinear)/;

const num = (v: unknown): number => Number((v as { toString(): string } | undefined)?.toString() ?? NaN);

/** The values of a small int64 or float tensor (raw bytes or typed fields). */
function tensorValues(t: Tensor | null | undefined): number[] | undefined {
  if (!t || (t.dataType !== INT64 && t.dataType !== FLOAT)) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return t.dataType === INT64
      ? Array.from({ length: t.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)))
      : Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  return t.dataType === INT64 ? (t.int64Data ?? []).map(num) : [...(t.floatData ?? [])];
}

/** The graph, indexed: who makes and who reads each name, and the constant values. */
class Index {
  readonly producer = new Map<string, Node>();
  readonly consumers = new Map<string, Node[]>();
  private readonly initializers = new Map<string, Tensor>();

  constructor(g: Graph) {
    for (const n of g.node) {
      for (const o of n.output) this.producer.set(o, n);
      for (const i of n.input) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    }
    for (const t of g.initializer) if (t.name) this.initializers.set(t.name, t);
  }

  /** The values of a Constant node's output or an initializer. */
  constant(name: string | undefined): number[] | undefined {
    if (name === undefined) return undefined;
    const n = this.producer.get(name);
    if (n) {
      if (n.opType !== 'Constant' || (n.domain ?? '') !== '') return undefined;
      return tensorValues(n.attribute.find((a) => a.name === 'value')?.t);
    }
    return tensorValues(this.initializers.get(name));
  }

  /** The node making `name` when it is a default-domain `op`. */
  made(name: string | undefined, op: string): Node | undefined {
    const n = name === undefined ? undefined : this.producer.get(name);
    return n && n.opType === op && (n.domain ?? '') === '' ? n : undefined;
  }

  /** The only node reading `name` when it is a default-domain `op`. */
  only(name: string | undefined, op: string): Node | undefined {
    const c = name === undefined ? [] : (this.consumers.get(name) ?? []);
    const n = c.length === 1 ? c[0] : undefined;
    return n && n.opType === op && (n.domain ?? '') === '' ? n : undefined;
  }
}

/** A Transpose node's `perm`, joined with commas. */
const permOf = (n: Node | undefined): string | undefined =>
  n?.attribute
    .find((a) => a.name === 'perm')
    ?.ints?.map(num)
    .join();

/** `Reshape(x, [B, T, H, D]) → Transpose([0, 2, 1, 3]) → Reshape([B·H, T, D])`: x and H, or undefined. */
function splitHeads(ix: Index, folded: string | undefined): { x: string; heads: number } | undefined {
  const r2 = ix.made(folded, 'Reshape');
  const t = ix.made(r2?.input[0], 'Transpose');
  const r1 = ix.made(t?.input[0], 'Reshape');
  if (!r2 || !t || !r1 || permOf(t) !== '0,2,1,3') return undefined;
  const concat = ix.made(r1.input[1], 'Concat');
  const heads = concat ? ix.constant(concat.input[2]) : ix.constant(r1.input[1])?.slice(2);
  if (!heads || heads.length !== 1 || !((heads[0] as number) > 0)) return undefined;
  return { x: r1.input[0] as string, heads: heads[0] as number };
}

/** Plans one block from its Softmax: the MultiHeadAttention node and the node it replaces, or undefined. */
function planBlock(ix: Index, softmax: Node, emitted: number): { mha: Node; replaced: Node } | undefined {
  const axis = softmax.attribute.find((a) => a.name === 'axis');
  if (axis && num(axis.i) !== -1 && num(axis.i) !== 2) return undefined;
  const scores = ix.made(softmax.input[0], 'MatMul');
  if (!scores) return undefined;
  // Q: Mul(q, scale) split into heads; K: split into heads then Transpose([0, 2, 1]).
  const qs = splitHeads(ix, scores.input[0]);
  const qMul = ix.made(qs?.x, 'Mul');
  const kt = ix.made(scores.input[1], 'Transpose');
  const ks = kt && permOf(kt) === '0,2,1' ? splitHeads(ix, kt.input[0]) : undefined;
  if (!qs || !qMul || !ks || ks.heads !== qs.heads) return undefined;
  const scaleAt = [0, 1].find((i) => ix.constant(qMul.input[i])?.length === 1);
  if (scaleAt === undefined) return undefined;
  const scale = (ix.constant(qMul.input[scaleAt]) as number[])[0] as number;
  const q = qMul.input[1 - scaleAt] as string;
  // The probabilities go through Reshapes (no-ops on the values) into MatMul(·, V split into heads).
  let p = softmax.output[0];
  let context: Node | undefined;
  for (let hops = 0; hops < 4 && !context; hops++) {
    const next = (ix.consumers.get(p as string) ?? [])[0];
    if ((ix.consumers.get(p as string) ?? []).length !== 1 || !next || (next.domain ?? '') !== '') return undefined;
    if (next.opType === 'MatMul' && next.input[0] === p) context = next;
    else if (next.opType === 'Reshape' && next.input[0] === p) p = next.output[0];
    else return undefined;
  }
  const vs = context ? splitHeads(ix, context.input[1]) : undefined;
  if (!context || !vs || vs.heads !== qs.heads) return undefined;
  // Merge: Reshape([B, H, T, D]) → Transpose([0, 2, 1, 3]) → Reshape([B, T, dModel]).
  const m1 = ix.only(context.output[0], 'Reshape');
  const mt = ix.only(m1?.output[0], 'Transpose');
  const m2 = ix.only(mt?.output[0], 'Reshape');
  if (!m1 || !mt || !m2 || permOf(mt) !== '0,2,1,3') return undefined;
  const mha = onnxProto.onnx.NodeProto.create({
    name: `${PREFIX}/MultiHeadAttention_${emitted}`,
    opType: 'MultiHeadAttention',
    domain: MS_DOMAIN,
    input: [q, ks.x, vs.x],
    output: [m2.output[0] as string],
    attribute: [
      { name: 'num_heads', type: 2, i: qs.heads },
      { name: 'scale', type: 1, f: scale },
    ],
  }) as unknown as Node;
  return { mha, replaced: m2 };
}

/** Every tensor name the graph's nodes read. */
function namesRead(g: Graph): Set<string> {
  const read = new Set<string>();
  for (const n of g.node) for (const i of n.input) if (i) read.add(i);
  for (const o of g.output) if (o.name) read.add(o.name);
  return read;
}

/** Drops nodes none of whose outputs is read (repeatedly). */
function pruneDead(g: Graph): void {
  for (;;) {
    const read = namesRead(g);
    const keep = g.node.filter((n) => n.output.some((o) => o && read.has(o)));
    if (keep.length === g.node.length) return;
    g.node = keep;
  }
}

/**
 * Rewrites a Whisper encoder's self-attention blocks into `com.microsoft.MultiHeadAttention` nodes (see
 * {@link EncoderAttentionRewrite}); undefined when the model cannot be parsed, keeps its weights in external
 * files, has subgraphs, or no block is laid out as expected.
 * @example
 * const r = rewriteEncoderAttention(await readFile('onnx/encoder_model_quantized.onnx'));
 * r?.layers; // 4 for tiny
 */
export function rewriteEncoderAttention(bytes: Uint8Array): EncoderAttentionRewrite | undefined {
  const model = decodeOnnxModel<Model>(bytes);
  if (!model) return undefined;
  const g = model.graph;
  if (!g || g.initializer.some((t) => t.dataLocation === EXTERNAL)) return undefined;
  if (g.node.some((n) => n.attribute.some((a) => a.g || (a.graphs?.length ?? 0) > 0))) return undefined;
  const ix = new Index(g);
  const replaced = new Map<Node, Node>();
  for (const n of g.node) {
    if (n.opType !== 'Softmax' || (n.domain ?? '') !== '') continue;
    const plan = planBlock(ix, n, replaced.size);
    if (plan) replaced.set(plan.replaced, plan.mha);
  }
  if (replaced.size === 0) return undefined;
  g.node = g.node.map((n) => replaced.get(n) ?? n);
  pruneDead(g);
  if (!model.opsetImport.some((o) => o.domain === MS_DOMAIN)) {
    model.opsetImport.push(onnxProto.onnx.OperatorSetIdProto.create({ domain: MS_DOMAIN, version: 1 }));
  }
  const quantized = g.node.some((n) => QUANTIZED_OPS.test(n.opType ?? ''));
  return {
    model: onnxProto.onnx.ModelProto.encode(model as unknown as onnxProto.onnx.IModelProto).finish(),
    layers: replaced.size,
    quantized,
  };
}
