import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVisionModel as loadOn, registerBackend, unregisterBackend, type Backend } from '@llama-pajamas/run-core';
import { onnxBackend } from '@llama-pajamas/run-onnx';
import { COREML_RUNTIME_FILES, loadVisionModel } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

const shared = asset;
const tmp = mkdtempSync(join(tmpdir(), 'run-coreml-loaders-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  unregisterBackend('coreml');
  unregisterBackend('coreml-files');
});

describe.runIf(process.platform !== 'darwin')(
  'loadVisionModel on CoreML off macOS (on macOS test/darwin predicts with the real addon instead)',
  () => {
    it('rejects with the registry error that says why CoreML cannot run', async () => {
      await expect(loadVisionModel(join(tmp, 'missing.mlpackage'))).rejects.toMatchObject({
        code: 'ERR_RUN_BACKEND_NOT_FOUND',
        message: expect.stringContaining('[coreml] CoreML runs only on macOS'),
      });
    });
  },
);

// run-core's loader must hand a folder-shaped model (`yolox_nano.mlpackage`) to the runtime as one model file.
// The runtime here is a test Backend at the registry seam with CoreML's file names, which opens the ONNX twin of
// the model with the real onnx backend: what is tested is run-core's file handling, not CoreML.
// Real YOLOX-Nano (tools/models) and photo (tools/test/fetch-test-media.sh, Debian: not on GitHub's macOS runners).
describe.skipIf(!existsSync(shared('media/images/dog.jpg')))(
  'run-core loaders with CoreML file names (skipped only without the Debian test photos: apt-less macOS runners)',
  () => {
    it('treats an .mlpackage folder as the model file and detects with it', async () => {
      const opened: string[] = [];
      const filesSeam: Backend = {
        files: COREML_RUNTIME_FILES,
        init: () => onnxBackend.init('onnx'),
        createSession: (model, options) => {
          opened.push(String(model));
          return onnxBackend.createSession(shared('models/detection/yolox_nano.onnx'), options);
        },
      };
      registerBackend('coreml-files', filesSeam, 1);
      const pkg = join(tmp, 'yolox_nano.mlpackage');
      mkdirSync(join(pkg, 'Data'), { recursive: true });
      const detector = await loadOn(`${pkg}/`, { runtime: 'coreml-files', family: 'yolox' });
      expect(opened).toEqual([pkg]);
      expect(detector.modelId).toBe('yolox_nano');
      const { detections } = await detector.detect(shared('media/images/dog.jpg'), { confidence: 0.5 });
      expect(detections.map((d) => d.label)).toContain('dog');
      await detector.unload();
    });
  },
);
