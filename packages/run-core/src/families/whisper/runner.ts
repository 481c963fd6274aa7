import { ModelUnrecognizedError, TensorShapeError } from '../../errors.js';
import type { InferenceSession } from '../../session.js';
import { createTensor, type Tensor, type TensorInfo, type TensorType } from '../../tensor.js';
import { float16ToFloat32, float32ToFloat16 } from './float16.js';

const EXPORT_HINT = 'Export it with Optimum (task automatic-speech-recognition-with-past).';

/** The sessions of a Whisper model as Optimum exports it. */
export interface WhisperSessions {
  /** `encoder_model.onnx`: `input_features` → `last_hidden_state`. */
  readonly encoder: InferenceSession;
  /** `decoder_model_merged.onnx` (with `use_cache_branch`), or `decoder_model.onnx` of a split export. */
  readonly decoder: InferenceSession;
  /** `decoder_with_past_model.onnx` of a split export. */
  readonly decoderWithPast?: InferenceSession;
}

/** Options of a {@link WhisperRunner}. */
export interface WhisperRunnerOptions {
  /**
   * The cached decoder broadcasts batch-1 encoder K/V over the batch (its graph was rewritten by
   * `rewriteCrossAttention` and checked against the original). Default false.
   */
  readonly broadcastEncoderKv?: boolean;
}

/** Decoder KV cache for one batch of sequences. */
export interface DecoderState {
  /** Present/past tensors by input name (`past_key_values.N.decoder.key`…), null before the first step. */
  past: Map<string, Tensor> | null;
  batch: number;
  /** Buffers of `past` lent by the runner's pool (see {@link WhisperRunner.release}). */
  pooled?: (Float32Array | Uint16Array)[];
}

/**
 * Logits of one decoder run: `[batch, length, vocab]` as float32. `data` is the runtime's output buffer, owned by
 * the caller (decoding filters rows of it in place).
 */
export interface StepLogits {
  readonly data: Float32Array;
  readonly batch: number;
  readonly length: number;
  readonly vocab: number;
}

const USE_CACHE_FALSE = createTensor('bool', Uint8Array.of(0), [1]);
const USE_CACHE_TRUE = createTensor('bool', Uint8Array.of(1), [1]);

const PAST_RE = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;

function toType(t: Tensor, type: TensorType | 'unknown'): Tensor {
  if (type === 'unknown' || type === t.type) return t;
  if (type === 'float16' && t.type === 'float32')
    return createTensor('float16', float32ToFloat16(t.data as Float32Array), t.dims);
  if (type === 'float32' && t.type === 'float16')
    return createTensor('float32', float16ToFloat32(t.data as Uint16Array), t.dims);
  throw new TensorShapeError(`Cannot convert a ${t.type} tensor to ${type}.`);
}

function emptyOf(type: TensorType | 'unknown', dims: number[]): Tensor {
  return type === 'float16'
    ? createTensor('float16', new Uint16Array(0), dims)
    : createTensor('float32', new Float32Array(0), dims);
}

/** Most buffers a runner's pool keeps (the encoder K/V of one beam state: 2 per decoder layer). */
const POOL_MAX = 64;
/** How long a runner's pool keeps buffers nobody asked for. */
const POOL_KEEP_MS = 1000;

