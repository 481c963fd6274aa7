import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  boxIou,
  cosineSimilarity,
  filterDetections,
  isRunError,
  l2Normalize,
  nms,
  sigmoid,
  softmax,
  topK,
  xywhToXyxy,
} from '../src/index.js';
import { golden } from './fixtures/index.js';

interface PostGolden {
  softmax: { logits: number[]; probs: number[]; top5: number[] }[];
  nms: {
    boxes: number[];
    scores: number[];
    classIds: number[];
    iouThreshold: number;
    agnostic: number[];
    classAware: number[];
  };
  iou: { a: number[]; b: number[]; iou: number }[];
}
const post = (JSON.parse(readFileSync(golden.imagePost, 'utf8')) as { post: PostGolden }).post;
const box = (v: number[]) => ({ x1: v[0]!, y1: v[1]!, x2: v[2]!, y2: v[3]! });

describe('activations and vectors', () => {
  it('sigmoid is stable at the extremes', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(2)).toBeCloseTo(0.8807970779778823, 12);
  });

  it('softmax matches numpy (float64) to 1e-6, including huge logits', () => {
    for (const g of post.softmax) {
      const p = softmax(g.logits);
      g.probs.forEach((want, i) => expect(p[i]).toBeCloseTo(want, 6));
      expect(topK(p, 5).map((t) => t.index)).toEqual(g.top5);
    }
    expect(Array.from(softmax([Infinity, 0, Infinity]))).toEqual([0.5, 0, 0.5]);
    expect(softmax([]).length).toBe(0);
  });

  it('topK is best first with ties by lower index, skips NaN, handles k > n', () => {
    expect(topK([0.1, 0.7, 0.2, 0.7, Number.NaN], 3)).toEqual([
      { index: 1, score: 0.7 },
      { index: 3, score: 0.7 },
      { index: 2, score: 0.2 },
    ]);
    expect(topK([3, 1], 10).map((t) => t.index)).toEqual([0, 1]);
    expect(topK([1, 2], 0)).toEqual([]);
    expect(
      isRunError(
        (() => {
          try {
            topK([1], -1);
          } catch (e) {
            return e;
          }
        })(),
        'ERR_RUN_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('l2Normalize returns a new unit vector; zero stays zero; cosine similarity', () => {
    const v = new Float32Array([3, 4]);
    const n = l2Normalize(v);
    expect(n).not.toBe(v);
    expect(Array.from(n)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(l2Normalize(new Float32Array(3)))).toEqual([0, 0, 0]);
    const big = l2Normalize(new Float32Array([3e38, 3e38]));
    expect(big[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Number.isNaN(l2Normalize(new Float32Array([1, Infinity]))[0])).toBe(true);
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosineSimilarity([1, 2], [-2, -4])).toBe(-1);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/same length/);
  });
});

describe('IoU and NMS against the Python reference', () => {
  it('boxIou matches', () => {
    for (const g of post.iou) expect(boxIou(box(g.a), box(g.b))).toBeCloseTo(g.iou, 9);
    expect(boxIou(box([0, 0, 2, 2]), box([1, 0, 3, 2]))).toBeCloseTo(1 / 3, 12);
    expect(boxIou(box([0, 0, 1, 1]), box([2, 2, 3, 3]))).toBe(0);
    expect(boxIou(box([0, 0, 0, 0]), box([0, 0, 0, 0]))).toBe(0);
  });

  const boxes = new Float32Array(post.nms.boxes);
  const scores = new Float32Array(post.nms.scores);
  const classes = new Int32Array(post.nms.classIds);

  it('agnostic NMS keeps the reference indices in order', () => {
    expect(nms(boxes, scores, classes, { iouThreshold: post.nms.iouThreshold, agnostic: true })).toEqual(
      post.nms.agnostic,
    );
  });

  it('class-aware NMS equals Ultralytics’ offset trick and keeps more boxes than agnostic', () => {
    const kept = nms(boxes, scores, post.nms.classIds, { iouThreshold: post.nms.iouThreshold });
    expect(kept).toEqual(post.nms.classAware);
    expect(kept.length).toBeGreaterThan(post.nms.agnostic.length);
    expect(nms(boxes, scores, classes, { iouThreshold: 0.45, maxDetections: 5 })).toEqual(
      post.nms.classAware.slice(0, 5),
    );
  });

  it('overlapping boxes of different classes both survive class-aware NMS only', () => {
    const b = new Float32Array([0, 0, 10, 10, 1, 1, 11, 11]);
    const s = new Float32Array([0.9, 0.8]);
    expect(nms(b, s, [0, 1], { iouThreshold: 0.5 })).toEqual([0, 1]);
    expect(nms(b, s, [0, 1], { iouThreshold: 0.5, agnostic: true })).toEqual([0]);
    expect(nms(b, s, new Uint16Array([3, 3]), { iouThreshold: 0.5 })).toEqual([0]);
  });

  it('rejects mismatched inputs and bad thresholds', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isRunError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => nms(new Float32Array(3), new Float32Array(1), [0], { iouThreshold: 0.5 }))).toBe(
      'ERR_RUN_INVALID_ARGUMENT',
    );
    expect(code(() => nms(new Float32Array(4), new Float32Array(1), [], { iouThreshold: 0.5 }))).toBe(
      'ERR_RUN_INVALID_ARGUMENT',
    );
    expect(code(() => nms(new Float32Array(4), new Float32Array(1), [0], { iouThreshold: 2 }))).toBe(
      'ERR_RUN_INVALID_ARGUMENT',
    );
    expect(code(() => filterDetections(new Float32Array(4), new Float32Array(1), [0], { confidence: -1 }))).toBe(
      'ERR_RUN_INVALID_ARGUMENT',
    );
  });
});

describe('filterDetections', () => {
  const boxes = new Float32Array(post.nms.boxes);
  const scores = new Float32Array(post.nms.scores);
  const classes = new Int32Array(post.nms.classIds);

  it('threshold + NMS equals NMS on the boxes above the threshold', () => {
    const kept = filterDetections(boxes, scores, classes, { confidence: 0.5, iou: 0.45 });
    expect(kept.every((i) => (scores[i] as number) >= 0.5)).toBe(true);
    const expected = nms(
      boxes,
      scores.map((s) => (s >= 0.5 ? s : Number.NaN)),
      classes,
      { iouThreshold: 0.45 },
    );
    expect(kept).toEqual(expected);
  });

  it('filters classes, caps detections and candidates', () => {
    const only = filterDetections(boxes, scores, classes, { confidence: 0, classes: [2] });
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((i) => classes[i] === 2)).toBe(true);
    expect(filterDetections(boxes, scores, classes, { confidence: 0, maxDetections: 3 })).toHaveLength(3);
    const top = filterDetections(boxes, scores, classes, { confidence: 0, maxCandidates: 1 });
    expect(top).toEqual([topK(scores, 1)[0]!.index]);
    expect(filterDetections(boxes, scores, classes, { confidence: 1 })).toEqual([]);
  });

  it('xywhToXyxy converts centre boxes', () => {
    expect(Array.from(xywhToXyxy(new Float32Array([5, 5, 4, 2])))).toEqual([3, 4, 7, 6]);
  });
});
