import type { VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp, describeModelRuntime, runtimeHealthFields } from '../src/index.js';
import { fixtures } from './fixtures/index.js';

let yolox: VisionBackend;
let plain: VisionBackend;
let app: FastifyInstance;
let base: string;
let compiling = true;

beforeAll(async () => {
  yolox = await loadVisionModel(fixtures.yolox, { labels: fixtures.coco80 });
  plain = await loadVisionModel(fixtures.yolox, { labels: fixtures.coco80, modelId: 'plain' });
  describeModelRuntime(yolox, () => ({ runtime: 'coreml', computeUnits: 'cpuAndGpu', compiling }));
  app = await createMultimodalApp({ vision: { yolox, plain }, options: { apiKey: 'sk-test' } });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await yolox?.unload();
  await plain?.unload();
});

interface Health {
  status: string;
  uptime_s: number;
  models: Record<string, unknown>[];
}
const health = async (): Promise<Health> => {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
  return (await res.json()) as Health;
};

describe('/health reports the runtime of each model (real server on loopback, real YOLOX-Nano)', () => {
  it('keeps the existing fields and adds runtime, compute units and compiling where described, read live', async () => {
    const first = await health();
    expect(first.status).toBe('ok');
    expect(first.models).toEqual([
      {
        model: 'yolox',
        kind: 'vision',
        capabilities: ['detect'],
        loaded: true,
        busy: false,
        running: 0,
        queued: 0,
        runtime: 'coreml',
        compute_units: 'cpuAndGpu',
        compiling: true,
      },
      { model: 'plain', kind: 'vision', capabilities: ['detect'], loaded: true, busy: false, running: 0, queued: 0 },
    ]);
    compiling = false;
    expect((await health()).models[0]).toMatchObject({ runtime: 'coreml', compiling: false });
  });

  it('reports the ONNX execution providers, and nothing when the description throws', () => {
    describeModelRuntime(plain, () => ({ runtime: 'onnx', executionProviders: ['cpu'] }));
    expect(runtimeHealthFields(plain)).toEqual({ runtime: 'onnx', execution_providers: ['cpu'] });
    describeModelRuntime(plain, () => {
      throw new Error('gone');
    });
    expect(runtimeHealthFields(plain)).toEqual({});
  });
});
