import onnxProto from 'onnx-proto';
import { decodeOnnxModel, type OnnxNodeView } from '../../io/onnx-decode.js';

/**
 * Rewrites the cross-attention of a Whisper decoder's cached steps (the `use_cache_branch` branch of a merged
 * Optimum export, or a split `decoder_with_past` graph) so that one batch-1 copy of the encoder K/V serves every
 * row of the batch: beam search then feeds `past_key_values.N.encoder.*` once instead of once per beam (for tiny at
 * 5 beams, 92 MB less memory traffic per step).
 *
 * The exported graph reshapes the K/V with the query's batch (`Reshape(K, [B·heads, -1, headDim])`), so a batch-1
 * K/V would silently take a wrong shape. Each layer's two attention products become 4-D MatMuls that broadcast
 * over the batch instead: `[B, heads, T, headDim] × [1 or B, heads, headDim, S]` and `[B, heads, T, S] ×
 * [1 or B, heads, S, headDim]`, with the query and the attention weights unfolded from `[B·heads, …]` before and
 * the products folded back after; every other node is left as it is. The same matrices are multiplied by the same
 * kernels (only the batch offsets differ), and `load-whisper.ts` checks at load that the logits are bit-identical
 * (the original graph is kept otherwise).
 */
export interface CrossAttentionRewrite {
  /** The rewritten model's bytes. */
  readonly model: Uint8Array;
  /** How many decoder layers were rewritten. */
  readonly layers: number;
}

/** The fields of decoded ONNX messages used here (see `OnnxNodeView`). */
type Node = OnnxNodeView<Graph>;
interface ValueInfo {
  name?: string | null;
  type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown }[] } | null } | null } | null;
}
interface Graph {
  node: Node[];
  input: ValueInfo[];
  output: ValueInfo[];
  initializer: { dataLocation?: number | null }[];
}
interface Model {
  graph?: Graph | null;
}

const PAST_ENCODER_RE = /^past_key_values\.(\d+)\.encoder\.(key|value)$/;
const EXTERNAL = 1;
const INT64 = 7;
const PREFIX = 'llama_pajamas/cross_attention';

const num = (v: unknown): number => Number((v as { toString(): string } | undefined)?.toString() ?? NaN);

/** The int64 values of a Constant node's `value` tensor (raw bytes or int64_data). */
function constantInts(n: Node | undefined): number[] | undefined {
  if (!n || n.opType !== 'Constant' || (n.domain ?? '') !== '') return undefined;
  const t = n.attribute.find((a) => a.name === 'value')?.t;
  if (!t || t.dataType !== INT64) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  return (t.int64Data ?? []).map(num);
}

/** Every tensor name the graph's nodes read, nested graphs included (outer-scope names count as reads). */
function namesRead(g: Graph, into = new Set<string>()): Set<string> {
  for (const n of g.node) {
    for (const i of n.input) if (i) into.add(i);
    for (const a of n.attribute) for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) namesRead(sub, into);
  }
  return into;
}

/** Builds the ONNX nodes of one rewrite (unique names, shared int64 constants per graph). */
class Emitter {
  private count = 0;
  private readonly constants = new Map<string, string>();
  /** Constant nodes to add at the front of the graph. */
  readonly front: Node[] = [];

  constructor(private readonly tag: string) {}

  name(what: string): string {
    return `${PREFIX}/${this.tag}/${what}_${this.count++}`;
  }

  node(opType: string, input: string[], output: string[], attribute: object[] = []): Node {
    return onnxProto.onnx.NodeProto.create({
      name: this.name(opType),
      opType,
      input,
      output,
      attribute,
    }) as unknown as Node;
  }

  /** A 1-D int64 constant (scalar when `scalar`), created once per graph. */
  ints(values: number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
    const have = this.constants.get(key);
    if (have) return have;
    const out = this.name('const');
    const data = BigInt64Array.from(values.map(BigInt));
    const value = onnxProto.onnx.TensorProto.create({
      dims: scalar ? [] : [values.length],
      dataType: INT64,
      rawData: new Uint8Array(data.buffer),
    });
    this.front.push(this.node('Constant', [], [out], [{ name: 'value', type: 4, t: value }]));
    this.constants.set(key, out);
    return out;
  }

