import { describe, expect, it } from 'vitest';
import { createTensor, isRunError, registerBackend, resolveBackend, unregisterBackend } from '@llama-pajamas/run-core';
import { OnnxSession, onnxBackend, readOnnxMetadata } from '../src/index.js';
import { readFileSync } from 'node:fs';
import { fixtures, models } from './fixtures/index.js';

describe('OnnxSession', () => {
  it('opens a real model and describes its inputs and outputs', async () => {
    const session = await OnnxSession.create(models.yoloxNano);
    expect(session.inputs).toEqual([{ name: 'images', type: 'float32', dims: [1, 3, 416, 416] }]);
    expect(session.outputs).toEqual([{ name: 'output', type: 'float32', dims: [1, 3549, 85] }]);
    expect(session.executionProvider).toBe('cpu');
    await session.dispose();
  });

  it('keeps symbolic dims as strings', async () => {
    await using session = await OnnxSession.create(models.mobilenet);
    expect(session.inputs[0]!.dims).toEqual(['batch_size', 3, 224, 224]);
  });

  it('runs a real model', async () => {
    await using session = await OnnxSession.create(models.mobilenet);
    const out = await session.run({
      input: createTensor('float32', new Float32Array(2 * 3 * 224 * 224), [2, 3, 224, 224]),
    });
    expect(out.output!.dims).toEqual([2, 1000]);
    expect(out.output!.type).toBe('float32');
  });

  it('rejects wrong shapes, types and missing inputs with ERR_RUN_TENSOR_SHAPE', async () => {
    await using session = await OnnxSession.create(models.yoloxNano);
    await expect(
      session.run({ images: createTensor('float32', new Float32Array(3 * 8 * 8), [1, 3, 8, 8]) }),
    ).rejects.toMatchObject({
      code: 'ERR_RUN_TENSOR_SHAPE',
      message: "Input 'images' of 'yolox_nano.onnx' expects dims [1, 3, 416, 416] but got [1, 3, 8, 8].",
    });
    await expect(
      session.run({ images: createTensor('int32', new Int32Array(3 * 416 * 416), [1, 3, 416, 416]) }),
    ).rejects.toMatchObject({ code: 'ERR_RUN_TENSOR_SHAPE' });
    await expect(session.run({})).rejects.toMatchObject({ code: 'ERR_RUN_TENSOR_SHAPE' });
  });

  it('refuses to run after dispose', async () => {
    const session = await OnnxSession.create(models.mobilenet);
    await session.dispose();
    await expect(session.run({})).rejects.toMatchObject({ code: 'ERR_RUN_SESSION_DISPOSED' });
  });

  it('gives typed errors for missing and non-ONNX files', async () => {
    await expect(OnnxSession.create('/nonexistent/model.onnx')).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_NOT_FOUND',
    });
    const err = await OnnxSession.create(new TextEncoder().encode('not a model')).catch((e: unknown) => e);
    expect(isRunError(err, 'ERR_RUN_MODEL_UNRECOGNIZED')).toBe(true);
  });

  it('skips CoreML off macOS and says why', async () => {
    await using session = await OnnxSession.create(models.mobilenet, { executionProviders: ['coreml', 'cpu'] });
    if (process.platform === 'darwin') return;
    expect(session.executionProvider).toBe('cpu');
    expect(session.providerErrors[0]).toMatch(/needs macOS/);
  });

  it('works through the run-core backend registry', async () => {
    registerBackend('onnx-test', onnxBackend, 100);
    const { name, backend } = await resolveBackend(['missing', 'onnx-test']);
    expect(name).toBe('onnx-test');
    const session = await backend.createSession(models.mobilenet);
    expect(session.outputs.map((o) => o.name)).toEqual(['output']);
    await session.dispose();
    unregisterBackend('onnx-test');
  });
});

describe('readOnnxMetadata', () => {
  it('reads nothing from a model without metadata_props and survives garbage', () => {
    expect(readOnnxMetadata(readFileSync(models.yoloxNano)).metadata).toEqual({});
    expect(readOnnxMetadata(new Uint8Array([0xff, 0xff, 0xff])).metadata).toEqual({});
  });
});

describe('readOnnxMetadata on an Ultralytics export', () => {
  it('reads names, imgsz, stride and task past the graph', async () => {
    await using session = await OnnxSession.create(fixtures.path('yolov8-tiny/yolov8-tiny.onnx'));
    expect(session.metadata).toMatchObject({ task: 'detect', stride: '32', imgsz: '[64, 64]' });
    expect(session.metadata.names).toMatch(/^\{0: 'person', 1: 'bicycle'/);
  });
});
