// Real CoreML on macOS: built addon, real compiles, real predictions. Collected only on darwin (vitest.config.ts);
// .github/workflows/macos.yml runs it on GitHub's arm64 and Intel runners. Compute units default to cpuOnly and
// cpuAndGpu (the runners' VMs have no usable Neural Engine, and `all` can hang compiling for it);
// COREML_TEST_UNITS=all,cpuAndNeuralEngine,cpuOnly runs others on a real Mac.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTensor, isRunError, type Tensor } from '@llama-pajamas/run-core';
import { OnnxSession } from '@llama-pajamas/run-onnx';
import {
  CoreMLSession,
  coreMLSpecPath,
  loadBinding,
  readCoreMLSpec,
  type ComputeUnits,
  type CoreMLSessionOptions,
} from '../../src/index.js';
import { fixtures, golden } from '../fixtures/index.js';

const UNITS = (process.env.COREML_TEST_UNITS ?? 'cpuOnly,cpuAndGpu').split(',') as ComputeUnits[];
const [darwinMajor, darwinMinor] = release().split('.').map(Number) as [number, number];
const macosMajor = darwinMajor - 9; // Darwin 24 = macOS 15
const hasComputePlan = darwinMajor > 23 || (darwinMajor === 23 && darwinMinor >= 4); // macOS 14.4
const cacheDir = mkdtempSync(join(tmpdir(), 'run-coreml-darwin-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const open = (path: string, options: CoreMLSessionOptions = {}) => CoreMLSession.create(path, { cacheDir, ...options });
const f32 = (values: number[], dims: number[]): Tensor => createTensor('float32', new Float32Array(values), dims);
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
};

describe('the addon', () => {
  it('loads from the local build and reports the OS build', () => {
    const binding = loadBinding();
    expect(binding.bindingVersion).toBe(1);
    expect(binding.osBuild()).toMatch(/Build/);
  });

  it('describes each fixture as the TypeScript spec reader does', async () => {
    for (const path of [fixtures.linear, fixtures.linearFp32, fixtures.flexible, fixtures.classifier]) {
      const session = await open(path, { computeUnits: 'cpuOnly' });
      const spec = await readCoreMLSpec(path);
      const pick = (f: { name: string; kind: string; type: string; dims: readonly (number | string)[] }) => ({
        name: f.name,
        kind: f.kind,
        type: f.type,
        dims: f.kind === 'multiArray' ? [...f.dims] : [],
      });
      const byName = <T extends { name: string }>(a: readonly T[]) =>
        [...a].sort((x, y) => x.name.localeCompare(y.name));
      expect(byName(session.inputs).map(pick), path).toEqual(byName(spec.inputs).map(pick));
      expect(byName(session.outputs).map(pick), path).toEqual(byName(spec.outputs).map(pick));
      expect(session.metadata, path).toMatchObject(spec.metadata);
      await session.dispose();
    }
    const flexible = await open(fixtures.flexible, { computeUnits: 'cpuOnly' });
    const a = flexible.inputs.find((i) => i.name === 'a')!;
    const b = flexible.inputs.find((i) => i.name === 'b')!;
    expect(a.shapes).toEqual([
      [1, 4],
      [2, 4],
      [4, 4],
    ]);
    expect(b.ranges).toEqual([
      { min: 1, max: 16 },
      { min: 4, max: 4 },
    ]);
    await flexible.dispose();
  });
});

describe('the compiled-model cache', () => {
  it('compiles once, then loads from the cache; an .mlmodelc loads directly', async () => {
    const dir = mkdtempSync(join(cacheDir, 'fresh-'));
    const first = await open(fixtures.linearFp32, { cacheDir: dir, computeUnits: 'cpuOnly' });
    expect(first.compiledFrom).toBe('compiled');
    const second = await open(fixtures.linearFp32, { cacheDir: dir, computeUnits: 'cpuOnly' });
    expect(second.compiledFrom).toBe('cache');
    expect(second.compiledPath).toBe(first.compiledPath);
    const direct = await open(first.compiledPath, { computeUnits: 'cpuOnly' });
    expect(direct.compiledFrom).toBe('direct');
    await Promise.all([first.dispose(), second.dispose(), direct.dispose()]);
  });

  it('turns a broken package into ERR_RUN_COREML_COMPILE with CoreML’s own text', async () => {
    const broken = join(cacheDir, 'broken.mlpackage');
    cpSync(fixtures.linear, broken, { recursive: true });
    const spec = await coreMLSpecPath(broken);
    writeFileSync(spec, readFileSync(spec).subarray(0, 40));
    const error = await open(broken, { computeUnits: 'cpuOnly' }).catch((e: unknown) => e);
    expect(isRunError(error, 'ERR_RUN_COREML_COMPILE'), String(error)).toBe(true);
    expect((error as Error).message.length).toBeGreaterThan(60);
    expect((error as Error).stack).toContain('coreml.test.ts');
  });
});

describe.each(UNITS)('predictions on %s', (computeUnits) => {
  let onnx: OnnxSession;
  beforeAll(async () => {
    onnx = await OnnxSession.create(fixtures.linearOnnx);
  });
  afterAll(async () => {
    await onnx.dispose();
  });

  it('fp32: matches numpy and onnxruntime on the same graph', async () => {
    const session = await open(fixtures.linearFp32, { computeUnits });
    expect(session.computeUnits).toBe(computeUnits);
    const x = f32(golden.linear.x, [1, 4]);
    const { y } = await session.run({ x });
    const reference = (await onnx.run({ x })).y!;
    expect(y!.type).toBe('float32');
    expect(y!.dims).toEqual([1, 3]);
    close(y!.data as Float32Array, golden.linear.y, 1e-4);
    close(y!.data as Float32Array, reference.data as Float32Array, 1e-4);
    await session.dispose();
  });

  it('fp16: float32 feeds are converted, float16 outputs come back as float32 (or kept)', async () => {
    const session = await open(fixtures.linear, { computeUnits });
    const x = f32(golden.linear.x, [1, 4]);
    const { y } = await session.run({ x });
    expect(y!.type).toBe('float32');
    close(y!.data as Float32Array, golden.linear.yFloat16, 2e-2);
    await session.dispose();
    const keep = await open(fixtures.linear, { computeUnits, float16Outputs: 'keep' });
    const kept = (await keep.run({ x })).y!;
    expect(kept.type).toBe('float16');
    await keep.dispose();
  });

  it('flexible inputs: an enumerated shape and a shape inside the range', async () => {
    const session = await open(fixtures.flexible, { computeUnits });
    const a = f32([1, 2, 3, 4, 10, 20, 30, 40], [2, 4]);
    const rows = 9;
    const b = f32(
      Array.from({ length: rows * 4 }, (_, i) => i),
      [rows, 4],
    );
    const { sa, sb } = await session.run({ a, b });
    expect(sa!.dims).toEqual([1, 4]);
    close(sa!.data as Float32Array, [11, 22, 33, 44], 1e-4);
    const expected = [0, 1, 2, 3].map((c) =>
      Array.from({ length: rows }, (_, r) => r * 4 + c).reduce((s, v) => s + v, 0),
    );
    close(sb!.data as Float32Array, expected, 1e-3);
    await expect(session.run({ a: f32(new Array<number>(12).fill(0), [3, 4]), b })).rejects.toMatchObject({
      code: 'ERR_RUN_TENSOR_SHAPE',
      message: expect.stringContaining('accepts one of [1, 4], [2, 4], [4, 4]'),
    });
    await session.dispose();
  });

  it('classifier .mlmodel: label and probabilities as values', async () => {
    const session = await open(fixtures.classifier, { computeUnits });
    const { values } = await session.predict({ features: f32(golden.classifier.features, [4]) });
    expect(values.label).toBe(golden.classifier.label);
    const probs = values.probs as Record<string, number>;
    close(
      ['cat', 'dog', 'fish'].map((k) => probs[k]!),
      golden.classifier.probs,
      1e-3,
    );
    await session.dispose();
  });

  it('batch predictions equal one-by-one predictions, and parallel runs do not mix', async () => {
    const session = await open(fixtures.linearFp32, { computeUnits });
    const feeds = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ x: f32([k, k + 1, -k, 0.5 * k], [1, 4]) }));
    const batch = await session.runBatch(feeds);
    const parallel = await Promise.all(feeds.map((f) => session.run(f)));
    for (let i = 0; i < feeds.length; i++) {
      close(batch[i]!.y!.data as Float32Array, parallel[i]!.y!.data as Float32Array, 1e-5);
      close(parallel[i]!.y!.data as Float32Array, (await onnx.run(feeds[i]!)).y!.data as Float32Array, 1e-4);
    }
    await session.dispose();
  });

  it('stateful model: the state accumulates across predictions (macOS 15), or a typed error before', async () => {
    if (macosMajor < 15) {
      // A specification-9 (macOS 15) model cannot be compiled by an older CoreML.
      const error = await open(fixtures.stateful, { computeUnits }).catch((e: unknown) => e);
      expect(
        isRunError(error) && ['ERR_RUN_COREML_COMPILE', 'ERR_RUN_COREML_LOAD'].includes(error.code),
        String(error),
      ).toBe(true);
      return;
    }
    const session = await open(fixtures.stateful, { computeUnits });
    expect(session.states.map((s) => [s.name, s.type])).toEqual([['acc', 'float16']]);
    expect(session.inputs.map((i) => i.name)).toEqual(['x']);
    const state = session.createState();
    const x = f32([1, 2, 3, 4], [1, 4]);
    const first = (await session.run({ x }, { state })).total!;
    const second = (await session.run({ x }, { state })).total!;
    close(first.data as Float32Array, [1, 2, 3, 4], 1e-3);
    close(second.data as Float32Array, [2, 4, 6, 8], 1e-3);
    const fresh = (await session.run({ x }, { state: session.createState() })).total!;
    close(fresh.data as Float32Array, [1, 2, 3, 4], 1e-3);
    await session.dispose();
  });

  it('refuses image inputs, wrong names, aborted signals and a disposed session with typed errors', async () => {
    const image = await open(fixtures.imageInput, { computeUnits });
    expect(image.inputs[0]).toMatchObject({ name: 'image', kind: 'image', image: { width: 8, height: 8 } });
    await expect(image.run({ image: f32(new Array<number>(192).fill(0), [1, 3, 8, 8]) })).rejects.toMatchObject({
      code: 'ERR_RUN_TENSOR_SHAPE',
    });
    await image.dispose();
    const session = await open(fixtures.linearFp32, { computeUnits });
    await expect(session.run({ nope: f32([1, 2, 3, 4], [1, 4]) })).rejects.toMatchObject({
      code: 'ERR_RUN_TENSOR_SHAPE',
    });
    expect(() => session.createState()).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_COREML_UNSUPPORTED_FEATURE' }),
    );
    await expect(session.run({ x: f32([1, 2, 3, 4], [1, 4]) }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_RUN_ABORTED',
    });
    await session.dispose();
    await expect(session.run({ x: f32([1, 2, 3, 4], [1, 4]) })).rejects.toMatchObject({
      code: 'ERR_RUN_SESSION_DISPOSED',
    });
  });

  it('reports where each operation would run (MLComputePlan, macOS 14.4+), or a typed error before', async () => {
    const session = await open(fixtures.linearFp32, { computeUnits });
    if (!hasComputePlan) {
      await expect(session.computePlan()).rejects.toMatchObject({ code: 'ERR_RUN_COREML_UNSUPPORTED_FEATURE' });
      await session.dispose();
      return;
    }
    const plan = await session.computePlan();
    expect(plan.structure).toBe('program');
    const linear = plan.operations.find((op) => op.operator === 'linear');
    expect(linear, JSON.stringify(plan.operations)).toBeDefined();
    if (computeUnits === 'cpuOnly') {
      expect(linear!.preferred).toBe('cpu');
      expect(plan.devices.neuralEngine.operations + plan.devices.gpu.operations).toBe(0);
    }
    console.log(`[plan] linear_fp32 on ${computeUnits}: ${JSON.stringify(plan.devices)}`);
    await session.dispose();
  });

  it('prints its latency', async () => {
    const session = await open(fixtures.linearFp32, { computeUnits });
    const x = f32(golden.linear.x, [1, 4]);
    for (let i = 0; i < 5; i++) await session.run({ x });
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await session.run({ x });
      times.push(performance.now() - t0);
    }
    times.sort((p, q) => p - q);
    console.log(
      `[latency] linear_fp32 on ${computeUnits}: median ${times[25]!.toFixed(3)} ms, min ${times[0]!.toFixed(3)} ms`,
    );
    await session.dispose();
  });
});
