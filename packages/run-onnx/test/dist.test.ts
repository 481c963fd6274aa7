import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { images, models } from './fixtures/index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

// The built package (and the built run-core it imports) must work under plain Node ESM, without Vite and
// without the source condition: this catches CommonJS-interop mistakes (onnxruntime-node, wavefile, …).
// `pnpm test` builds first (turbo: test dependsOn build); run `pnpm build` before running this file alone.
describe('built dist/', () => {
  it('detects with a real model under plain Node', () => {
    const script = `
      import { readFile } from 'node:fs/promises';
      import { loadVisionModel, loadVad } from '@llama-pajamas/run-onnx';
      const detector = await loadVisionModel(${JSON.stringify(models.yoloxNano)});
      const result = await detector.detect(await readFile(${JSON.stringify(images.dog)}), { confidence: 0.3 });
      await detector.unload();
      const vad = await loadVad();
      await vad.dispose();
      console.log(JSON.stringify(result.detections.map((d) => d.label).sort()));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual(expect.arrayContaining(['bicycle', 'dog']));
  });

  it('loads no native code on import: onnxruntime-node is loaded by init()', () => {
    const script = `
      const native = () => process.report.getReport().sharedObjects.filter((f) => /onnxruntime/.test(f));
      const { onnxBackend, registerOnnxBackend } = await import('@llama-pajamas/run-onnx');
      const before = native().length;
      registerOnnxBackend();
      const { resolveBackend } = await import('@llama-pajamas/run-core');
      await resolveBackend(['onnx']);
      console.log(JSON.stringify({ before, after: native().length, ext: onnxBackend.files.extensions }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    const { before, after, ext } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
    expect(ext).toEqual(['.onnx']);
  });

  it('hosts a model in worker threads from the built packages (dist/worker-entry.js)', () => {
    const script = `
      import { readFile } from 'node:fs/promises';
      import { VisionBackend } from '@llama-pajamas/run-core';
      import { hostedWorkers, WorkerExitedError } from '@llama-pajamas/run-core/workers';
      import { loadVisionModelInWorkers } from '@llama-pajamas/run-onnx';
      const detector = await loadVisionModelInWorkers(${JSON.stringify(models.yoloxNano)}, { workers: 2 });
      const image = await readFile(${JSON.stringify(images.dog)});
      const results = await Promise.all([detector.detect(image, { confidence: 0.3 }), detector.detect(image, { confidence: 0.3 })]);
      const bad = await detector.detect(new Uint8Array([1, 2, 3])).catch((e) => e);
      const stats = hostedWorkers(detector);
      await detector.unload();
      console.log(JSON.stringify({ isVision: detector instanceof VisionBackend, labels: results.map((r) => r.detections.map((d) => d.label).sort()), bad: bad.code, badClass: bad.constructor.name, stats, exitedError: typeof WorkerExitedError }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(r).toMatchObject({
      isVision: true,
      bad: 'ERR_RUN_IMAGE_DECODE',
      badClass: 'ImageDecodeError',
      exitedError: 'function',
    });
    expect(r.stats).toMatchObject({ workers: 2, busy: 0, queued: 0 });
    for (const labels of r.labels as string[][]) expect(labels).toEqual(expect.arrayContaining(['bicycle', 'dog']));
  });
});
