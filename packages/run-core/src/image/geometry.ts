import type { BoundingBox } from '../types/vision.js';

/**
 * Maps model-input pixels back to source-image pixels: `source = (input - pad + crop) * scale`, per axis.
 * Letterbox sets `pad`, center-crop sets `crop`, every mode sets `scale` (source pixels per input pixel).
 */
export interface ImageTransform {
  /** Source pixels per model-input pixel along x. */
  scaleX: number;
  /** Source pixels per model-input pixel along y. */
  scaleY: number;
  /** Left padding (model-input pixels) added by letterbox. */
  padX: number;
  /** Top padding (model-input pixels) added by letterbox. */
  padY: number;
  /** Left offset (resized pixels) removed by a crop. */
  cropX: number;
  /** Top offset (resized pixels) removed by a crop. */
  cropY: number;
  /** Source width after EXIF orientation. */
  sourceWidth: number;
  /** Source height after EXIF orientation. */
  sourceHeight: number;
}

/** How the image is resized and where it lands in the model input. */
export interface ResizeGeometry {
  /** Size the source is resized to (before pad or crop). */
  resizeWidth: number;
  resizeHeight: number;
  /** Padding added around the resized image (letterbox). */
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  /** Region cut from the resized image (crop modes); the full resized image when nothing is cut. */
  cropLeft: number;
  cropTop: number;
  cropWidth: number;
  cropHeight: number;
  transform: ImageTransform;
}

/** Python's `round()` (half to even), which Ultralytics' letterbox arithmetic relies on. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

function geometry(
  sourceWidth: number,
  sourceHeight: number,
  resizeWidth: number,
  resizeHeight: number,
  pad: { top: number; bottom: number; left: number; right: number },
  crop: { left: number; top: number; width: number; height: number },
  scaleX: number,
  scaleY: number,
): ResizeGeometry {
  return {
    resizeWidth,
    resizeHeight,
    padTop: pad.top,
    padBottom: pad.bottom,
    padLeft: pad.left,
    padRight: pad.right,
    cropLeft: crop.left,
    cropTop: crop.top,
    cropWidth: crop.width,
    cropHeight: crop.height,
    transform: {
      scaleX,
      scaleY,
      padX: pad.left,
      padY: pad.top,
      cropX: crop.left,
      cropY: crop.top,
      sourceWidth,
      sourceHeight,
    },
  };
}

const NO_PAD = { top: 0, bottom: 0, left: 0, right: 0 };

/**
 * Ultralytics `LetterBox` (v5/v8/v11, `auto=False, scaleup=True, center=True`): `r = min(H/h0, W/w0)`,
 * `new = round(w0*r), round(h0*r)`, padding `round(d-0.1)` before and `round(d+0.1)` after.
 * The transform uses `1/r` like Ultralytics' `scale_boxes`.
 * @example
 * letterboxCenterGeometry(768, 576, 640, 640).resizeHeight; // 480 (pad 80 top and bottom)
 */
export function letterboxCenterGeometry(w0: number, h0: number, width: number, height: number): ResizeGeometry {
  const r = Math.min(height / h0, width / w0);
  const newW = Math.max(1, pyRound(w0 * r));
  const newH = Math.max(1, pyRound(h0 * r));
  const dw = (width - newW) / 2;
  const dh = (height - newH) / 2;
  const top = pyRound(dh - 0.1);
  const bottom = pyRound(dh + 0.1);
  const left = pyRound(dw - 0.1);
  const right = pyRound(dw + 0.1);
  return geometry(
    w0,
    h0,
    newW,
    newH,
    { top, bottom, left, right },
    { left: 0, top: 0, width: newW, height: newH },
    1 / r,
    1 / r,
  );
}

/**
 * YOLOX `preproc`: `r = min(H/h0, W/w0)`, resized to `int(w0*r), int(h0*r)`, placed top-left, padded
 * bottom/right. The transform divides by `r` like YOLOX's demo.
 * @example
 * letterboxTopLeftGeometry(768, 576, 416, 416).resizeHeight; // 312 (pad 104 at the bottom)
 */
