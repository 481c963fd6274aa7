import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compiledModelCacheKey,
  compiledModelPath,
  compilingModels,
  defaultCacheDir,
  ensureCompiled,
  modelContentHash,
} from '../src/index.js';
import { fixtures, golden } from './fixtures/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'run-coreml-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('compiled-model cache keys', () => {
  it('hashes each fixture to the value Python computed from the same files (golden.json contentHash)', async () => {
    const names: Record<string, string> = {
      linear: fixtures.linear,
      linear_fp32: fixtures.linearFp32,
      flexible: fixtures.flexible,
      stateful: fixtures.stateful,
      classifier: fixtures.classifier,
      image_input: fixtures.imageInput,
    };
    for (const [name, path] of Object.entries(names)) {
      expect(await modelContentHash(path), name).toBe(golden.contentHash[name]);
    }
  });

  it('ignores the package name and file times, and changes with any byte', async () => {
    const copy = join(tmp, 'copy.mlpackage');
    cpSync(fixtures.linear, copy, { recursive: true });
    const original = await modelContentHash(fixtures.linear);
    const weights = join(copy, 'Data', 'com.apple.CoreML', 'weights', 'weight.bin');
    utimesSync(weights, new Date(0), new Date(0));
    renameSync(copy, join(tmp, 'renamed.mlpackage'));
    expect(await modelContentHash(join(tmp, 'renamed.mlpackage'))).toBe(original);
    writeFileSync(join(tmp, 'renamed.mlpackage', 'Data', 'com.apple.CoreML', 'weights', 'weight.bin'), 'changed');
    expect(await modelContentHash(join(tmp, 'renamed.mlpackage'))).not.toBe(original);
  });

  it('keys on the OS build too, and names the entry after the model', () => {
    const a = compiledModelCacheKey('ab'.repeat(32), 'Version 14.4 (Build 23E214)');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(compiledModelCacheKey('ab'.repeat(32), 'Version 14.4 (Build 23E214)')).toBe(a);
    expect(compiledModelCacheKey('ab'.repeat(32), 'Version 14.5 (Build 23F79)')).not.toBe(a);
    expect(compiledModelCacheKey('cd'.repeat(32), 'Version 14.4 (Build 23E214)')).not.toBe(a);
    expect(compiledModelPath('/c', '/m/yolo v8n.mlpackage', a)).toBe(`/c/yolo_v8n-${a}.mlmodelc`);
  });

  it('documents one cache folder per platform', () => {
    expect(defaultCacheDir('darwin', '/Users/me')).toBe('/Users/me/Library/Caches/llama-pajamas/coreml');
    expect(defaultCacheDir('linux', '/home/me', '')).toBe('/home/me/.cache/llama-pajamas/coreml');
    expect(defaultCacheDir('linux', '/home/me', '/xdg')).toBe('/xdg/llama-pajamas/coreml');
  });
});

// The cache bookkeeping around the compile (reuse, atomic move, one compile for concurrent loads). The compile
// itself is CoreML's (native/coreml/src/compile.mm) and runs only in test/darwin; here the step is a function
// that writes a folder, so what is tested is the bookkeeping, not CoreML.
describe('ensureCompiled bookkeeping', () => {
  it('loads an .mlmodelc directly, compiles a package once and then reuses it, sharing concurrent compiles', async () => {
    const cacheDir = join(tmp, 'cache');
    const calls: string[] = [];
    const compile = async (source: string, destination: string): Promise<string> => {
      calls.push(source);
      await new Promise((r) => setTimeout(r, 20));
      mkdirSync(destination, { recursive: true });
      writeFileSync(join(destination, 'coremldata.bin'), 'x');
      return destination;
    };
    const options = { cacheDir, osBuild: 'Version 14.4 (Build 23E214)', compile };
    expect(await ensureCompiled('/models/m.mlmodelc', options)).toEqual({
      path: '/models/m.mlmodelc',
      source: 'direct',
    });
    const pending = [ensureCompiled(fixtures.linear, options), ensureCompiled(fixtures.linear, options)];
    expect(compilingModels()).toEqual([fixtures.linear]);
    const [first, second] = await Promise.all(pending);
    expect(first).toEqual(second);
    expect(first!.source).toBe('compiled');
    expect(calls).toHaveLength(1);
    expect(compilingModels()).toEqual([]);
    expect(await ensureCompiled(fixtures.linear, options)).toEqual({ path: first!.path, source: 'cache' });
    expect(readdirSync(cacheDir)).toEqual([first!.path.split('/').at(-1)]); // no temporary folder left
    const other = await ensureCompiled(fixtures.linear, { ...options, osBuild: 'Version 15.0 (Build 24A335)' });
    expect(other.source).toBe('compiled');
    expect(other.path).not.toBe(first!.path);
  });

  it('leaves nothing behind when the compile fails', async () => {
    const cacheDir = join(tmp, 'cache-fail');
    const compile = (_source: string, destination: string): Promise<string> => {
      mkdirSync(destination, { recursive: true });
      return Promise.reject(new Error('CoreML could not compile: bad model (com.apple.CoreML 0)'));
    };
    await expect(ensureCompiled(fixtures.linear, { cacheDir, osBuild: 'b', compile })).rejects.toThrow(/bad model/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
