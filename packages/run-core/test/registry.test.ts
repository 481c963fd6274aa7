import { afterEach, describe, expect, it } from 'vitest';
import {
  listBackends,
  registerBackend,
  resolveBackend,
  unregisterBackend,
  type Backend,
  type InferenceSession,
  type RuntimeFiles,
} from '../src/index.js';

const files: RuntimeFiles = {
  extensions: ['.test'],
  dtypeSuffixes: { fp32: [''], fp16: ['_half'], int8: ['_q'] },
  dtypePreference: ['fp32', 'int8'],
};

// Test backends at the abstract seam (the registry only calls init/createSession), as onnxruntime-common's
// backend-init tests do. Real runtimes are tested in run-onnx.
function backend(init: () => Promise<void>): Backend & { inits: number } {
  const b = {
    inits: 0,
    async init() {
      b.inits++;
      await init();
    },
    createSession(): Promise<InferenceSession> {
      return Promise.reject(new Error('not used'));
    },
    files,
  };
  return b;
}

const names: string[] = [];
function register(name: string, b: Backend, priority: number): void {
  names.push(name);
  registerBackend(name, b, priority);
}
afterEach(() => {
  for (const n of names.splice(0)) unregisterBackend(n);
});

describe('backend registry', () => {
  it('orders by priority and resolves the best working backend', async () => {
    const low = backend(async () => {});
    const high = backend(async () => {});
    register('low', low, 10);
    register('high', high, 200);
    expect(listBackends()).toEqual(['high', 'low']);
    expect((await resolveBackend()).name).toBe('high');
    expect((await resolveBackend(['low'])).name).toBe('low');
  });

  it('falls back past a failing backend, initialises each once, and remembers failures', async () => {
    const broken = backend(() => Promise.reject(new Error('CoreML needs macOS')));
    const cpu = backend(async () => {});
    register('coreml', broken, 200);
    register('cpu', cpu, 100);
    expect((await resolveBackend(['coreml', 'cpu'])).name).toBe('cpu');
    expect((await resolveBackend(['coreml', 'cpu'])).name).toBe('cpu');
    expect(broken.inits).toBe(1);
    expect(cpu.inits).toBe(1);
  });

  it('throws one error naming every candidate and its failure', async () => {
    register(
      'coreml',
      backend(() => Promise.reject(new Error('CoreML needs macOS'))),
      200,
    );
    await expect(resolveBackend(['coreml', 'cuda'])).rejects.toThrowErrorMatchingInlineSnapshot(
      `[BackendNotFoundError: no available backend found. ERR: [coreml] CoreML needs macOS, [cuda] not registered]`,
    );
  });

  it('validates its arguments', () => {
    expect(() =>
      registerBackend(
        '',
        backend(async () => {}),
        1,
      ),
    ).toThrowError(/Expected a non-empty string for name/);
    expect(() => registerBackend('x', {} as Backend, 1)).toThrowError(/init\(\) and createSession\(\)/);
    expect(() =>
      registerBackend(
        'x',
        backend(async () => {}),
        Number.NaN,
      ),
    ).toThrowError(/finite number for priority/);
  });

  it('refuses a backend whose files cannot name model files', () => {
    const withFiles = (f: unknown): Backend => ({ ...backend(async () => {}), files: f as RuntimeFiles });
    expect(() => registerBackend('x', withFiles(undefined), 1)).toThrowError(/backend\.files\.extensions/);
    expect(() => registerBackend('x', withFiles({ ...files, extensions: ['onnx'] }), 1)).toThrowError(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
    expect(() =>
      registerBackend('x', withFiles({ ...files, dtypeSuffixes: { fp32: [''], fp16: ['_fp16'] } }), 1),
    ).toThrowError(/dtypeSuffixes\.int8/);
    expect(() => registerBackend('x', withFiles({ ...files, dtypePreference: ['fp64'] }), 1)).toThrowError(
      /dtypePreference/,
    );
    expect(listBackends()).not.toContain('x');
  });

  it('refuses a second, different backend under the same name', () => {
    register(
      'dup',
      backend(async () => {}),
      1,
    );
    expect(() =>
      registerBackend(
        'dup',
        backend(async () => {}),
        1,
      ),
    ).toThrowError(/already registered/);
  });
});
