import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  computeResizeGeometry,
  fromSourceBox,
  preprocessImage,
  preprocessImages,
  toSourceBox,
  type ImagePreprocessSpec,
} from '../src/index.js';
import { golden, images } from './fixtures/index.js';

interface GoldenCase {
  name: string;
  spec: ImagePreprocessSpec;
  dims: number[];
  mean: number[];
  gridY: number[];
  gridX: number[];
  samples: number[][];
}
interface GoldenGeometry {
  source: [number, number];
  target: [number, number];
  ultralytics: Record<string, number>;
  yolox: Record<string, number> | null;
  shortestEdge: Record<string, number>;
}
const doc = JSON.parse(readFileSync(golden.imagePost, 'utf8')) as {
  grid: number;
  photos: { file: string; width: number; height: number; cases: GoldenCase[] }[];
  geometry: GoldenGeometry[];
  oriented: { displaySize: [number, number]; meanRgb: number[]; quadrantMeans: number[] };
};

/**
 * Tolerances, in 8-bit levels (1 = 1/255 of the value range), for libvips (sharp) against the references.
 * - Per-channel mean over the whole tensor: <= 0.5. Measured max 0.35 (kite, ImageNet crop).
 * - Mean absolute difference over the 12x12 sampled pixels: PIL-based (CLIP/ViT/ImageNet) <= 0.8 (measured
 *   max 0.56); Ultralytics and YOLOX (OpenCV INTER_LINEAR) <= 0.2 (measured max 0.127, unscaled 0.001) with
 *   `antialias: false` as in their family specs (with libvips' antialiased shrink it was 0.94 and 1.1-2.8).
 * JPEG shrink-on-load (default) moves values by <= 0.15 levels on average over full decoding.
 * Print the measured MAEs with LP_PRINT_MEASURED=1.
 */
const SAMPLE_MAE: Record<string, number> = {
  'ultralytics-640': 0.2,
  'yolox-416': 0.2,
  'clip-224': 0.8,
  'vit-224': 0.8,
  'imagenet-256-224': 0.8,
};
const MEAN_TOL = 0.5;

/** Size of one 8-bit level in the tensor's units. */
function level(spec: ImagePreprocessSpec): number {
  return spec.scale / (spec.std?.[0] ?? 1);
}

describe('preprocessImage against Python references (real photos)', () => {
  for (const photo of doc.photos) {
    for (const c of photo.cases) {
      it(`${photo.file} ${c.name} matches within tolerance`, async () => {
        // Detectors resize like cv2.resize (no antialiasing), as our family specs say (defaultPreprocess).
        const spec: ImagePreprocessSpec = /^(ultralytics|yolox)-/.test(c.name)
          ? { ...c.spec, antialias: false }
          : c.spec;
        const r = await preprocessImage(images[keyOf(photo.file)], spec);
        expect(r.dims).toEqual(c.dims);
        expect([r.sourceWidth, r.sourceHeight]).toEqual([photo.width, photo.height]);
        const [, , H, W] = r.dims as [number, number, number, number];
        const unit = level(spec);
        for (let ch = 0; ch < 3; ch++) {
          let sum = 0;
          for (let i = 0; i < H * W; i++) sum += r.data[ch * H * W + i] as number;
          expect(Math.abs(sum / (H * W) - (c.mean[ch] as number)) / unit).toBeLessThanOrEqual(MEAN_TOL);
        }
        let mae = 0;
        let n = 0;
        for (let ch = 0; ch < 3; ch++) {
          c.gridY.forEach((y, yi) => {
            c.gridX.forEach((x, xi) => {
              const got = r.data[ch * H * W + y * W + x] as number;
              const want = (c.samples[ch] as number[])[yi * doc.grid + xi] as number;
              mae += Math.abs(got - want) / unit;
              n++;
            });
          });
        }
        if (process.env.LP_PRINT_MEASURED) console.log(`${photo.file} ${c.name} MAE ${(mae / n).toFixed(3)}`);
        expect(mae / n).toBeLessThanOrEqual(SAMPLE_MAE[c.name] as number);
      });
    }
  }
});

function keyOf(file: string): keyof typeof images {
  const map: Record<string, keyof typeof images> = {
    'dog.jpg': 'dog',
    'eagle.jpg': 'eagle',
    'giraffe.jpg': 'giraffe',
    'grace_hopper_512x512.jpg': 'graceHopper',
    'horses.jpg': 'horses',
    'kite.jpg': 'kite',
    'person.jpg': 'person',
  };
  const key = map[file];
  if (key === undefined) throw new Error(`no fixture for ${file}`);
  return key;
}

