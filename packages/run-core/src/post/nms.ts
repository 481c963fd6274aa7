import { InvalidArgumentError, invalidParameter } from '../errors.js';
import type { BoundingBox } from '../types/vision.js';

/** Options of {@link nms}. */
export interface NmsOptions {
  /** A box whose IoU with a kept box is above this is suppressed (0-1). */
  iouThreshold: number;
  /** Keep at most this many boxes (default: no limit). */
  maxDetections?: number;
  /** Suppress across classes instead of only within a class (default false). */
  agnostic?: boolean;
}

/**
 * Intersection over union of two xyxy boxes (0 when either has no area).
 * @example
 * boxIou({ x1: 0, y1: 0, x2: 2, y2: 2 }, { x1: 1, y1: 0, x2: 3, y2: 2 }); // 0.3333
 */
export function boxIou(a: BoundingBox, b: BoundingBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  const areaA = Math.max(0, a.x2 - a.x1) * Math.max(0, a.y2 - a.y1);
  const areaB = Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Sorts `indices` by score, best first, equal scores by lower index. */
function sortByScore(indices: number[], scores: ArrayLike<number>): void {
  indices.sort((i, j) => (scores[j] as number) - (scores[i] as number) || i - j);
}

/**
 * Greedy non-maximum suppression on xyxy boxes (`boxes` holds N*4 values), class-aware unless `agnostic`
 * (torchvision `batched_nms` semantics: a box is dropped when its IoU with a kept box of the same class is
 * above `iouThreshold`). NaN scores are dropped. Returns the kept indices, best first.
 * @example
 * nms(new Float32Array([0, 0, 10, 10, 1, 1, 11, 11]), new Float32Array([0.9, 0.8]), [0, 0], { iouThreshold: 0.5 });
 * // [0]
 */
export function nms(
  boxes: Float32Array,
  scores: Float32Array,
  classIds: Int32Array | Uint16Array | number[],
  options: NmsOptions,
): number[] {
  const n = scores.length;
  if (boxes.length !== n * 4) {
    throw new InvalidArgumentError(
      `Expected boxes to hold 4 values per score (${n * 4}) but it holds ${boxes.length}.`,
      { details: { param: 'boxes' } },
    );
  }
  if (classIds.length !== n) {
    throw new InvalidArgumentError(`Expected ${n} class ids (one per score) but received ${classIds.length}.`, {
      details: { param: 'classIds' },
    });
  }
  const { iouThreshold, agnostic = false } = options;
  if (typeof iouThreshold !== 'number' || !(iouThreshold >= 0 && iouThreshold <= 1)) {
    throw invalidParameter('options.iouThreshold', 'a number from 0 to 1', iouThreshold);
  }
  const maxDetections = options.maxDetections ?? Infinity;
  if (maxDetections !== Infinity && (!Number.isInteger(maxDetections) || maxDetections < 0)) {
    throw invalidParameter('options.maxDetections', 'a non-negative integer', maxDetections);
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(scores[i]!)) order.push(i);
  sortByScore(order, scores);
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = i * 4;
    areas[i] =
      Math.max(0, (boxes[b + 2] as number) - (boxes[b] as number)) *
      Math.max(0, (boxes[b + 3] as number) - (boxes[b + 1] as number));
  }
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < order.length && keep.length < maxDetections; oi++) {
    const i = order[oi] as number;
    if (suppressed[i]) continue;
    keep.push(i);
    const bi = i * 4;
    const x1 = boxes[bi] as number;
    const y1 = boxes[bi + 1] as number;
    const x2 = boxes[bi + 2] as number;
    const y2 = boxes[bi + 3] as number;
    const ai = areas[i] as number;
    const ci = classIds[i] as number;
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj] as number;
      if (suppressed[j] || (!agnostic && classIds[j] !== ci)) continue;
      const bj = j * 4;
      const iw = Math.min(x2, boxes[bj + 2] as number) - Math.max(x1, boxes[bj] as number);
      if (iw <= 0) continue;
      const ih = Math.min(y2, boxes[bj + 3] as number) - Math.max(y1, boxes[bj + 1] as number);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = ai + (areas[j] as number) - inter;
      if (union > 0 && inter / union > iouThreshold) suppressed[j] = 1;
    }
  }
  return keep;
}

