import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  computeResizeGeometry,
  hfPreprocessSpec,
  preprocessImage,
  type HfImageProcessorConfig,
  type ImagePreprocessSpec,
} from '@llama-pajamas/run-core';
import { golden, images } from './fixtures/index.js';

/**
 * Compares preprocessImage with the ORIGINAL Python code (Ultralytics LetterBox + BasePredictor.preprocess,
 * transformers' CLIP/ViT/ConvNext image processors), recorded by fixtures/golden/make_originals.py.
 */

interface OriginalCase {
  name: string;
  size?: number;
  config?: HfImageProcessorConfig;
  sourceSize: [number, number];
  geometry: { resizeWidth: number; resizeHeight: number; padLeft?: number; padTop?: number; gain?: number } | null;
  dims: number[];
  mean: number[];
  std: number[];
  samples: number[];
}
const doc = JSON.parse(readFileSync(golden.originals, 'utf8')) as {
  versions: Record<string, string>;
  positions: Record<string, number[]>;
  photos: { file: string; cases: OriginalCase[] }[];
};

/**
 * Tolerances in 8-bit levels (1 level = 1/255 of the 0-255 range = scale/std in tensor units), for libvips
 * (sharp) against OpenCV (Ultralytics) and PIL (transformers). Set from measurements (print them with
 * LP_PRINT_MEASURED=1); measured maxima over the cases that pass:
 * - Per-channel mean: <= 0.4 level (measured max 0.25, vit-224 kite: libvips `linear` reduce vs PIL BILINEAR).
 * - Per-channel std: <= 1% relative (measured max 0.32%); a blurrier or sharper kernel shows here.
 * - Mean absolute difference over the 200 sampled values: Ultralytics <= 0.3 (measured max 0.16: enlarging uses
 *   an affine with pixel-centre alignment like cv2 INTER_LINEAR; 0.01 at scale 1), HF <= 0.6 (measured max 0.51).
 * - Largest single sampled difference: <= 5 levels (measured max 4, JPEG shrink-on-load on kite.jpg).
 * - Letterbox padding is exact (114/255) where the original has padding.
 * Two groups differ by more, for known reasons (each has an `it.fails` naming the cause, so a fix shows up):
 * - SHRINK_NO_AA: Ultralytics shrinking (gain < 1). OpenCV INTER_LINEAR samples 2x2 pixels without antialiasing;
 *   libvips `resize` antialiases. Measured MAE 0.48-3.1 levels, std 0.3-3.4% lower, means within 0.13.
 * - BIG_SHRINK: HF at >= 8x reduction (the 32-pixel fixture configs on full photos). JPEG shrink-on-load
 *   (fastShrinkOnLoad, default true) plus libvips' box pre-shrink differ from PIL's one-pass resampling:
 *   MAE 0.8-5.6 levels (0.3-1.7 with fastShrinkOnLoad false), means within 0.48.
 */
const MEAN_TOL = 0.4;
const KNOWN_MEAN_TOL = 0.5;
const STD_REL_TOL = 0.01;
const MAX_TOL = 5;
const MAE_TOL = { ultralytics: 0.3, hf: 0.6 } as const;
const SHRINK_NO_AA =
  'differs (known): OpenCV INTER_LINEAR does not antialias when shrinking, libvips resize does; fix: an antialias=false option for Ultralytics/YOLOX specs';
const BIG_SHRINK =
  'differs (known): >= 8x reduction, JPEG shrink-on-load and libvips box pre-shrink vs PIL one-pass resampling; fix: fastShrinkOnLoad=false in hfPreprocessSpec';

const imageFiles: Record<string, string> = {
  'dog.jpg': images.dog,
  'eagle.jpg': images.eagle,
  'giraffe.jpg': images.giraffe,
  'grace_hopper_512x512.jpg': images.graceHopper,
  'horses.jpg': images.horses,
  'kite.jpg': images.kite,
  'person.jpg': images.person,
  'dog-orientation6.jpg': golden.oriented6Jpeg,
};

/** What BasePredictor does for an exported model: centred LetterBox (114), RGB, CHW, /255. */
function ultralyticsSpec(size: number): ImagePreprocessSpec {
  return { width: size, height: size, resize: 'letterbox', letterboxAlign: 'center', channelOrder: 'rgb', layout: 'chw', scale: 1 / 255 };
}

function specOf(c: OriginalCase): ImagePreprocessSpec {
  if (c.config) return hfPreprocessSpec(c.config);
  if (c.size === undefined) throw new Error(`case ${c.name} has neither config nor size`);
  return ultralyticsSpec(c.size);
}

/** Size of one 8-bit level per channel, in tensor units. */
function levels(spec: ImagePreprocessSpec): [number, number, number] {
  const std = spec.std ?? [1, 1, 1];
  return [spec.scale / std[0], spec.scale / std[1], spec.scale / std[2]];
}

interface Measured {
  meanDiff: number[];
  stdRel: number[];
  mae: number;
  max: number;
}