export function letterboxTopLeftGeometry(w0: number, h0: number, width: number, height: number): ResizeGeometry {
  const r = Math.min(height / h0, width / w0);
  const newW = Math.min(width, Math.max(1, Math.floor(w0 * r)));
  const newH = Math.min(height, Math.max(1, Math.floor(h0 * r)));
  return geometry(
    w0,
    h0,
    newW,
    newH,
    { top: 0, bottom: height - newH, left: 0, right: width - newW },
    { left: 0, top: 0, width: newW, height: newH },
    1 / r,
    1 / r,
  );
}

/** Plain resize to `width x height`, ignoring the aspect ratio (HF `ViTImageProcessor`, `do_center_crop=False`). */
export function stretchGeometry(w0: number, h0: number, width: number, height: number): ResizeGeometry {
  return geometry(w0, h0, width, height, NO_PAD, { left: 0, top: 0, width, height }, w0 / width, h0 / height);
}

/**
 * HF shortest-edge resize then center crop (`CLIPImageProcessor`, `ConvNextImageProcessor` with `crop_pct`):
 * the short side becomes `shortestEdge`, the long side `int(shortestEdge * long / short)`; the crop offsets are
 * `(resized - crop) // 2` as in `transformers.image_transforms.center_crop`.
 * @example
 * shortestEdgeCenterCropGeometry(768, 576, 224, 224, 224).cropLeft; // 37 (resized 298x224)
 */
export function shortestEdgeCenterCropGeometry(
  w0: number,
  h0: number,
  width: number,
  height: number,
  shortestEdge: number,
): ResizeGeometry {
  let newW: number;
  let newH: number;
  if (w0 <= h0) {
    newW = shortestEdge;
    newH = Math.max(1, Math.floor((shortestEdge * h0) / w0));
  } else {
    newH = shortestEdge;
    newW = Math.max(1, Math.floor((shortestEdge * w0) / h0));
  }
  const left = Math.floor((newW - width) / 2);
  const top = Math.floor((newH - height) / 2);
  return geometry(w0, h0, newW, newH, NO_PAD, { left, top, width, height }, w0 / newW, h0 / newH);
}

/**
 * Resize so the image covers `width x height` (keeping its aspect ratio), then crop the centre.
 * @example
 * coverGeometry(768, 576, 224, 224).resizeWidth; // 299
 */
export function coverGeometry(w0: number, h0: number, width: number, height: number): ResizeGeometry {
  const r = Math.max(width / w0, height / h0);
  const newW = Math.max(width, Math.round(w0 * r));
  const newH = Math.max(height, Math.round(h0 * r));
  const left = Math.floor((newW - width) / 2);
  const top = Math.floor((newH - height) / 2);
  return geometry(w0, h0, newW, newH, NO_PAD, { left, top, width, height }, w0 / newW, h0 / newH);
}

/**
 * Maps a box from model-input pixels back to source-image pixels and clips it to the image.
 * @example
 * toSourceBox({ x1: 0, y1: 80, x2: 640, y2: 560 }, letterboxCenterGeometry(768, 576, 640, 640).transform);
 * // { x1: 0, y1: 0, x2: 768, y2: 576 }
 */
export function toSourceBox(box: BoundingBox, transform: ImageTransform): BoundingBox {
  const { scaleX, scaleY, padX, padY, cropX, cropY, sourceWidth, sourceHeight } = transform;
  const clip = (v: number, max: number): number => (v < 0 ? 0 : v > max ? max : v);
  return {
    x1: clip((box.x1 - padX + cropX) * scaleX, sourceWidth),
    y1: clip((box.y1 - padY + cropY) * scaleY, sourceHeight),
    x2: clip((box.x2 - padX + cropX) * scaleX, sourceWidth),
    y2: clip((box.y2 - padY + cropY) * scaleY, sourceHeight),
  };
}

/**
 * Maps a box from source-image pixels to model-input pixels (the inverse of {@link toSourceBox}, without clipping).
 * @example
 * fromSourceBox({ x1: 0, y1: 0, x2: 768, y2: 576 }, letterboxCenterGeometry(768, 576, 640, 640).transform);
 * // { x1: 0, y1: 80, x2: 640, y2: 560 }
 */
export function fromSourceBox(box: BoundingBox, transform: ImageTransform): BoundingBox {
  const { scaleX, scaleY, padX, padY, cropX, cropY } = transform;
  return {
    x1: box.x1 / scaleX + padX - cropX,
    y1: box.y1 / scaleY + padY - cropY,
    x2: box.x2 / scaleX + padX - cropX,
    y2: box.y2 / scaleY + padY - cropY,
  };
}
