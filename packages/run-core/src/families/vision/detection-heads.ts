import { ModelOutputMismatchError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { HEAD_LAYOUTS, gridCellCount, type DetectionHead } from './head-layouts.js';

/** Candidate boxes before NMS, in model-input pixels (xyxy). */
export interface DetectionCandidates {
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  count: number;
}

/** What a decoder needs besides the output tensor. */
export interface DecodeContext {
  /** Model input width and height (pixels). */
  inputWidth: number;
  inputHeight: number;
  /** Minimum score kept. */
  confidence: number;
  /** When set, only these class ids are kept (index = class id). */
  classMask?: Uint8Array | undefined;
  /** Strides of the YOLOX grid (default 8, 16, 32). */
  strides?: readonly number[];
  /** The model's id, for error messages. */
  modelId?: string;
}

class CandidateBuffer {
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  count = 0;

  constructor(capacity: number) {
    const c = Math.max(16, capacity);
    this.boxes = new Float32Array(c * 4);
    this.scores = new Float32Array(c);
    this.classIds = new Int32Array(c);
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    const o = i * 4;
    this.boxes[o] = x1;
    this.boxes[o + 1] = y1;
    this.boxes[o + 2] = x2;
    this.boxes[o + 3] = y2;
    this.scores[i] = score;
    this.classIds[i] = classId;
  }

  private grow(): void {
    const c = this.scores.length * 2;
    const boxes = new Float32Array(c * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(c);
    scores.set(this.scores);
    const classIds = new Int32Array(c);
    classIds.set(this.classIds);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
  }

  result(): DetectionCandidates {
    return {
      boxes: this.boxes.subarray(0, this.count * 4),
      scores: this.scores.subarray(0, this.count),
      classIds: this.classIds.subarray(0, this.count),
      count: this.count,
    };
  }
}

function mismatch(
  head: DetectionHead,
  dims: readonly number[],
  model: string | undefined,
  what = HEAD_LAYOUTS[head].layout,
): ModelOutputMismatchError {
  return new ModelOutputMismatchError(
    {
      model: model ?? 'detector',
      found: `the output is [${dims.join(', ')}]`,
      expected: `a ${head} output ${what}`,
      hint: 'Check that the model is the family it was loaded as, or set the family in a llama-pajamas.json manifest.',
    },
    { details: { head, dims: [...dims] } },
  );
}

function floatData(t: Tensor, head: DetectionHead, model: string | undefined): Float32Array {
  if (t.type !== 'float32') {
    throw new ModelOutputMismatchError(
      { model: model ?? 'detector', found: `its ${head} output is ${t.type}`, expected: 'float32' },
      { details: { head, type: t.type } },
    );
  }
  return t.data as Float32Array;
}

/** `[B, 4+nc, N]`: per anchor the best class among rows 4.., boxes cx,cy,w,h. Memory is walked row by row. */
function decodeUltralytics(t: Tensor, b: number, ctx: DecodeContext): DetectionCandidates {
  const [, rows, n] = t.dims as [number, number, number];
  if (t.dims.length !== 3 || rows < 5) throw mismatch('ultralytics', t.dims, ctx.modelId);
  const data = floatData(t, 'ultralytics', ctx.modelId);
  const base = b * rows * n;
  const nc = rows - 4;
  const best = new Float32Array(n).fill(-Infinity);
  const bestClass = new Int32Array(n);
  const conf = ctx.confidence;
  for (let c = 0; c < nc; c++) {
    if (ctx.classMask && ctx.classMask[c] !== 1) continue;
    const row = base + (4 + c) * n;
    for (let a = 0; a < n; a++) {
      const s = data[row + a] as number;
      // Scores under the threshold can never make a candidate: skip them before touching best[] (most are).
      if (s >= conf && s > (best[a] as number)) {
        best[a] = s;
        bestClass[a] = c;
      }
    }
  }
  const out = new CandidateBuffer(64);
  for (let a = 0; a < n; a++) {
    const s = best[a] as number;
    if (!(s >= conf)) continue;
    const cx = data[base + a] as number;
    const cy = data[base + n + a] as number;
    const w = data[base + 2 * n + a] as number;
    const h = data[base + 3 * n + a] as number;
    out.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, s, bestClass[a] as number);
  }
  return out.result();
}

/** `[B, N, 5+nc]` rows; YOLOX rows are grid-decoded first. Score = objectness × best class score. */
function decodeRows(t: Tensor, b: number, ctx: DecodeContext, head: 'yolov5' | 'yolox'): DetectionCandidates {
  const [, n, cols] = t.dims as [number, number, number];
  if (t.dims.length !== 3 || cols < 6) throw mismatch(head, t.dims, ctx.modelId);
  const data = floatData(t, head, ctx.modelId);
  const nc = cols - 5;
  const base = b * n * cols;
  // YOLOX grid: for each stride, cells row-major (x fastest).
  let gx: Int32Array | undefined;
  let gy: Int32Array | undefined;
  let gs: Int32Array | undefined;
  if (head === 'yolox') {
    const strides = ctx.strides ?? [8, 16, 32];
    const expected = gridCellCount(ctx.inputWidth, ctx.inputHeight, strides);
    if (expected !== n) {
      throw mismatch(
        head,
        t.dims,
        ctx.modelId,
        `${expected} anchors (the grid cells of a ${ctx.inputWidth}x${ctx.inputHeight} input at strides ${strides.join('/')})`,
      );
    }
    gx = new Int32Array(n);
    gy = new Int32Array(n);
    gs = new Int32Array(n);
    let k = 0;
    for (const s of strides) {
      const hs = Math.ceil(ctx.inputHeight / s);
      const ws = Math.ceil(ctx.inputWidth / s);
      for (let y = 0; y < hs; y++) {
        for (let x = 0; x < ws; x++, k++) {
          gx[k] = x;
          gy[k] = y;
          gs[k] = s;
        }
      }
    }
  }
  const out = new CandidateBuffer(64);
  const conf = ctx.confidence;
  for (let a = 0; a < n; a++) {
    const o = base + a * cols;
    const obj = data[o + 4] as number;
    if (!(obj >= conf)) continue; // score = obj * cls <= obj
    let best = -Infinity;
    let bestC = 0;
    for (let c = 0; c < nc; c++) {
      if (ctx.classMask && ctx.classMask[c] !== 1) continue;
      const s = data[o + 5 + c] as number;
      if (s > best) {
        best = s;
        bestC = c;
      }
    }
    const score = obj * best;
    if (!(score >= conf)) continue;
    let cx = data[o] as number;
    let cy = data[o + 1] as number;
    let w = data[o + 2] as number;
    let h = data[o + 3] as number;
    if (gs) {
      const s = gs[a] as number;
      cx = (cx + (gx![a] as number)) * s;
      cy = (cy + (gy![a] as number)) * s;
      w = Math.exp(w) * s;
      h = Math.exp(h) * s;
    }
    out.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, bestC);
  }
  return out.result();
}

