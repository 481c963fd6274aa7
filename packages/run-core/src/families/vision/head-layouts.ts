import { ModelOutputMismatchError } from '../../errors.js';
import type { TensorInfo } from '../../tensor.js';

/**
 * The output layouts of the detectors this package decodes:
 * - `ultralytics`: YOLOv8/v11 `[B, 4+nc, N]`: cx, cy, w, h in input pixels, then class scores (no objectness).
 * - `yolov5`: YOLOv5 `[B, N, 5+nc]`: cx, cy, w, h, objectness, class scores (already decoded, 3 anchors per cell).
 * - `ultralytics-nms`: exports made with `nms=True`, `[B, maxDet, 6]`: x1, y1, x2, y2, score, class.
 * - `yolox`: YOLOX before grid decoding, `[B, N, 5+nc]` with N = Σ (H/s)(W/s) over strides 8, 16, 32.
 * - `fastestdet`: FastestDet `[B, 5+nc, h, w]` feature map (objectness, tanh offsets, sigmoid sizes, classes).
 */
export type DetectionHead = 'ultralytics' | 'yolov5' | 'ultralytics-nms' | 'yolox' | 'fastestdet';

/** How one head's output tensor is laid out: the one description that decoders, checks and manifests use. */
export interface HeadLayout {
  /** Number of dims of the output. */
  readonly rank: 3 | 4;
  /** The layout in words, for messages. */
  readonly layout: string;
  /** The axis that holds `fixed + classes` values (undefined: no class axis, as in `ultralytics-nms`). */
  readonly classAxis?: number;
  /** Values on the class axis before the class scores (box, objectness). */
  readonly fixed: number;
  /** The axis with the anchors, when the layout has one. */
  readonly anchorAxis?: number;
  /** An axis whose size the layout fixes (`ultralytics-nms`: 6 values per row). */
  readonly exact?: { readonly axis: number; readonly size: number };
}

/** Every head's layout (see {@link DetectionHead}). */
export const HEAD_LAYOUTS: Readonly<Record<DetectionHead, HeadLayout>> = {
  ultralytics: { rank: 3, layout: '[batch, 4 + classes, anchors]', classAxis: 1, fixed: 4, anchorAxis: 2 },
  yolov5: { rank: 3, layout: '[batch, anchors, 5 + classes]', classAxis: 2, fixed: 5, anchorAxis: 1 },
  'ultralytics-nms': { rank: 3, layout: '[batch, maxDetections, 6]', fixed: 6, exact: { axis: 2, size: 6 } },
  yolox: { rank: 3, layout: '[batch, grid cells, 5 + classes]', classAxis: 2, fixed: 5, anchorAxis: 1 },
  fastestdet: { rank: 4, layout: '[batch, 5 + classes, gridH, gridW]', classAxis: 1, fixed: 5 },
};

/** The head names, in the order they are documented. */
export const DETECTION_HEADS = Object.keys(HEAD_LAYOUTS) as readonly DetectionHead[];

type Dims = readonly (number | string)[];
const num = (dims: Dims, axis: number | undefined): number | undefined =>
  axis !== undefined && typeof dims[axis] === 'number' ? dims[axis] : undefined;

/**
 * Sum over strides of the grid cells of a `width x height` input: the anchor count of anchor-free heads
 * (YOLOX, YOLOv8) — `3549` for 416x416 with strides 8, 16, 32; `8400` for 640x640.
 * @example
 * gridCellCount(416, 416); // 3549
 */
export function gridCellCount(width: number, height: number, strides: readonly number[] = [8, 16, 32]): number {
  let n = 0;
  for (const s of strides) n += Math.ceil(height / s) * Math.ceil(width / s);
  return n;
}

/** Number of classes a head's output has (from its dims); undefined when the dims do not say. */
export function headClassCount(head: DetectionHead, dims: Dims): number | undefined {
  const layout = HEAD_LAYOUTS[head];
  const n = dims.length === layout.rank ? num(dims, layout.classAxis) : undefined;
  return n === undefined ? undefined : n - layout.fixed;
}