  /** `x` `[B·heads, a, b]` reshaped to `[B, heads, a, b]`. */
  unfold(x: string, heads: number, out: Node[]): string {
    const shape = this.name('shape');
    const tail = this.name('tail');
    const dims = this.name('dims');
    const y = this.name('unfolded');
    out.push(
      this.node('Shape', [x], [shape]),
      this.node('Slice', [shape, this.ints([1]), this.ints([3])], [tail]),
      this.node('Concat', [this.ints([-1, heads]), tail], [dims], [{ name: 'axis', type: 2, i: 0 }]),
      this.node('Reshape', [x, dims], [y]),
    );
    return y;
  }

  /** `x` `[B, heads, a, b]` reshaped to `[B·heads, a, b]`, written to `name`. */
  fold(x: string, name: string, out: Node[]): void {
    const shape = this.name('shape');
    const tail = this.name('tail');
    const dims = this.name('dims');
    out.push(
      this.node('Shape', [x], [shape]),
      this.node('Slice', [shape, this.ints([2]), this.ints([4])], [tail]),
      this.node('Concat', [this.ints([-1]), tail], [dims], [{ name: 'axis', type: 2, i: 0 }]),
      this.node('Reshape', [x, dims], [name]),
    );
  }
}

/** Nodes replacing one layer's cross-attention products, by the index of the node each one replaces. */
type Plan = Map<Node, Node[]>;

/**
 * Plans the rewrite of one decoder layer in `g` (its encoder K/V read as `key`/`value`); undefined when the
 * layer is not laid out as the Optimum export lays it out.
 */
function planLayer(
  g: Graph,
  consumers: Map<string, Node[]>,
  key: string,
  value: string,
  heads: number,
  emit: Emitter,
): Plan | undefined {
  const only = (name: string): Node | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 ? c[0] : undefined;
  };
  const isOp = (n: Node | undefined, op: string): n is Node => !!n && n.opType === op && (n.domain ?? '') === '';
  const producer = new Map<string, Node>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  // K: Reshape(key) → Transpose([0, 2, 1]) → MatMul(q, ·); the reshaped K's Shape feeds Gathers of dims ≥ 1.
  const r2 = only(key);
  if (!isOp(r2, 'Reshape') || r2.input[0] !== key) return undefined;
  const r2Users = consumers.get(r2.output[0] as string) ?? [];
  const t1 = r2Users.find((n) => n.opType === 'Transpose');
  const perm = t1?.attribute.find((a) => a.name === 'perm')?.ints?.map(num);
  if (!isOp(t1, 'Transpose') || perm?.join() !== '0,2,1') return undefined;
  const shapes = r2Users.filter((n) => n !== t1);
  if (shapes.some((n) => !isOp(n, 'Shape') || n.attribute.length > 0)) return undefined;
  const mm = only(t1.output[0] as string);
  if (!isOp(mm, 'MatMul') || mm.input[1] !== t1.output[0]) return undefined;
  // V: Reshape(value) → MatMul(weights, ·).
  const r3 = only(value);
  if (!isOp(r3, 'Reshape') || r3.input[0] !== value) return undefined;
  const mm1 = only(r3.output[0] as string);
  if (!isOp(mm1, 'MatMul') || mm1.input[1] !== r3.output[0]) return undefined;

  const plan: Plan = new Map();
  plan.set(r2, []);
  plan.set(r3, []);
  // The reshaped K was `[B·heads, S, headDim]`; the K input is `[B, heads, S, headDim]`: dim i becomes dim i + 1.
  for (const s of shapes) {
    const kShape = emit.name('key_shape');
    plan.set(s, [emit.node('Shape', [key], [kShape])]);
    for (const gather of consumers.get(s.output[0] as string) ?? []) {
      if (!isOp(gather, 'Gather') || gather.input[0] !== s.output[0]) return undefined;
      const axis = num(gather.attribute.find((a) => a.name === 'axis')?.i ?? 0);
      const index = constantInts(producer.get(gather.input[1] as string));
      if (axis !== 0 || index?.length !== 1 || !((index[0] as number) >= 1 && (index[0] as number) <= 2)) {
        return undefined;
      }
      const scalar = (producer.get(gather.input[1] as string)?.attribute[0]?.t?.dims ?? []).length === 0;
      plan.set(gather, [
        emit.node(
          'Gather',
          [kShape, emit.ints([(index[0] as number) + 1], scalar)],
          [...gather.output],
          [{ name: 'axis', type: 2, i: 0 }],
        ),
      ]);
    }
  }
  const kt = emit.name('key_t');
  plan.set(t1, [emit.node('Transpose', [key], [kt], [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }])]);
  const scores: Node[] = [];
  const q4 = emit.unfold(mm.input[0] as string, heads, scores);
  const s4 = emit.name('scores');
  scores.push(emit.node('MatMul', [q4, kt], [s4]));
  emit.fold(s4, mm.output[0] as string, scores);
  plan.set(mm, scores);
  const mixed: Node[] = [];
  const p4 = emit.unfold(mm1.input[0] as string, heads, mixed);
  const o4 = emit.name('mixed');
  mixed.push(emit.node('MatMul', [p4, value], [o4]));
  emit.fold(o4, mm1.output[0] as string, mixed);
  plan.set(mm1, mixed);
  return plan;
}