describe('resize geometry matches Ultralytics, YOLOX and HF exactly', () => {
  it(`covers ${doc.geometry.length} source/target pairs`, () => {
    for (const g of doc.geometry) {
      const [w0, h0] = g.source;
      const [W, H] = g.target;
      const base = { width: W, height: H } as const;
      const u = computeResizeGeometry(w0, h0, { ...base, resize: 'letterbox', letterboxAlign: 'center' });
      const uw = g.ultralytics;
      if ((uw.resizeWidth as number) < 1 || (uw.resizeHeight as number) < 1) {
        // Ultralytics would ask OpenCV for a 0-pixel resize (and fail); we keep 1 pixel and still fill the input.
        expect(Math.min(u.resizeWidth, u.resizeHeight)).toBe(1);
        expect(u.resizeWidth + u.padLeft + u.padRight).toBe(W);
        expect(u.resizeHeight + u.padTop + u.padBottom).toBe(H);
        continue;
      }
      expect([u.resizeWidth, u.resizeHeight, u.padTop, u.padBottom, u.padLeft, u.padRight], JSON.stringify(g)).toEqual([
        uw.resizeWidth,
        uw.resizeHeight,
        uw.padTop,
        uw.padBottom,
        uw.padLeft,
        uw.padRight,
      ]);
      expect(u.transform.scaleX).toBeCloseTo(1 / (uw.gain as number), 12);
      if (g.yolox !== null) {
        const y = computeResizeGeometry(w0, h0, { ...base, resize: 'letterbox', letterboxAlign: 'top-left' });
        expect([y.resizeWidth, y.resizeHeight, y.padBottom, y.padRight], JSON.stringify(g)).toEqual([
          g.yolox.resizeWidth,
          g.yolox.resizeHeight,
          g.yolox.padBottom,
          g.yolox.padRight,
        ]);
      }
      const s = computeResizeGeometry(w0, h0, {
        ...base,
        resize: 'shortest-edge-center-crop',
        shortestEdge: g.shortestEdge.shortestEdge,
      });
      expect([s.resizeWidth, s.resizeHeight, s.cropLeft, s.cropTop], JSON.stringify(g)).toEqual([
        g.shortestEdge.resizeWidth,
        g.shortestEdge.resizeHeight,
        g.shortestEdge.cropLeft,
        g.shortestEdge.cropTop,
      ]);
    }
  });
});

const yolo: ImagePreprocessSpec = {
  width: 640,
  height: 640,
  resize: 'letterbox',
  channelOrder: 'rgb',
  layout: 'chw',
  scale: 1 / 255,
};

