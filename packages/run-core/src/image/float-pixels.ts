/** Writing decoded 8-bit pixels into a model's float input (pure, allocation-free). */
import type { ImagePreprocessSpec } from './preprocess-spec.js';

/** Where the resized image lands in the output: output (x, y) reads resized (x - padLeft + cropLeft, ...). */
export interface Placement {
  padLeft: number;
  padTop: number;
  cropLeft: number;
  cropTop: number;
  resizeWidth: number;
  resizeHeight: number;
  /** Raw pixel value (0-255) written outside the resized image. */
  padValue: number;
}

/**
 * Writes interleaved 8-bit RGB pixels (`stride` pixels a row) as float32 CHW or HWC into a `width x height`
 * output, placing the image per `placement` (pad and crop) and computing `(x*scale - mean)/std` per channel as
 * one multiply-add, in RGB or BGR order. Allocation-free.
 */
export function writeFloatPixels(
  rgb: Uint8Array,
  stride: number,
  rows: number,
  width: number,
  height: number,
  placement: Placement,
  spec: Pick<ImagePreprocessSpec, 'channelOrder' | 'layout' | 'scale' | 'mean' | 'std'>,
  target: Float32Array,
  offset: number,
): void {
  const mean = spec.mean ?? [0, 0, 0];
  const std = spec.std ?? [1, 1, 1];
  const m0 = spec.scale / std[0];
  const m1 = spec.scale / std[1];
  const m2 = spec.scale / std[2];
  const a0 = -mean[0] / std[0];
  const a1 = -mean[1] / std[1];
  const a2 = -mean[2] / std[2];
  const p0 = placement.padValue * m0 + a0;
  const p1 = placement.padValue * m1 + a1;
  const p2 = placement.padValue * m2 + a2;
  const bgr = spec.channelOrder === 'bgr';
  const dx = placement.cropLeft - placement.padLeft;
  const dy = placement.cropTop - placement.padTop;
  const validW = Math.min(placement.resizeWidth, stride);
  const validH = Math.min(placement.resizeHeight, rows);
  // Output columns [x0, x1) read the image; the rest is padding.
  const x0 = Math.min(width, Math.max(0, -dx));
  const x1 = Math.max(x0, Math.min(width, validW - dx));
  const plane = width * height;
  const chw = spec.layout === 'chw';
  // Channel positions of source R, G, B: plane offsets (CHW) or element offsets (HWC).
  const cr = (bgr ? 2 : 0) * (chw ? plane : 1);
  const cg = chw ? plane : 1;
  const cb = (bgr ? 0 : 2) * (chw ? plane : 1);
  const step = chw ? 1 : 3;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    const rowOut = offset + y * width * step;
    const inside = sy >= 0 && sy < validH;
    const xa = inside ? x0 : width;
    for (let x = 0, o = rowOut; x < xa; x++, o += step) {
      target[o + cr] = p0;
      target[o + cg] = p1;
      target[o + cb] = p2;
    }
    if (!inside) continue;
    let j = (sy * stride + x0 + dx) * 3;
    for (let x = x0, o = rowOut + x0 * step; x < x1; x++, o += step, j += 3) {
      target[o + cr] = (rgb[j] as number) * m0 + a0;
      target[o + cg] = (rgb[j + 1] as number) * m1 + a1;
      target[o + cb] = (rgb[j + 2] as number) * m2 + a2;
    }
    for (let x = x1, o = rowOut + x1 * step; x < width; x++, o += step) {
      target[o + cr] = p0;
      target[o + cg] = p1;
      target[o + cb] = p2;
    }
  }
}
