import { afterAll, describe, expect, it } from 'vitest';
import { createTensor, registerBackend, resolveBackend, unregisterBackend } from '@llama-pajamas/run-core';
import { onnxBackend } from '@llama-pajamas/run-onnx';
import { coremlBackend } from '../src/index.js';
import { fixtures, golden } from './fixtures/index.js';

afterAll(() => {
  unregisterBackend('coreml');
  unregisterBackend('onnx');
});

describe.runIf(process.platform !== 'darwin')(
  'registry fallback from coreml to the real onnx backend (off macOS; on macOS coreml initialises and test/darwin runs it)',
  () => {
    it('resolves onnx for hints [coreml, onnx], runs the ONNX twin of the fixture, and says why coreml was skipped', async () => {
      registerBackend('coreml', coremlBackend, 200);
      registerBackend('onnx', onnxBackend, 100);
      const { name, backend } = await resolveBackend(['coreml', 'onnx']);
      expect(name).toBe('onnx');
      const session = await backend.createSession(fixtures.linearOnnx);
      const out = await session.run({ x: createTensor('float32', new Float32Array(golden.linear.x), [1, 4]) });
      expect([...(out.y!.data as Float32Array)].map((v) => Number(v.toFixed(5)))).toEqual(
        golden.linear.y.map((v) => Number(v.toFixed(5))),
      );
      await session.dispose();
      // Asking for CoreML alone gives the aggregated message with the reason.
      await expect(resolveBackend(['coreml'])).rejects.toMatchObject({
        code: 'ERR_RUN_BACKEND_NOT_FOUND',
        message: expect.stringMatching(
          /^no available backend found\. ERR: \[coreml\] CoreML runs only on macOS 13 or newer.*run-onnx/,
        ),
      });
    });

    it('declares the CoreML file names the loaders join (converters naming)', () => {
      expect(coremlBackend.files).toEqual({
        extensions: ['.mlmodelc', '.mlpackage', '.mlmodel'],
        dtypeSuffixes: { fp16: [''], fp32: ['_fp32'], int8: ['_int8', '_palettized'] },
        dtypePreference: ['fp16', 'fp32', 'int8'],
      });
    });
  },
);