/** Runs preprocessImage on the photo and compares it with the original's numbers (no assertions on values). */
async function measure(file: string, c: OriginalCase): Promise<{ measured: Measured; spec: ImagePreprocessSpec }> {
  const spec = specOf(c);
  const r = await preprocessImage(file, spec);
  expect(r.dims).toEqual(c.dims);
  expect([r.sourceWidth, r.sourceHeight]).toEqual(c.sourceSize);
  // Geometry reported by the original.
  const g = computeResizeGeometry(r.sourceWidth, r.sourceHeight, spec);
  if (c.geometry) {
    expect([g.resizeWidth, g.resizeHeight]).toEqual([c.geometry.resizeWidth, c.geometry.resizeHeight]);
    if (c.geometry.padLeft !== undefined) {
      expect([r.transform.padX, r.transform.padY]).toEqual([c.geometry.padLeft, c.geometry.padTop]);
      expect(r.transform.scaleX).toBeCloseTo(1 / (c.geometry.gain as number), 9);
    }
  }
  const [, C, H, W] = r.dims as [1, number, number, number];
  const plane = H * W;
  const unit = levels(spec);
  const meanDiff: number[] = [];
  const stdRel: number[] = [];
  for (let ch = 0; ch < C; ch++) {
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < plane; i++) {
      const v = r.data[ch * plane + i] as number;
      sum += v;
      sq += v * v;
    }
    const mean = sum / plane;
    const std = Math.sqrt(Math.max(0, sq / plane - mean * mean));
    meanDiff.push(Math.abs(mean - (c.mean[ch] as number)) / unit[ch]!);
    stdRel.push(Math.abs(std - (c.std[ch] as number)) / (c.std[ch] as number));
  }
  const positions = doc.positions[c.dims.slice(1).join('x')];
  expect(positions?.length).toBe(c.samples.length);
  let sumAbs = 0;
  let max = 0;
  (positions as number[]).forEach((p, k) => {
    const want = c.samples[k] as number;
    const got = r.data[p] as number;
    const d = Math.abs(got - want) / unit[Math.floor(p / plane)]!;
    sumAbs += d;
    max = Math.max(max, d);
    const y = Math.floor((p % plane) / W);
    const x = p % W;
    const inPad =
      c.size !== undefined &&
      (y < r.transform.padY || y >= r.transform.padY + g.resizeHeight || x < r.transform.padX || x >= r.transform.padX + g.resizeWidth);
    if (inPad) {
      expect(want).toBeCloseTo(114 / 255, 4); // the original pads here too
      expect(got).toBeCloseTo(114 / 255, 6);
    }
  });
  return { measured: { meanDiff, stdRel, mae: sumAbs / (positions as number[]).length, max }, spec };
}

/** Which known difference applies to a case, if any (decided from the geometry, not from the result). */
function knownDifference(c: OriginalCase): string | undefined {
  if (c.size !== undefined) return (c.geometry?.gain ?? 1) < 1 ? SHRINK_NO_AA : undefined;
  const spec = specOf(c);
  const g = computeResizeGeometry(c.sourceSize[0], c.sourceSize[1], spec);
  const factor = Math.min(c.sourceSize[0] / g.resizeWidth, c.sourceSize[1] / g.resizeHeight);
  return factor >= 8 ? BIG_SHRINK : undefined;
}

const report: string[] = [];

describe(`preprocessImage against the Python originals (${Object.entries(doc.versions)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ')})`, () => {
  for (const photo of doc.photos) {
    const file = imageFiles[photo.file];
    for (const c of photo.cases) {
      const known = knownDifference(c);
      const maeTol = c.size !== undefined ? MAE_TOL.ultralytics : MAE_TOL.hf;
      it(`${photo.file} ${c.name}: dims, geometry, padding and channel means match`, async () => {
        expect(file, `no fixture for ${photo.file}`).toBeDefined();
        const { measured: m } = await measure(file as string, c);
        report.push(
          `${photo.file} ${c.name}: mean ${m.meanDiff.map((d) => d.toFixed(3)).join('/')} std ${m.stdRel.map((d) => (100 * d).toFixed(2)).join('/')}% MAE ${m.mae.toFixed(3)} max ${m.max.toFixed(2)}${known ? ' (known)' : ''}`,
        );
        for (const d of m.meanDiff) expect(d).toBeLessThanOrEqual(known ? KNOWN_MEAN_TOL : MEAN_TOL);
      });
      const valuesTest = known ? it.fails : it;
      valuesTest(`${photo.file} ${c.name}: values ${known ?? `within MAE ${maeTol}, max ${MAX_TOL} levels, std ${100 * STD_REL_TOL}%`}`, async () => {
        const { measured: m } = await measure(file as string, c);
        for (const d of m.stdRel) expect(d).toBeLessThanOrEqual(STD_REL_TOL);
        expect(m.mae).toBeLessThanOrEqual(maeTol);
        expect(m.max).toBeLessThanOrEqual(MAX_TOL);
      });
    }
  }
  it('covers every recorded case (set LP_PRINT_MEASURED=1 to print the differences)', () => {
    if (process.env.LP_PRINT_MEASURED) console.log(report.join('\n'));
    expect(report.length).toBe(doc.photos.reduce((n, p) => n + p.cases.length, 0));
  });
});
