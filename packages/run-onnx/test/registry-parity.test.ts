import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  createTensor,
  loadVisionModel as loadVisionModelOnRuntime,
  openSession,
  resolveBackend,
  resolveRuntime,
} from '@llama-pajamas/run-core';
import { OnnxSession, loadVisionModel, onnxBackend, registerOnnxBackend } from '../src/index.js';
import { images, visionFixtures } from './fixtures/index.js';

// The same model opened two ways must give the same answers: through the registry (resolveBackend(['onnx']) and
// run-core's loaders) and through run-onnx's own functions. Speech (Whisper, Piper) cases live here too.
registerOnnxBackend();

describe('registry parity: YOLO (tools/fixtures/models/yolov8-tiny)', () => {
  it('the registry resolves onnx to run-onnx’s backend', async () => {
    const { name, backend } = await resolveBackend(['onnx']);
    expect(name).toBe('onnx');
    expect(backend).toBe(onnxBackend);
    expect(backend.files.extensions).toEqual(['.onnx']);
  });

  it('a session opened through the registry gives the same output as OnnxSession.create', async () => {
    const runtime = await resolveRuntime({ runtime: ['onnx'], session: { intraOpThreads: 1 } });
    await using viaRegistry = await openSession(runtime, visionFixtures.yolov8Tiny);
    await using direct = await OnnxSession.create(visionFixtures.yolov8Tiny, { intraOpThreads: 1 });
    expect(viaRegistry.inputs).toEqual(direct.inputs);
    expect(viaRegistry.outputs).toEqual(direct.outputs);
    expect(viaRegistry.metadata).toEqual(direct.metadata);
    const [input] = direct.inputs;
    const dims = input!.dims as number[];
    const pixels = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i % 255) / 255);
    const feeds = { [input!.name]: createTensor('float32', pixels, dims) };
    const a = await viaRegistry.run(feeds);
    const b = await direct.run(feeds);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const key of Object.keys(b)) expect(a[key]!.data).toEqual(b[key]!.data);
  });

  it('run-core loadVisionModel on the registry and run-onnx loadVisionModel detect identically', async () => {
    const viaRegistry = await loadVisionModelOnRuntime(visionFixtures.yolov8Tiny, {
      runtime: 'onnx',
      session: { intraOpThreads: 1 },
    });
    const direct = await loadVisionModel(visionFixtures.yolov8Tiny, { intraOpThreads: 1 });
    try {
      expect(viaRegistry.modelId).toBe(direct.modelId);
      expect(viaRegistry.modelType).toBe(direct.modelType);
      expect(viaRegistry.labels).toEqual(direct.labels);
      expect(viaRegistry.capabilities).toEqual(direct.capabilities);
      const dog = await readFile(images.dog);
      // Random weights score ~1e-4 everywhere: confidence 0 keeps the top detections so there is much to compare.
      const options = { confidence: 0, maxDetections: 50 };
      const a = await viaRegistry.detect(dog, options);
      const b = await direct.detect(dog, options);
      expect(b.detections.length).toBeGreaterThan(0);
      expect(a).toEqual(b);
      expect(await viaRegistry.batchDetect([images.person, dog], options)).toEqual(
        await direct.batchDetect([images.person, dog], options),
      );
    } finally {
      await Promise.all([viaRegistry.unload(), direct.unload()]);
    }
  });
});
