import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpeechToText, loadVisionModel } from '@llama-pajamas/run-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert, inspectPackage, type ConvertOptions } from '../src/index.js';
import { envAvailable, IMAGES, SOURCES, SPEECH, sources } from './helpers.js';

const available = await envAvailable();
const DOG = join(IMAGES, 'dog.jpg');
let tmp = '';

async function run(name: string, o: Omit<ConvertOptions, 'out'>) {
  return convert({ parityInputs: [IMAGES], ...o, out: join(tmp, name) });
}

describe.skipIf(!available)(
  'convert (real coremltools + torch + onnxruntime; skipped only without the converter venv, which tools/test/setup-converters.sh makes and CI installs)',
  { timeout: 600_000 },
  () => {
    beforeAll(async () => {
      await sources();
      tmp = await mkdtemp(join(tmpdir(), 'lp-convert-'));
    }, 900_000);
    afterAll(async () => {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('YOLOv8 .pt → FP16 mlpackage + ONNX that run-onnx loads; the parity figures are in the manifest', async () => {
      const { out, manifest, log } = await run('yolov8', {
        family: 'yolo',
        source: join(SOURCES, 'yolov8-tiny.pt'),
        imgsz: 64,
        onnx: ['fp32', 'fp16'],
      });
      expect(log.map((l) => l.step)).toEqual(expect.arrayContaining(['env', 'load', 'coreml', 'onnx', 'parity']));
      const p = manifest.conversion.parity.onnx as Record<string, number | boolean>;
      expect(p.passed).toBe(true);
      expect(p.meanIoU).toBeGreaterThan(0.95);
      expect(p.meanIoU).toBeLessThan(1); // the sources' weights are lively: the figures are not trivially perfect
      expect(p.inputs).toBe(4);
      expect(manifest).toMatchObject({ task: 'detect', family: 'ultralytics', model: 'onnx/model.onnx' });
      expect(manifest.labels).toHaveLength(80);
      expect(manifest.conversion.source.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(manifest.conversion.versions).toMatchObject({ coremltools: '9.0', torch: '2.7.0' });
      for (const f of ['model.mlpackage', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'parity/reference.npz'])
        expect(existsSync(join(out, f)), f).toBe(true);
      expect((await readFile(join(out, 'labels.txt'), 'utf8')).trim().split('\n')).toHaveLength(80);

      const spec = await inspectPackage(join(out, 'model.mlpackage'));
      expect(spec.type).toBe('mlProgram');
      expect(spec.specificationVersion).toBeGreaterThanOrEqual(7);
      expect(spec.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: [1, 3, 64, 64] }]);
      expect(spec.outputs).toEqual([{ name: 'output0', dtype: 'float32', shape: [1, 84, 84] }]); // 4+80, 8²+4²+2² anchors
      expect(spec.constants['const:float16']).toBeGreaterThan(10); // FP16 weights
      expect(spec.constants['const:float32'] ?? 0).toBeLessThan(5);
      expect(spec.metadata).toMatchObject({ task: 'detect', imgsz: '[64, 64]', stride: '32' });

      // the folder (manifest) and the bare ONNX file (Ultralytics metadata) give the same detections
      const folder = await loadVisionModel(out);
      const file = await loadVisionModel(join(out, 'onnx/model.onnx'));
      const a = await folder.detect(DOG, { confidence: 0.001 });
      const b = await file.detect(DOG, { confidence: 0.001 });
      expect(a.detections).toEqual(b.detections);
      expect(folder.labels).toHaveLength(80);
      await folder.unload();
      await file.unload();
    });

    it('YOLO11 .pt with int8 weights: constexpr ops in the package, int8 thresholds', async () => {
      const { out, manifest } = await run('yolo11', {
        family: 'yolo',
        source: join(SOURCES, 'yolo11-tiny.pt'),
        imgsz: 64,
        quantize: 'int8',
      });
      expect(manifest.conversion.quantize).toBe('int8');
      const p = manifest.conversion.parity.onnx as Record<string, unknown>;
      expect(p.passed).toBe(true);
      expect(p.thresholds).toMatchObject({ minMeanIoU: 0.9 });
      const spec = await inspectPackage(join(out, 'model_int8.mlpackage'));
      // macOS 13 target: int8 data and scales live in constexpr_affine_dequantize ops (one per weight)
      expect(spec.ops.constexpr_affine_dequantize).toBeGreaterThan(10);
      expect(spec.constants['constexpr_affine_dequantize:float16']).toBe(spec.ops.constexpr_affine_dequantize);
      expect(existsSync(join(out, 'onnx'))).toBe(false); // ONNX only on request
    });

    it('ViT folder → classifier that loads through the manifest exactly as through the Hugging Face folder', async () => {
      const { out, manifest } = await run('vit', {
        family: 'classifier',
        source: join(SOURCES, 'vit-tiny'),
        onnx: true,
      });
      expect(manifest.input).toMatchObject({ name: 'pixel_values', resize: 'stretch', mean: [0.5, 0.5, 0.5] });
      expect((manifest.conversion.parity.onnx as Record<string, unknown>).top1AgreementDecisive).toBe(1);
      const spec = await inspectPackage(join(out, 'model.mlpackage'));
      expect(spec.outputs[0]).toMatchObject({ name: 'logits', dtype: 'float32' });
      const plain = join(tmp, 'vit-plain');
      await cp(out, plain, { recursive: true });
      await rm(join(plain, 'llama-pajamas.json'));
      const viaManifest = await loadVisionModel(out);
      const viaFolder = await loadVisionModel(plain);
      const a = await viaManifest.classify(DOG, { topK: 3 });
      const b = await viaFolder.classify(DOG, { topK: 3 });
      expect(a.predictions.map((c) => c.label)).toEqual(b.predictions.map((c) => c.label));
      a.predictions.forEach((c, i) => expect(c.score).toBeCloseTo(b.predictions[i]!.score, 5));
      await viaManifest.unload();
      await viaFolder.unload();
    });

    it('MobileNetV2, 4-bit palettized: lookup-table weights', async () => {
      const { out } = await run('mobilenet', {
        family: 'classifier',
        source: join(SOURCES, 'mobilenet-tiny'),
        quantize: 'palettize4',
      });
      const spec = await inspectPackage(join(out, 'model_palettized.mlpackage'));
      expect(spec.ops.constexpr_lut_to_dense).toBeGreaterThan(0); // every weight of >= 2048 elements
      expect(spec.constants['constexpr_lut_to_dense:float16']).toBe(spec.ops.constexpr_lut_to_dense);
    });

    it('the parity gate fails with the figures, leaves no folder, and --fallback fp32 redoes it at FP32', async () => {
      const o = {
        family: 'classifier',
        source: join(SOURCES, 'vit-tiny'),
        parityThresholds: { maxProbDelta: 1e-6 },
      } as const;
      const err = await run('vit-strict', o).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'ERR_RUN_CONVERTER_PARITY_FAILED',
        message: expect.stringMatching(/maxProbDelta .* > 1e-06/),
      });
      expect((err as { details: { figures: { maxProbDelta: number } } }).details.figures.maxProbDelta).toBeGreaterThan(
        1e-6,
      );
      expect(existsSync(join(tmp, 'vit-strict'))).toBe(false);
      const { out, manifest } = await run('vit-fallback', { ...o, fallback: 'fp32' });
      expect(manifest.conversion.precision).toBe('fp32');
      expect(manifest.conversion.fallback?.from).toBe('fp16');
      expect(await readdir(out)).toContain('model_fp32.mlpackage');
    });

    it('CLIP folder → image and text towers; the ONNX side loads as a zero-shot model', async () => {
      const { out, manifest } = await run('clip', { family: 'clip', source: join(SOURCES, 'clip-tiny'), onnx: true });
      const figures = manifest.conversion.parity.onnx as Record<string, { minCosine: number }>;
      expect(figures.image!.minCosine).toBeGreaterThan(0.999);
      expect(figures.text!.minCosine).toBeGreaterThan(0.999);
      const text = await inspectPackage(join(out, 'text_model.mlpackage'));
      expect(text.inputs[0]).toMatchObject({ name: 'input_ids', dtype: 'int32' });
      expect(text.outputs[0]).toMatchObject({ name: 'text_embeds', dtype: 'float32' });
      const clip = await loadVisionModel(out);
      expect(clip.modelType).toBe('zero-shot');
      const { predictions } = await clip.classify(DOG, { labels: ['dog', 'cat'] });
      expect(predictions.map((p) => p.label).sort()).toEqual(['cat', 'dog']);
      await clip.unload();
    });

    it('Whisper folder → encoder, KV-cache decoder and stateful decoder; the ONNX side transcribes', async () => {
      const { out, manifest } = await convert({
        family: 'whisper',
        source: join(SOURCES, 'whisper-tiny'),
        out: join(tmp, 'whisper'),
        maxTokens: 32,
        paritySteps: 8,
        onnx: true,
        parityInputs: [SPEECH],
      });
      const figures = manifest.conversion.parity.onnx as Record<string, Record<string, number>>;
      expect(figures.onnx!.tokenAgreement).toBeGreaterThanOrEqual(0.95);
      expect(figures.static!.tokenAgreement).toBeGreaterThanOrEqual(0.95);
      const dec = await inspectPackage(join(out, 'decoder_model.mlpackage'));
      expect(dec.inputs.map((i) => i.name)).toEqual([
        'input_ids',
        'cache_position',
        'key_cache',
        'value_cache',
        'encoder_hidden_states',
      ]);
      expect(dec.inputs[2]).toEqual({ name: 'key_cache', dtype: 'float16', shape: [2, 1, 32, 32] });
      expect(dec.outputs.map((o) => o.name)).toEqual(['logits', 'key_cache_out', 'value_cache_out']);
      const st = await inspectPackage(join(out, 'decoder_model_stateful.mlpackage'));
      expect(st.states?.map((s) => s.name)).toEqual(['key_cache', 'value_cache']);
      expect(st.specificationVersion).toBeGreaterThanOrEqual(9); // macOS 15
      expect(st.ops.read_state).toBe(2);
      expect(st.ops.write_state).toBe(2);
      const stt = await loadSpeechToText(out);
      const r = await stt.transcribe(SPEECH);
      expect(typeof r.text).toBe('string');
      await stt.unload();
    });
  },
);
