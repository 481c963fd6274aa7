import { describe, expect, it } from 'vitest';
import { FAMILY_FILES, familyFilePaths, type RuntimeFiles } from '../src/index.js';
import {
  HEAD_LAYOUTS,
  checkHeadDims,
  familyLookedFor,
  headClassCount,
  headFits,
  recognizeHead,
} from '../src/families.js';

const onnx: RuntimeFiles = {
  extensions: ['.onnx'],
  dtypeSuffixes: { fp32: [''], fp16: ['_fp16'], int8: ['_quantized', '_int8'] },
  dtypePreference: ['fp32', 'int8', 'fp16'],
};
const coreml: RuntimeFiles = {
  extensions: ['.mlmodelc', '.mlpackage'],
  dtypeSuffixes: { fp32: [''], fp16: [''], int8: ['_int8'] },
  dtypePreference: ['fp16'],
};

describe('FAMILY_FILES', () => {
  it('gives a model manager the paths of each file per runtime and dtype', () => {
    const [, , encoder] = FAMILY_FILES.whisper.required;
    expect(familyFilePaths(encoder[0], onnx, 'int8')).toEqual([
      'encoder_model_quantized.onnx',
      'encoder_model_int8.onnx',
      'onnx/encoder_model_quantized.onnx',
      'onnx/encoder_model_int8.onnx',
    ]);
    expect(familyFilePaths(FAMILY_FILES['hf-image-classifier'].required[2][0], coreml, 'fp16')).toEqual([
      'onnx/model.mlmodelc',
      'onnx/model.mlpackage',
      'model.mlmodelc',
      'model.mlpackage',
    ]);
  });

  it('describes the families of a kind for "looked for" messages', () => {
    expect(familyLookedFor('vision', onnx)).toMatchInlineSnapshot(`
      [
        "an image model described by a llama-pajamas.json manifest: llama-pajamas.json + a .onnx file",
        "a Hugging Face image classifier: config.json + preprocessor_config.json + onnx/model.onnx",
        "a CLIP model: config.json + preprocessor_config.json + onnx/vision_model.onnx or onnx/model.onnx (+ onnx/text_model.onnx, tokenizer.json, tokenizer_config.json)",
        "exactly one model file (Ultralytics metadata, or a YOLOX/YOLOv5/FastestDet output layout): a .onnx file",
      ]
    `);
  });
});

describe('detection head layouts (described once)', () => {
  const size = { width: 416, height: 416 };
  it('counts classes and checks dims from the one table', () => {
    expect(headClassCount('ultralytics', [1, 84, 8400])).toBe(80);
    expect(headClassCount('yolox', [1, 3549, 85])).toBe(80);
    expect(headClassCount('fastestdet', [1, 85, 22, 22])).toBe(80);
    expect(headClassCount('ultralytics-nms', [1, 300, 6])).toBeUndefined();
    expect(headFits('yolox', [1, 3549, 85], size)).toBe(true);
    expect(headFits('yolox', [1, 3548, 85], size)).toBe(false);
    expect(headFits('ultralytics', [1, 84, 6], size)).toBe(false);
    expect(headFits('ultralytics-nms', [1, 300, 7], size)).toBe(false);
    expect(headFits('ultralytics-nms', [1, 'n', 6], size)).toBe(true);
    expect(Object.keys(HEAD_LAYOUTS)).toHaveLength(5);
  });

  it('recognises heads from output dims and metadata', () => {
    const out = (dims: (number | string)[]) => ({ name: 'out', type: 'float32' as const, dims });
    expect(recognizeHead(out([1, 3549, 85]), size, {}, undefined)).toBe('yolox');
    expect(recognizeHead(out([1, 3 * 3549, 85]), size, {}, undefined)).toBe('yolov5');
    expect(recognizeHead(out([1, 84, 3549]), size, {}, undefined)).toBe('ultralytics');
    expect(recognizeHead(out([1, 85, 26, 26]), size, {}, undefined)).toBe('fastestdet');
    expect(recognizeHead(out([1, 300, 6]), size, { names: '{0: a}' }, 1)).toBe('ultralytics-nms');
    expect(recognizeHead(out([1, 1000]), size, {}, undefined)).toBeUndefined();
    expect(() => checkHeadDims('yolox', out([1, 100, 85]), size, 'm')).toThrowError(
      expect.objectContaining({
        code: 'ERR_RUN_MODEL_OUTPUT_MISMATCH',
        message: expect.stringContaining(
          "Model 'm': output 'out' is [1, 100, 85], but a yolox output [batch, 3549, 5 + classes]",
        ),
      }),
    );
  });
});
