import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

// The built package must import under plain Node ESM (no Vite, no source condition): this catches
// CommonJS-interop mistakes such as named imports from CJS packages, which pass tsc and vitest.
// `pnpm test` builds first (turbo: test dependsOn build); run `pnpm build` before running this file alone.
describe('built dist/', () => {
  it('imports under plain Node and exposes the public API', () => {
    const script = `
      import * as core from '@llama-pajamas/run-core';
      const names = Object.keys(core).sort();
      const t = core.createTensor('float32', new Float32Array(2), [2]);
      console.log(JSON.stringify({ names, dims: t.dims, isError: new core.ImageDecodeError('x') instanceof core.RunError }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    const parsed = JSON.parse(out) as { names: string[]; dims: number[]; isError: boolean };
    expect(parsed.dims).toEqual([2]);
    expect(parsed.isError).toBe(true);
    expect(parsed.names).toEqual(
      expect.arrayContaining(['RunError', 'VisionBackend', 'STTBackend', 'TTSBackend', 'registerBackend']),
    );
  });

  it('exposes the same names as the sources, and the families subpath', async () => {
    const script = `
      const core = await import('@llama-pajamas/run-core');
      const families = await import('@llama-pajamas/run-core/families');
      console.log(JSON.stringify({ core: Object.keys(core).sort(), families: Object.keys(families).sort() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    const built = JSON.parse(out) as { core: string[]; families: string[] };
    expect(built.core).toEqual(Object.keys(await import('../src/index.js')).sort());
    expect(built.families).toEqual(Object.keys(await import('../src/families.js')).sort());
    expect(built.families).toEqual(expect.arrayContaining(['Detector', 'WhisperPipeline', 'PiperTTS']));
  });

  it('exposes the workers subpath (and its worker entry) with the same names as the sources', async () => {
    const script = `
      const workers = await import('@llama-pajamas/run-core/workers');
      console.log(JSON.stringify(Object.keys(workers).sort()));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(Object.keys(await import('../src/workers.js')).sort());
    expect(existsSync(new URL('../dist/worker-entry.js', import.meta.url))).toBe(true);
  });
});