/** True when output dims can be read with a head (unknown dims pass; YOLOX anchors must be the grid cells). */
export function headFits(head: DetectionHead, dims: Dims, size: { width: number; height: number }): boolean {
  const layout = HEAD_LAYOUTS[head];
  if (dims.length !== layout.rank) return false;
  const classes = num(dims, layout.classAxis);
  if (classes !== undefined && classes < layout.fixed + 1) return false;
  if (layout.exact && num(dims, layout.exact.axis) !== undefined && num(dims, layout.exact.axis) !== layout.exact.size)
    return false;
  // A `[B, 4+nc, 6]` output is an NMS export read the wrong way round.
  if (head === 'ultralytics' && num(dims, 2) === 6) return false;
  const anchors = num(dims, layout.anchorAxis);
  return !(head === 'yolox' && anchors !== undefined && anchors !== gridCellCount(size.width, size.height));
}

/** Throws {@link ModelOutputMismatchError} when a (possibly forced) head cannot read this output. */
export function checkHeadDims(
  head: DetectionHead,
  out: TensorInfo,
  size: { width: number; height: number },
  modelId: string,
): void {
  if (headFits(head, out.dims, size)) return;
  const expected = `a ${head} output ${head === 'yolox' ? `[batch, ${gridCellCount(size.width, size.height)}, 5 + classes]` : HEAD_LAYOUTS[head].layout}`;
  throw new ModelOutputMismatchError(
    { model: modelId, found: `output '${out.name}' is [${out.dims.join(', ')}]`, expected },
    { details: { head, dims: [...out.dims] } },
  );
}

/** The layouts a detector may have, in words, for "looked for" messages. */
export function headLayoutsLookedFor(size: { width: number; height: number }): string[] {
  return [
    'Ultralytics [1, 4+nc, N] / [1, N, 5+nc] / [1, maxDet, 6] with names metadata',
    `YOLOX [1, N, 5+nc] with N = grid cells at strides 8/16/32 (${gridCellCount(size.width, size.height)} for ${size.width}x${size.height})`,
    'YOLOv5 without metadata N = 3 x grid cells',
    'FastestDet [1, 5+nc, H/16, W/16]',
  ];
}

/** Recognises the head of a detector from its output dims and metadata; undefined when nothing fits. */
export function recognizeHead(
  out: TensorInfo,
  size: { width: number; height: number },
  meta: Readonly<Record<string, string>>,
  nc: number | undefined,
): DetectionHead | undefined {
  const d = out.dims;
  const ultralytics = meta.stride !== undefined || meta.names !== undefined;
  const classesFit = (head: DetectionHead): boolean => {
    const n = headClassCount(head, d);
    return n !== undefined && (nc === undefined ? n >= 1 : n === nc);
  };
  if (
    d.length === 4 &&
    (headClassCount('fastestdet', d) ?? 0) >= 1 &&
    d[2] === size.height / 16 &&
    d[3] === size.width / 16
  ) {
    return 'fastestdet';
  }
  if (d.length !== 3) return undefined;
  const a = num(d, 1);
  const b = num(d, 2);
  const cells = gridCellCount(size.width, size.height);
  if (ultralytics) {
    if (b === 6 && (/'nms':\s*True/.test(meta.args ?? '') || (a !== undefined && a !== 4 + (nc ?? -10))))
      return 'ultralytics-nms';
    if (classesFit('ultralytics')) return 'ultralytics';
    if (classesFit('yolov5')) return 'yolov5';
    return undefined;
  }
  // No metadata: anchor-free heads have one row per grid cell; YOLOv5 has three.
  if (b !== undefined && b >= 6 && a === cells) return 'yolox';
  if (b !== undefined && b >= 6 && a === 3 * cells) return 'yolov5';
  if (a !== undefined && a >= 5 && b === cells) return 'ultralytics';
  return undefined;
}