/** Gathers rows of dim 0 (into `into` when given: exactly `rows.length` rows long). */
function gatherRows(t: Tensor, rows: readonly number[], into?: Float32Array | Uint16Array): Tensor {
  const rowSize = t.data.length / (t.dims[0] as number);
  const Ctor = t.data.constructor as new (n: number) => Float32Array | Uint16Array;
  const out = into ?? new Ctor(rowSize * rows.length);
  const src = t.data as Float32Array | Uint16Array;
  rows.forEach((r, i) => out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return createTensor(t.type as 'float32', out as Float32Array, [rows.length, ...t.dims.slice(1)]);
}

/**
 * Row i becomes row `rows[i]` (rows of dim 0, `rows.length` = the batch), in place: only rows whose source is
 * another row are written, and a source that is itself overwritten is copied aside first.
 */
function reorderInPlace(t: Tensor, rows: readonly number[]): void {
  const data = t.data as Float32Array | Uint16Array;
  const rowSize = data.length / rows.length;
  const saved = new Map<number, Float32Array | Uint16Array>();
  rows.forEach((from, i) => {
    if (from !== i && rows[from] !== from && !saved.has(from))
      saved.set(from, data.slice(from * rowSize, (from + 1) * rowSize));
  });
  rows.forEach((from, i) => {
    if (from === i) return;
    data.set(saved.get(from) ?? data.subarray(from * rowSize, (from + 1) * rowSize), i * rowSize);
  });
}

/** Repeats a batch-1 tensor `n` times along dim 0. */
function repeatRows(t: Tensor, n: number): Tensor {
  const Ctor = t.data.constructor as new (len: number) => Float32Array | Uint16Array;
  const out = new Ctor(t.data.length * n);
  for (let i = 0; i < n; i++) out.set(t.data as Float32Array, i * t.data.length);
  return createTensor(t.type as 'float32', out as Float32Array, [n, ...t.dims.slice(1)]);
}

function logitsOf(out: Record<string, Tensor>): StepLogits {
  const logits = out.logits;
  if (!logits)
    throw new ModelUnrecognizedError({ model: 'Whisper decoder', found: 'it returned no logits', hint: EXPORT_HINT });
  const data = logits.type === 'float16' ? float16ToFloat32(logits.data as Uint16Array) : (logits.data as Float32Array);
  const [b, l, v] = logits.dims as [number, number, number];
  return { data, batch: b, length: l, vocab: v };
}

/**
 * Runs Whisper's encoder and decoder through run-core's {@link InferenceSession}: merged decoders (one graph with
 * a `use_cache_branch` switch) and split ones (`decoder` + `decoder_with_past`), float32 or float16 I/O.
 */
export class WhisperRunner {
  /** Whether a KV cache can be used (false: the full sequence is recomputed every step). */
  readonly hasCache: boolean;
  private readonly pastInputs: TensorInfo[];
  private readonly mode: 'merged' | 'split' | 'plain';
  private readonly featuresType: TensorType | 'unknown';
  private readonly hiddenType: TensorType | 'unknown';
  /**
   * Outputs fetched on cached steps: logits and the decoder self-attention presents. The encoder K/V presents
   * (`[batch, heads, 1500, headDim]` per layer, ~18 MB for tiny) never change after the first step, so they are not
   * copied out of the runtime again. Undefined: fetch everything (outputs not listed by the session).
   */
  private readonly cachedFetches: readonly string[] | undefined;
  /** Outputs fetched on a first (uncached) step: all but the cross-attentions. Undefined: fetch everything. */
  private readonly firstFetches: readonly string[] | undefined;
  /**
   * Decoder layers whose cross-attention weights the uncached decoder outputs (`cross_attentions.N`, as
   * transformers.js's Whisper exports for word timestamps); empty for plain Optimum exports.
   */
  readonly crossAttentionLayers: readonly number[];
  /** `present.N.x.y` → `past_key_values.N.x.y`. */
  private readonly pastNameOf = new Map<string, string>();
  /** Whether the encoder accepts several inputs at once. */
  readonly encoderBatchable: boolean;
  /**
   * Merged decoders only: whether the cached branch ignores `encoder_hidden_states` (it reads the encoder K/V from
   * the past inputs). Then cached steps are fed a `[batch, 1, d]` stand-in instead of the real `[batch, 1500, d]`
   * states: int8 exports quantize that input outside the branch on every step (~2.5 ms per step at batch 5 for
   * tiny). Undefined until the first cached step, which runs both ways once and compares the logits bit for bit.
   */
  private hiddenUnusedWhenCached: boolean | undefined;
  /** Stand-in `encoder_hidden_states` of cached steps, by batch. */
  private readonly hiddenStandIns = new Map<number, Tensor>();
  /** Buffers of repeated encoder K/V that ended states gave back (see {@link release}). */
  private readonly pool: (Float32Array | Uint16Array)[] = [];
  private poolTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last encoder output repeated to a batch (beam search passes batch-1 states): source, batch, result. */
  private repeated: { source: Tensor; batch: number; tensor: Tensor } | undefined;
  /**
   * Whether cached steps accept batch-1 encoder K/V for any batch (a decoder rewritten by
   * `rewriteCrossAttention`): a batch-1 state that grows into beams then keeps one copy instead of one per beam.
   */
  readonly broadcastsEncoderKv: boolean;

  constructor(
    private readonly sessions: WhisperSessions,
    options: WhisperRunnerOptions = {},
  ) {
    this.broadcastsEncoderKv = options.broadcastEncoderKv === true;
    const dec = sessions.decoder;
    const names = new Set(dec.inputs.map((i) => i.name));
    if (!names.has('input_ids')) {
      throw new ModelUnrecognizedError({
        model: 'Whisper decoder',
        found: `it has no 'input_ids' input (it has ${[...names].join(', ')})`,
        hint: EXPORT_HINT,
      });
    }
    const feat = sessions.encoder.inputs.find((i) => i.name === 'input_features');
    if (!feat) {
      throw new ModelUnrecognizedError({
        model: 'Whisper encoder',
        found: `it has no 'input_features' input (it has ${sessions.encoder.inputs.map((i) => i.name).join(', ')})`,
        hint: EXPORT_HINT,
      });
    }
    this.featuresType = feat.type;
    this.encoderBatchable = typeof feat.dims[0] !== 'number' || feat.dims[0] !== 1;
    this.hiddenType = dec.inputs.find((i) => i.name === 'encoder_hidden_states')?.type ?? 'unknown';
    if (names.has('use_cache_branch')) {
      this.mode = 'merged';
      this.pastInputs = dec.inputs.filter((i) => PAST_RE.test(i.name));
    } else if (sessions.decoderWithPast) {
      this.mode = 'split';
      this.pastInputs = sessions.decoderWithPast.inputs.filter((i) => PAST_RE.test(i.name));
    } else {
      this.mode = 'plain';
      this.pastInputs = [];
    }
    this.hasCache = this.mode !== 'plain';
    const cachedSession = this.mode === 'split' ? sessions.decoderWithPast : this.mode === 'merged' ? dec : undefined;
    const outNames = (cachedSession?.outputs ?? []).map((o) => o.name);
    for (const session of [dec, sessions.decoderWithPast]) {
      for (const o of session?.outputs ?? []) {
        if (o.name.startsWith('present.'))
          this.pastNameOf.set(o.name, o.name.replace(/^present\./, 'past_key_values.'));
      }
    }
    const wanted = outNames.filter((n) => n === 'logits' || (n.startsWith('present.') && !n.includes('.encoder.')));
    const pastCovered = this.pastInputs
      .filter((i) => !i.name.includes('.encoder.'))
      .every((i) => wanted.includes(i.name.replace(/^past_key_values\./, 'present.')));
    this.cachedFetches = wanted.includes('logits') && pastCovered ? wanted : undefined;
    const firstOutputs = dec.outputs.map((o) => o.name);
    this.crossAttentionLayers = firstOutputs
      .map((n) => /^cross_attentions\.(\d+)$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const plain = firstOutputs.filter((n) => !n.startsWith('cross_attentions.'));
    this.firstFetches = plain.length < firstOutputs.length && plain.includes('logits') ? plain : undefined;
  }

  /** Encodes `[batch, nMels, 3000]` features; returns `last_hidden_state` as the decoder wants it. */
  async encode(features: Float32Array, dims: readonly number[], signal?: AbortSignal): Promise<Tensor> {
    const input = toType(createTensor('float32', features, dims), this.featuresType);
    const out = await this.sessions.encoder.run({ input_features: input }, { signal });
    const hidden = out.last_hidden_state ?? Object.values(out)[0];
    if (!hidden)
      throw new ModelUnrecognizedError({ model: 'Whisper encoder', found: 'it returned no output', hint: EXPORT_HINT });
    return toType(hidden, this.hiddenType);
  }

  /** A fresh decoder state for `batch` sequences. */
  newState(batch: number): DecoderState {
    return { past: null, batch };
  }

  /** Repeats/reorders the cached sequences (beam search): row i of the new state is row `rows[i]` of the old. */
  reorder(state: DecoderState, rows: readonly number[]): void {
    if (!state.past) return;
    const identity = rows.length === state.batch && rows.every((r, i) => r === i);
    if (identity) return;
    for (const [name, t] of state.past) {
      if (name.includes('.encoder.')) {
        // Encoder K/V are the same for every beam of one audio: only the decoder self-attention cache moves.
        if (rows.length === state.batch) continue;
        // A decoder that broadcasts them keeps the one copy of a batch-1 state.
        if (this.broadcastsEncoderKv && t.dims[0] === 1) continue;
        // Repeating them into the beams (~92 MB for tiny at 5 beams) reuses buffers of earlier windows.
        const out = this.takePooled(t, rows.length);
        (state.pooled ??= []).push(out);
        state.past.set(name, gatherRows(t, rows, out));
      } else if (rows.length === state.batch) {
        // Same batch (a beam step): only the rows whose source changes are copied, in place.
        reorderInPlace(t, rows);
      } else {
        state.past.set(name, gatherRows(t, rows));
      }
    }
    state.batch = rows.length;
  }

  /**
   * Ends a decoder state: its cache is dropped and the buffers it borrowed go back to the runner's pool for the
   * next window (released for good after a second without use). The state can start again from scratch.
   */
  release(state: DecoderState): void {
    state.past = null;
    this.repeated = undefined;
    const lent = state.pooled;
    state.pooled = undefined;
    if (!lent || lent.length === 0) return;
    for (const b of lent) if (this.pool.length < POOL_MAX) this.pool.push(b);
    this.poolTimer?.refresh();
    this.poolTimer ??= setTimeout(() => {
      this.pool.length = 0;
      this.poolTimer = undefined;
    }, POOL_KEEP_MS).unref();
  }

  /** A buffer for `rows` rows of `t` (rows of dim 0), of its type, from the pool when one fits. */
  private takePooled(t: Tensor, rows: number): Float32Array | Uint16Array {
    const src = t.data as Float32Array | Uint16Array;
    const n = (src.length / (t.dims[0] as number)) * rows;
    const i = this.pool.findIndex((b) => b.length === n && b.constructor === src.constructor);
    if (i >= 0) return this.pool.splice(i, 1)[0] as Float32Array | Uint16Array;
    const Ctor = src.constructor as new (len: number) => Float32Array | Uint16Array;
    return new Ctor(n);
  }

  /**
   * Runs the decoder on new tokens (`ids[b]` for each sequence, same length). With `useCache` false or before the
   * first step, `ids` must be the whole sequence. Returns the logits of every new position.
   */
  async step(
    state: DecoderState,
    ids: readonly (readonly number[])[],
    encoderHidden: Tensor,
    options: { useCache?: boolean; signal?: AbortSignal } = {},
  ): Promise<StepLogits> {
    const out = await this.runDecoder(state, ids, encoderHidden, options);
    return logitsOf(out);
  }

  /**
   * One uncached decoder run over a whole sequence (batch 1) that also returns the cross-attention weights of the
   * given layers, as float32 `[1, heads, tokens, 1500]` tensors (softmax already applied). Throws
   * `ERR_RUN_MODEL_UNRECOGNIZED` when the export has no `cross_attentions.N` outputs.
   */
  async crossAttentions(
    ids: readonly number[],
    encoderHidden: Tensor,
    layers: readonly number[],
    signal?: AbortSignal,
  ): Promise<{ logits: StepLogits; attentions: Map<number, Tensor> }> {
    const missing = layers.filter((l) => !this.crossAttentionLayers.includes(l));
    if (missing.length > 0) {
      throw new ModelUnrecognizedError(
        {
          model: 'Whisper decoder',
          found: `it has no cross-attention output for layer(s) ${missing.join(', ')} (it has ${this.crossAttentionLayers.length > 0 ? this.crossAttentionLayers.join(', ') : 'none'})`,
          hint: 'Export it with output_attentions (see docs/speech.md).',
        },
        { details: { missing } },
      );
    }
    const names = layers.map((l) => `cross_attentions.${l}`);
    const out = await this.runDecoder(this.newState(1), [ids], encoderHidden, {
      useCache: false,
      outputNames: ['logits', ...names],
      ...(signal ? { signal } : {}),
    });
    const attentions = new Map<number, Tensor>();
    layers.forEach((l, i) => {
      const t = out[names[i] as string];
      if (!t)
        throw new ModelUnrecognizedError({
          model: 'Whisper decoder',
          found: `it returned no '${names[i]}'`,
          hint: EXPORT_HINT,
        });
      attentions.set(l, toType(t, 'float32'));
    });
    return { logits: logitsOf(out), attentions };
  }

  private async runDecoder(
    state: DecoderState,
    ids: readonly (readonly number[])[],
    encoderHidden: Tensor,
    options: { useCache?: boolean; signal?: AbortSignal; outputNames?: readonly string[] },
  ): Promise<Record<string, Tensor>> {
    const batch = ids.length;
    const len = ids[0]?.length ?? 0;
    const flat = new BigInt64Array(batch * len);
    for (let b = 0; b < batch; b++) {
      const row = ids[b] as readonly number[];
      for (let i = 0; i < len; i++) flat[b * len + i] = BigInt(row[i] as number);
    }
    const inputIds = createTensor('int64', flat, [batch, len]);
    const useCache = (options.useCache ?? true) && this.hasCache;
    const first = !useCache || state.past === null;
    const fetches = options.outputNames ?? (first ? this.firstFetches : this.cachedFetches);
    const runOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(fetches ? { outputNames: fetches } : {}),
    };
    let out: Record<string, Tensor>;
    if (this.mode === 'merged') {
      const feeds: Record<string, Tensor> = {
        input_ids: inputIds,
        encoder_hidden_states: first ? this.hiddenFor(encoderHidden, batch) : this.standIn(encoderHidden, batch),
        use_cache_branch: first ? USE_CACHE_FALSE : USE_CACHE_TRUE,
      };
      for (const info of this.pastInputs) {
        const cached = first ? undefined : state.past?.get(info.name);
        feeds[info.name] = cached ?? emptyOf(info.type, this.emptyDims(info, batch, encoderHidden));
      }
      if (first || this.hiddenUnusedWhenCached !== undefined) {
        out = await this.sessions.decoder.run(feeds, runOptions);
      } else {
        out = await this.checkStandIn(feeds, encoderHidden, batch, runOptions);
      }
    } else if (this.mode === 'split' && !first) {
      const dec = this.sessions.decoderWithPast as InferenceSession;
      const feeds: Record<string, Tensor> = { input_ids: inputIds };
      if (dec.inputs.some((i) => i.name === 'encoder_hidden_states'))
        feeds.encoder_hidden_states = this.hiddenFor(encoderHidden, batch);
      for (const info of this.pastInputs) feeds[info.name] = state.past?.get(info.name) as Tensor;
      out = await dec.run(feeds, runOptions);
    } else {
      out = await this.sessions.decoder.run(
        { input_ids: inputIds, encoder_hidden_states: this.hiddenFor(encoderHidden, batch) },
        runOptions,
      );
    }
    if (useCache) {
      // The runtime's present tensors become the next step's past inputs as they are (no copy, no conversion).
      const next = first ? new Map<string, Tensor>() : (state.past as Map<string, Tensor>);
      for (const name in out) {
        const pastName =
          this.pastNameOf.get(name) ??
          (name.startsWith('present.') ? name.replace(/^present\./, 'past_key_values.') : undefined);
        if (pastName === undefined) continue;
        // After the first step the encoder K/V never change (merged graphs echo them or return empties).
        if (!first && pastName.includes('.encoder.')) continue;
        next.set(pastName, out[name] as Tensor);
      }
      state.past = next;
    }
    state.batch = batch;
    return out;
  }

  /** The encoder states for a batch: as given, or a batch-1 tensor repeated (kept for the next steps). */
  private hiddenFor(hidden: Tensor, batch: number): Tensor {
    const have = hidden.dims[0] as number;
    if (have === batch || have !== 1) return hidden;
    const r = this.repeated;
    if (r && r.source === hidden && r.batch === batch) return r.tensor;
    const tensor = repeatRows(hidden, batch);
    this.repeated = { source: hidden, batch, tensor };
    return tensor;
  }

  /** Cached merged steps: `[batch, 1, d]` zeros in place of the encoder states, or the real ones if they matter. */
  private standIn(hidden: Tensor, batch: number): Tensor {
    if (this.hiddenUnusedWhenCached === false) return this.hiddenFor(hidden, batch);
    let t = this.hiddenStandIns.get(batch);
    if (!t) {
      const d = hidden.dims[2] as number;
      t =
        hidden.type === 'float16'
          ? createTensor('float16', new Uint16Array(batch * d), [batch, 1, d])
          : createTensor('float32', new Float32Array(batch * d), [batch, 1, d]);
      this.hiddenStandIns.set(batch, t);
    }
    return t;
  }

  /**
   * The first cached step of this runner: runs it with the stand-in and with the real encoder states, and keeps
   * the stand-in for later steps only if every logit is the same bit for bit. Returns the real run's outputs.
   */
  private async checkStandIn(
    feeds: Record<string, Tensor>,
    hidden: Tensor,
    batch: number,
    runOptions: { signal?: AbortSignal; outputNames?: readonly string[] },
  ): Promise<Record<string, Tensor>> {
    const withStandIn = await this.sessions.decoder.run(feeds, runOptions);
    const real = await this.sessions.decoder.run(
      { ...feeds, encoder_hidden_states: this.hiddenFor(hidden, batch) },
      runOptions,
    );
    const a = withStandIn.logits?.data;
    const b = real.logits?.data;
    let same = a !== undefined && b !== undefined && a.length === b.length;
    if (same && a && b) {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < x.length; i++) {
        if (x[i] !== y[i]) {
          same = false;
          break;
        }
      }
    }
    this.hiddenUnusedWhenCached = same;
    return real;
  }

  private emptyDims(info: TensorInfo, batch: number, encoderHidden: Tensor): number[] {
    const dims = info.dims.map((d) => (typeof d === 'number' ? d : -1));
    const heads = dims[1] ?? -1;
    const headDim = dims[3] ?? -1;
    if (heads < 0 || headDim < 0) {
      const d = encoderHidden.dims[2] as number;
      throw new ModelUnrecognizedError({
        model: 'Whisper decoder',
        found: `the head count of '${info.name}' cannot be told (dims [${info.dims.join(', ')}], d_model ${d})`,
        hint: EXPORT_HINT,
      });
    }
    return [batch, heads, 0, headDim];
  }
}