/** Drops nodes (without nested graphs) whose outputs nothing reads, until none is left. */
function pruneDead(g: Graph): void {
  for (;;) {
    const read = namesRead(g);
    for (const o of g.output) if (o.name) read.add(o.name);
    const keep = g.node.filter(
      (n) => n.attribute.some((a) => a.g || (a.graphs?.length ?? 0) > 0) || n.output.some((o) => o && read.has(o)),
    );
    if (keep.length === g.node.length) return;
    g.node = keep;
  }
}

/**
 * Rewrites the graph(s) of a Whisper decoder that read `past_key_values.N.encoder.*` (see
 * {@link CrossAttentionRewrite}); undefined when the model cannot be parsed, keeps its weights in external files,
 * or any layer's cross-attention is not laid out as expected (the model is then used as it is).
 */
export function rewriteCrossAttention(bytes: Uint8Array): CrossAttentionRewrite | undefined {
  const { onnx } = onnxProto;
  const model = decodeOnnxModel<Model>(bytes);
  if (!model) return undefined;
  const top = model.graph;
  if (!top) return undefined;
  const graphs: Graph[] = [top];
  for (const n of top.node) for (const a of n.attribute) if (a.g) graphs.push(a.g);
  const external = (g: Graph): boolean =>
    g.initializer.some((t) => t.dataLocation === EXTERNAL) ||
    g.node.some((n) => n.attribute.some((a) => (a.g && external(a.g)) || (a.graphs ?? []).some(external)));
  if (external(top)) return undefined;
  // Heads per layer, from the declared K/V inputs (`[batch, heads, S, headDim]`).
  const heads = new Map<number, number>();
  for (const i of top.input) {
    const m = PAST_ENCODER_RE.exec(i.name ?? '');
    const h = num(i.type?.tensorType?.shape?.dim?.[1]?.dimValue);
    if (m && Number.isInteger(h) && h > 0) heads.set(Number(m[1]), h);
  }
  if (heads.size === 0) return undefined;
  let layers = 0;
  graphs.forEach((g, gi) => {
    const consumers = new Map<string, Node[]>();
    for (const n of g.node) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    const emit = new Emitter(`g${gi}`);
    const plan: Plan = new Map();
    for (const [layer, h] of heads) {
      const key = `past_key_values.${layer}.encoder.key`;
      const value = `past_key_values.${layer}.encoder.value`;
      if (!consumers.has(key) && !consumers.has(value)) continue;
      const p = planLayer(g, consumers, key, value, h, emit);
      if (!p) {
        layers = -Infinity;
        return;
      }
      for (const [n, r] of p) plan.set(n, r);
      layers++;
    }
    if (plan.size === 0) return;
    g.node = [...emit.front, ...g.node.flatMap((n) => plan.get(n) ?? [n])];
    pruneDead(g);
  });
  if (!(layers > 0)) return undefined;
  return { model: onnx.ModelProto.encode(model).finish(), layers };
}
