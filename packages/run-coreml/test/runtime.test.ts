import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCoreMLModel, runtimeHints } from '../src/index.js';
import { fixtures } from './fixtures/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'run-coreml-runtime-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('--runtime coreml|onnx|auto', () => {
  it('finds converted CoreML models in a folder or as the path itself', async () => {
    const onnxOnly = join(tmp, 'onnx-only');
    mkdirSync(onnxOnly);
    writeFileSync(join(onnxOnly, 'model.onnx'), '');
    expect(await hasCoreMLModel(onnxOnly)).toBe(false);
    expect(await hasCoreMLModel(join(fixtures.linear, '..'))).toBe(true);
    expect(await hasCoreMLModel(fixtures.linear)).toBe(true);
    expect(await hasCoreMLModel(join(tmp, 'missing.mlpackage'))).toBe(false);
  });

  it('picks CoreML then ONNX only on macOS with a converted model; explicit choices are kept', async () => {
    const dir = join(fixtures.linear, '..');
    expect(await runtimeHints('auto', dir, 'darwin')).toEqual(['coreml', 'onnx']);
    expect(await runtimeHints('auto', dir, 'linux')).toEqual(['onnx']);
    expect(await runtimeHints('auto', join(tmp, 'onnx-only'), 'darwin')).toEqual(['onnx']);
    expect(await runtimeHints('coreml', dir, 'linux')).toEqual(['coreml']);
    expect(await runtimeHints('onnx', dir, 'darwin')).toEqual(['onnx']);
    await expect(runtimeHints('tpu' as never, dir)).rejects.toThrow(/one of auto, coreml, onnx/);
  });
});