/** `[B, maxDet, 6]` rows x1, y1, x2, y2, score, class (already suppressed by the model). */
function decodeNms(t: Tensor, b: number, ctx: DecodeContext): DetectionCandidates {
  const [, n, cols] = t.dims as [number, number, number];
  if (t.dims.length !== 3 || cols < 6) throw mismatch('ultralytics-nms', t.dims, ctx.modelId);
  const data = floatData(t, 'ultralytics-nms', ctx.modelId);
  const out = new CandidateBuffer(n);
  const base = b * n * cols;
  for (let a = 0; a < n; a++) {
    const o = base + a * cols;
    const score = data[o + 4] as number;
    if (!(score >= ctx.confidence)) continue;
    const c = Math.round(data[o + 5] as number);
    if (ctx.classMask && ctx.classMask[c] !== 1) continue;
    out.push(data[o] as number, data[o + 1] as number, data[o + 2] as number, data[o + 3] as number, score, c);
  }
  return out.result();
}

/** FastestDet `[B, 5+nc, h, w]`: score = obj^0.6 × cls^0.4; centre = (cell + tanh(offset)) / grid. */
function decodeFastestDet(t: Tensor, b: number, ctx: DecodeContext): DetectionCandidates {
  const [, ch, gh, gw] = t.dims as [number, number, number, number];
  if (t.dims.length !== 4 || ch < 6) throw mismatch('fastestdet', t.dims, ctx.modelId);
  const data = floatData(t, 'fastestdet', ctx.modelId);
  const plane = gh * gw;
  const base = b * ch * plane;
  const nc = ch - 5;
  const out = new CandidateBuffer(64);
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const p = base + y * gw + x;
      const obj = data[p] as number;
      let best = -Infinity;
      let bestC = 0;
      for (let c = 0; c < nc; c++) {
        if (ctx.classMask && ctx.classMask[c] !== 1) continue;
        const s = data[p + (5 + c) * plane] as number;
        if (s > best) {
          best = s;
          bestC = c;
        }
      }
      const score = Math.pow(Math.max(obj, 0), 0.6) * Math.pow(Math.max(best, 0), 0.4);
      if (!(score >= ctx.confidence)) continue;
      const cx = ((x + Math.tanh(data[p + plane] as number)) / gw) * ctx.inputWidth;
      const cy = ((y + Math.tanh(data[p + 2 * plane] as number)) / gh) * ctx.inputHeight;
      const w = (1 / (1 + Math.exp(-(data[p + 3 * plane] as number)))) * ctx.inputWidth;
      const h = (1 / (1 + Math.exp(-(data[p + 4 * plane] as number)))) * ctx.inputHeight;
      out.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, bestC);
    }
  }
  return out.result();
}

/**
 * Decodes image `b` of a detector's output into candidate boxes (model-input pixels, xyxy) with their best class,
 * keeping scores ≥ `ctx.confidence`. Throws {@link ModelOutputMismatchError} when the dims do not fit the head.
 * @example
 * const c = decodeDetections('ultralytics', outputs.output0, 0, { inputWidth: 640, inputHeight: 640, confidence: 0.25 });
 * // { count: 41, boxes: Float32Array(164), scores: Float32Array(41), classIds: Int32Array(41) }
 */
export function decodeDetections(head: DetectionHead, t: Tensor, b: number, ctx: DecodeContext): DetectionCandidates {
  const batch = t.dims[0];
  if (batch === undefined || b >= batch)
    throw mismatch(head, t.dims, ctx.modelId, `a batch dimension larger than ${b}`);
  switch (head) {
    case 'ultralytics':
      return decodeUltralytics(t, b, ctx);
    case 'yolov5':
    case 'yolox':
      return decodeRows(t, b, ctx, head);
    case 'ultralytics-nms':
      return decodeNms(t, b, ctx);
    case 'fastestdet':
      return decodeFastestDet(t, b, ctx);
  }
}