/** Options of {@link filterDetections}. */
export interface FilterDetectionsOptions {
  /** Minimum score kept (default 0.25). */
  confidence?: number;
  /** NMS IoU threshold (default 0.45). */
  iou?: number;
  /** At most this many results, best first (default 300). */
  maxDetections?: number;
  /** Keep only these class ids. */
  classes?: readonly number[];
  /** Suppress across classes (default false). */
  agnostic?: boolean;
  /** Only the best this many candidates above `confidence` go into NMS (default 30000, as Ultralytics `max_nms`). */
  maxCandidates?: number;
}

/**
 * Confidence threshold, class filter, NMS and `maxDetections` in one step, the tail every detector shares.
 * Returns kept indices into the candidate arrays, best first.
 * @example
 * filterDetections(boxes, scores, classIds, { confidence: 0.25, iou: 0.45, classes: [0] });
 * // [12, 3] (indices of the kept person boxes)
 */
export function filterDetections(
  boxes: Float32Array,
  scores: Float32Array,
  classIds: Int32Array | Uint16Array | number[],
  options: FilterDetectionsOptions = {},
): number[] {
  const { confidence = 0.25, iou = 0.45, maxDetections = 300, agnostic = false, maxCandidates = 30000 } = options;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw invalidParameter('options.confidence', 'a number from 0 to 1', confidence);
  }
  if (!Number.isInteger(maxCandidates) || maxCandidates < 1) {
    throw invalidParameter('options.maxCandidates', 'a positive integer', maxCandidates);
  }
  const n = scores.length;
  if (boxes.length !== n * 4 || classIds.length !== n) {
    throw new InvalidArgumentError(
      `Expected ${n * 4} box values and ${n} class ids for ${n} scores but received ${boxes.length} and ${classIds.length}.`,
      { details: { param: 'boxes' } },
    );
  }
  const allowed = options.classes === undefined ? undefined : new Set(options.classes);
  let candidates: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    if (s >= confidence && (allowed === undefined || allowed.has(classIds[i] as number))) candidates.push(i);
  }
  if (candidates.length > maxCandidates) {
    sortByScore(candidates, scores);
    candidates = candidates.slice(0, maxCandidates);
  }
  const m = candidates.length;
  const subBoxes = new Float32Array(m * 4);
  const subScores = new Float32Array(m);
  const subClasses = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const i = candidates[k] as number;
    subBoxes.set(boxes.subarray(i * 4, i * 4 + 4), k * 4);
    subScores[k] = scores[i] as number;
    subClasses[k] = classIds[i] as number;
  }
  return nms(subBoxes, subScores, subClasses, { iouThreshold: iou, maxDetections, agnostic }).map(
    (k) => candidates[k] as number,
  );
}

/**
 * Converts centre-format boxes (cx, cy, w, h; N*4 values) to corner format (x1, y1, x2, y2) in a new array.
 * @example
 * xywhToXyxy(new Float32Array([5, 5, 4, 2])); // Float32Array [3, 4, 7, 6]
 */
export function xywhToXyxy(boxes: Float32Array): Float32Array {
  const out = new Float32Array(boxes.length);
  for (let i = 0; i + 3 < boxes.length; i += 4) {
    const cx = boxes[i] as number;
    const cy = boxes[i + 1] as number;
    const hw = (boxes[i + 2] as number) / 2;
    const hh = (boxes[i + 3] as number) / 2;
    out[i] = cx - hw;
    out[i + 1] = cy - hh;
    out[i + 2] = cx + hw;
    out[i + 3] = cy + hh;
  }
  return out;
}