describe('letterbox padding, layouts and channel order', () => {
  it('pads dog.jpg 768x576 with exactly 80 rows of 114/255 above and below', async () => {
    const r = await preprocessImage(images.dog, yolo);
    expect(r.transform).toMatchObject({ scaleX: 1.2, scaleY: 1.2, padX: 0, padY: 80, cropX: 0, cropY: 0 });
    const plane = 640 * 640;
    for (const ch of [0, 1, 2]) {
      expect(r.data[ch * plane]).toBeCloseTo(114 / 255, 6);
      expect(r.data[ch * plane + 79 * 640 + 639]).toBeCloseTo(114 / 255, 6);
      expect(r.data[ch * plane + 560 * 640]).toBeCloseTo(114 / 255, 6);
      expect(r.data[ch * plane + 639 * 640 + 639]).toBeCloseTo(114 / 255, 6);
    }
  });

  it('YOLOX top-left letterbox pads only bottom/right, BGR, 0-255', async () => {
    const spec: ImagePreprocessSpec = {
      ...yolo,
      width: 416,
      height: 416,
      letterboxAlign: 'top-left',
      channelOrder: 'bgr',
      scale: 1,
    };
    const r = await preprocessImage(images.dog, spec);
    expect(r.transform).toMatchObject({ padX: 0, padY: 0 });
    expect(r.transform.scaleX).toBeCloseTo(768 / 416, 12);
    expect(r.data[415 * 416]).toBe(114); // bottom-left: padding
    const rgb = await preprocessImage(images.dog, { ...spec, channelOrder: 'rgb' });
    const plane = 416 * 416;
    for (const i of [0, 1000, 50_000]) {
      expect(r.data[i]).toBe(rgb.data[2 * plane + i]);
      expect(r.data[plane + i]).toBe(rgb.data[plane + i]);
    }
  });

  it('antialias: false samples without low-pass filtering when shrinking; validated as a boolean', async () => {
    // 12x12 black with a white dot at every (3i + 1, 3j + 1), shrunk 3x to 4x4: cv2.resize INTER_LINEAR samples
    // source (x + 0.5) * 3 - 0.5 = 3x + 1, i.e. exactly the dots (all white); a low-pass filter averages them away.
    const w = 12;
    const px = Buffer.alloc(w * w * 3);
    for (let y = 1; y < w; y += 3) for (let x = 1; x < w; x += 3) px.fill(255, (y * w + x) * 3, (y * w + x + 1) * 3);
    const png = await sharp(px, { raw: { width: w, height: w, channels: 3 } })
      .png()
      .toBuffer();
    const base: ImagePreprocessSpec = {
      width: 4,
      height: 4,
      resize: 'stretch',
      channelOrder: 'rgb',
      layout: 'chw',
      scale: 1,
    };
    const sampled = await preprocessImage(png, { ...base, antialias: false });
    expect([...sampled.data].every((v) => v === 255)).toBe(true);
    const smooth = await preprocessImage(png, base);
    expect(Math.max(...smooth.data)).toBeLessThan(128);
    await expect(preprocessImage(png, { ...base, antialias: 'no' as unknown as boolean })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
    await expect(preprocessImage(png, { ...base, fastShrinkOnLoad: 1 as unknown as boolean })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
  });

  it('HWC holds the same values as CHW, interleaved', async () => {
    const chw = await preprocessImage(images.eagle, { ...yolo, width: 96, height: 64 });
    const hwc = await preprocessImage(images.eagle, { ...yolo, width: 96, height: 64, layout: 'hwc' });
    expect(hwc.dims).toEqual([1, 64, 96, 3]);
    const plane = 96 * 64;
    for (let i = 0; i < plane; i += 97) {
      for (let c = 0; c < 3; c++) expect(hwc.data[i * 3 + c]).toBe(chw.data[c * plane + i]);
    }
  });

  it('folds mean/std into the values: (x*scale - mean)/std', async () => {
    const plain = await preprocessImage(images.graceHopper, { ...yolo, width: 32, height: 32, resize: 'stretch' });
    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    const norm = await preprocessImage(images.graceHopper, {
      ...yolo,
      width: 32,
      height: 32,
      resize: 'stretch',
      mean,
      std,
    });
    for (let i = 0; i < norm.data.length; i += 37) {
      const c = Math.floor(i / 1024);
      expect(norm.data[i]).toBeCloseTo(((plain.data[i] as number) - mean[c]!) / std[c]!, 5);
    }
  });

  it('writes into a shared target at an offset and batches into one tensor', async () => {
    const spec = { ...yolo, width: 64, height: 48 };
    const target = new Float32Array(10 + 3 * 64 * 48);
    const one = await preprocessImage(images.kite, spec, { target, targetOffset: 10 });
    expect(one.data.buffer).toBe(target.buffer);
    expect(one.data.length).toBe(3 * 64 * 48);
    const { tensor, images: meta } = await preprocessImages([images.kite, images.dog, images.kite], spec);
    expect(tensor.dims).toEqual([3, 3, 48, 64]);
    expect(meta.map((m) => [m.sourceWidth, m.sourceHeight])).toEqual([
      [1352, 900],
      [768, 576],
      [1352, 900],
    ]);
    const per = 3 * 64 * 48;
    expect(Array.from(tensor.data.subarray(0, per))).toEqual(Array.from(one.data));
    expect(Array.from(tensor.data.subarray(2 * per, 3 * per))).toEqual(Array.from(one.data));
  });

  it('cover mode fills the input and maps the centre back', async () => {
    const r = await preprocessImage(images.kite, { ...yolo, width: 224, height: 224, resize: 'cover' });
    expect(r.transform.cropX).toBeGreaterThan(0);
    const centre = toSourceBox({ x1: 112, y1: 112, x2: 112, y2: 112 }, r.transform);
    expect(centre.x1).toBeCloseTo(1352 / 2, 0);
    expect(centre.y1).toBeCloseTo(900 / 2, 0);
  });

  it('center crop larger than the resized image pads with 0 (as HF center_crop)', async () => {
    const tiny = await sharp({ create: { width: 10, height: 20, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .png()
      .toBuffer();
    const r = await preprocessImage(tiny, {
      ...yolo,
      width: 24,
      height: 24,
      resize: 'shortest-edge-center-crop',
      shortestEdge: 12,
    });
    // resized to 12x24, crop 24x24 => 6 columns of padding on each side
    expect(r.data[0]).toBe(0);
    expect(r.data[6]).toBeCloseTo(1, 5);
    expect(r.data[17]).toBeCloseTo(1, 5);
    expect(r.data[18]).toBe(0);
  });
});

describe('toSourceBox', () => {
  it('round-trips boxes through every resize mode and clips to the image', () => {
    const box = { x1: 100, y1: 50, x2: 400, y2: 300 };
    for (const resize of ['letterbox', 'stretch', 'cover', 'shortest-edge-center-crop'] as const) {
      for (const letterboxAlign of ['center', 'top-left'] as const) {
        const g = computeResizeGeometry(768, 576, {
          width: 640,
          height: 480,
          resize,
          letterboxAlign,
          shortestEdge: 500,
        });
        const back = toSourceBox(fromSourceBox(box, g.transform), g.transform);
        expect(back.x1).toBeCloseTo(box.x1, 9);
        expect(back.y1).toBeCloseTo(box.y1, 9);
        expect(back.x2).toBeCloseTo(box.x2, 9);
        expect(back.y2).toBeCloseTo(box.y2, 9);
      }
    }
    const g = computeResizeGeometry(768, 576, { ...yolo });
    expect(toSourceBox({ x1: -50, y1: 0, x2: 700, y2: 640 }, g.transform)).toEqual({ x1: 0, y1: 0, x2: 768, y2: 576 });
  });
});
