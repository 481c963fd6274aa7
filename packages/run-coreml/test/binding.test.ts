import { describe, expect, it } from 'vitest';
import { isRunError } from '@llama-pajamas/run-core';
import { CoreMLSession, bindingCandidates, loadBinding } from '../src/index.js';
import { fixtures } from './fixtures/index.js';

// These run where CoreML is absent (Linux CI): the loader's error paths are real, nothing is faked.
describe.runIf(process.platform !== 'darwin')(
  'the addon loader off macOS (on macOS test/darwin loads the real addon instead)',
  () => {
    it('says CoreML needs macOS and names run-onnx', () => {
      let error: unknown;
      try {
        loadBinding();
      } catch (e) {
        error = e;
      }
      expect(isRunError(error, 'ERR_RUN_COREML_UNSUPPORTED_PLATFORM')).toBe(true);
      expect((error as Error).message).toContain('@llama-pajamas/run-onnx');
      expect((error as Error).message).toContain('docs/install.md#coreml');
      expect((error as Error).stack).toContain('binding.test.ts'); // a JavaScript stack
    });

    it('loading a CoreML model gives the typed error that names run-onnx', async () => {
      await expect(CoreMLSession.create(fixtures.linear)).rejects.toMatchObject({
        code: 'ERR_RUN_COREML_UNSUPPORTED_PLATFORM',
        message: expect.stringContaining('run-onnx'),
      });
    });
  },
);

describe('the addon loader when no candidate loads (as on a Mac without the addon)', () => {
  it('tries the local build, then the platform package, and lists every failure with possible solutions', () => {
    expect(bindingCandidates('darwin', 'arm64').map((c) => c.label)).toEqual([
      'local build (native/coreml/build/Release)',
      '@llama-pajamas/run-coreml-darwin-arm64',
    ]);
    let error: unknown;
    try {
      loadBinding({ platform: 'darwin', arch: 'arm64' });
    } catch (e) {
      error = e;
    }
    expect(isRunError(error, 'ERR_RUN_COREML_BINDING_NOT_FOUND')).toBe(true);
    const message = (error as Error).message.replace(/\/[^\s:]*native\/coreml/g, '<repo>/native/coreml');
    expect(message).toMatch(/^Could not load the CoreML addon for darwin-arm64\.\nTried:\n/);
    expect(message).toContain('- local build (native/coreml/build/Release): ');
    expect(message).toContain('- @llama-pajamas/run-coreml-darwin-arm64: ');
    expect(message).toContain('Possible solutions:\n- Install with optional dependencies');
    expect(message).toContain('docs/install.md#coreml-optional-dependencies');
    expect(message).toContain('docs/install.md#building-the-coreml-addon-from-source');
    expect((error as { details: { attempts: string[] } }).details.attempts).toHaveLength(2);
  });

  it('refuses a platform package whose version is not the parent package version', () => {
    let error: unknown;
    try {
      loadBinding({
        platform: 'darwin',
        arch: 'x64',
        candidates: [
          {
            label: '@llama-pajamas/run-coreml-darwin-x64',
            specifier: '@llama-pajamas/run-coreml-darwin-x64/binding.node',
            expectedVersion: '9.9.9',
          },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toContain(
      'Version mismatch: @llama-pajamas/run-coreml-darwin-x64 is 0.0.0 but @llama-pajamas/run-coreml is 9.9.9',
    );
  });
});
