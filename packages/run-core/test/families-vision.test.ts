import { describe, expect, test } from 'vitest';
import { createTensor } from '../src/index.js';
import {
  decodeDetections,
  defaultPreprocess,
  gridCellCount,
  hfLabels,
  hfPreprocessSpec,
  parseUltralyticsImgsz,
  parseUltralyticsNames,
  parseVisionManifest,
} from '../src/families.js';

describe('Hugging Face image processor configs', () => {
  test('ViT: stretch to size', () => {
    expect(
      hfPreprocessSpec({
        image_processor_type: 'ViTImageProcessor',
        size: { height: 32, width: 32 },
        resample: 2,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
      }),
    ).toMatchObject({
      width: 32,
      height: 32,
      resize: 'stretch',
      resample: 'bilinear',
      mean: [0.5, 0.5, 0.5],
    });
  });
  test('CLIP: shortest edge + centre crop, bicubic', () => {
    expect(
      hfPreprocessSpec({
        image_processor_type: 'CLIPImageProcessor',
        size: { shortest_edge: 224 },
        crop_size: { height: 224, width: 224 },
        do_center_crop: true,
        resample: 3,
      }),
    ).toMatchObject({
      width: 224,
      height: 224,
      resize: 'shortest-edge-center-crop',
      shortestEdge: 224,
      resample: 'bicubic',
    });
  });
  test('ConvNeXt: shortest_edge / crop_pct, and warp at 384', () => {
    expect(
      hfPreprocessSpec({
        image_processor_type: 'ConvNextImageProcessor',
        size: { shortest_edge: 224 },
        crop_pct: 0.875,
      }),
    ).toMatchObject({
      width: 224,
      resize: 'shortest-edge-center-crop',
      shortestEdge: 256,
    });
    expect(
      hfPreprocessSpec({
        image_processor_type: 'ConvNextImageProcessor',
        size: { shortest_edge: 384 },
        crop_pct: 0.875,
      }).resize,
    ).toBe('stretch');
  });
  test('unsupported layouts are ERR_RUN_MODEL_UNRECOGNIZED', () => {
    expect(() =>
      hfPreprocessSpec({
        size: { height: 256, width: 256 },
        do_center_crop: true,
        crop_size: { height: 224, width: 224 },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }));
  });
  test('decode at full size like PIL (no JPEG shrink-on-load), antialiased', () => {
    const spec = hfPreprocessSpec({
      image_processor_type: 'CLIPImageProcessor',
      size: { shortest_edge: 224 },
      resample: 3,
    });
    expect(spec.fastShrinkOnLoad).toBe(false);
    expect(spec.antialias ?? true).toBe(true);
  });
  test('id2label with gaps', () => {
    expect(hfLabels({ id2label: { '0': 'a', '2': 'c' } })).toEqual(['a', '1', 'c']);
  });
});

describe('default preprocessing per family', () => {
  test('detectors resize like cv2.resize (no antialiasing); classifiers antialias', () => {
    for (const family of ['ultralytics', 'yolov5', 'ultralytics-nms', 'yolox', 'fastestdet'] as const) {
      expect(defaultPreprocess('detect', family, 640, 640).antialias, family).toBe(false);
    }
    expect(defaultPreprocess('detect', undefined, 640, 640).antialias).toBe(false);
    expect(defaultPreprocess('classify', undefined, 224, 224).antialias ?? true).toBe(true);
  });
});

describe('Ultralytics metadata', () => {
  test('names and imgsz', () => {
    expect(parseUltralyticsNames(`{0: 'person', 1: "it's", 2: 'traffic light'}`)).toEqual([
      'person',
      "it's",
      'traffic light',
    ]);
    expect(parseUltralyticsImgsz('[384, 640]')).toEqual({ width: 640, height: 384 });
    expect(parseUltralyticsImgsz(undefined)).toBeUndefined();
  });
  test('grid cells', () => {
    expect(gridCellCount(416, 416)).toBe(3549);
    expect(gridCellCount(640, 640)).toBe(8400);
  });
});

describe('detection heads', () => {
  const ctx = { inputWidth: 64, inputHeight: 64, confidence: 0.25 };
  test('ultralytics [1, 4+nc, N]', () => {
    // 2 anchors, 2 classes: anchor 1 is class 1 at 0.9.
    const data = new Float32Array([10, 30, 10, 30, 4, 8, 4, 8, 0.1, 0.2, 0.05, 0.9]);
    const c = decodeDetections('ultralytics', createTensor('float32', data, [1, 6, 2]), 0, ctx);
    expect(c.count).toBe(1);
    expect([...c.boxes]).toEqual([26, 26, 34, 34]);
    expect(c.classIds[0]).toBe(1);
    expect(c.scores[0]).toBeCloseTo(0.9);
  });
  test('yolov5 rows: score = objectness x class', () => {
    const data = new Float32Array([32, 32, 10, 10, 0.8, 0.5, 0.9]);
    const c = decodeDetections('yolov5', createTensor('float32', data, [1, 1, 7]), 0, ctx);
    expect(c.scores[0]).toBeCloseTo(0.72);
    expect(c.classIds[0]).toBe(1);
  });
  test('class mask and nms rows', () => {
    const data = new Float32Array([1, 2, 3, 4, 0.9, 3, 5, 6, 7, 8, 0.1, 0]);
    const c = decodeDetections('ultralytics-nms', createTensor('float32', data, [1, 2, 6]), 0, ctx);
    expect(c.count).toBe(1);
    expect(c.classIds[0]).toBe(3);
    const mask = new Uint8Array(80);
    expect(
      decodeDetections('ultralytics-nms', createTensor('float32', data, [1, 2, 6]), 0, { ...ctx, classMask: mask })
        .count,
    ).toBe(0);
  });
  test('yolox needs N = grid cells; wrong dims are ERR_RUN_MODEL_OUTPUT_MISMATCH', () => {
    const t = createTensor('float32', new Float32Array(10 * 7), [1, 10, 7]);
    expect(() => decodeDetections('yolox', t, 0, ctx)).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_MODEL_OUTPUT_MISMATCH' }),
    );
    expect(() => decodeDetections('ultralytics', t, 3, ctx)).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_MODEL_OUTPUT_MISMATCH' }),
    );
  });
});

describe('llama-pajamas.json', () => {
  test('valid and invalid manifests', () => {
    expect(parseVisionManifest({ task: 'classify', labels: 'l.txt' }).task).toBe('classify');
    for (const bad of [
      null,
      [],
      { task: 'paint' },
      { task: 'detect', family: 'rcnn' },
      { task: 'classify', extra: 1 },
      { task: 'detect', iou: 2 },
    ]) {
      expect(() => parseVisionManifest(bad)).toThrow(expect.objectContaining({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' }));
    }
  });
});
