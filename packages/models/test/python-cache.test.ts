import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull, resolveHubConfig, resolveModelRef } from '../src/index.js';
import { sha256, startHubDouble, type HubDouble } from './hub-double.js';

// The venv comes from tools/test/setup-models.sh (run by tools/test/setup-test-deps.sh, so CI always has it).
const PYTHON = fileURLToPath(new URL('../.venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./python/hf_cache.py', import.meta.url));
const run = promisify(execFile);

interface PyResult {
  files: Record<string, { path: string; sha256: string }>;
  snapshot: string;
}

async function python(args: string[], env: Record<string, string>): Promise<PyResult> {
  const { stdout } = await run(PYTHON, [SCRIPT, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.HF_HOME ?? tmpdir(), HF_HUB_DISABLE_TELEMETRY: '1', ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout) as PyResult;
}

const REPO = 'acme/cross-check';
const model = randomBytes(200_000);
const files = { 'config.json': '{"model_type":"whisper"}', 'onnx/encoder_model.onnx': model };

describe.skipIf(!existsSync(PYTHON))(
  'Python huggingface_hub shares the cache (skipped only without the venv of tools/test/setup-models.sh, which CI installs)',
  () => {
    let hub: HubDouble;
    let cacheDir: string;
    let commit: string;

    beforeAll(async () => {
      hub = await startHubDouble();
      commit = hub.commit(REPO, files);
    });
    afterAll(async () => hub.close());

    const env = (): Record<string, string> => ({ HF_HUB_CACHE: cacheDir, HF_HOME: join(cacheDir, 'home') });

    it('reads offline what our pull wrote (hf_hub_download and snapshot_download, local_files_only)', async () => {
      cacheDir = await mkdtemp(join(tmpdir(), 'lp-py-read-'));
      try {
        const ours = await pull(REPO, {
          files: Object.keys(files),
          hub: resolveHubConfig({ HF_ENDPOINT: hub.endpoint, ...env() }),
        });
        hub.requests.length = 0;
        const py = await python(['read', REPO, 'main', ...Object.keys(files)], { ...env(), HF_HUB_OFFLINE: '1' });
        expect(hub.requests).toEqual([]); // Python really read the cache, it did not download
        expect(py.files['onnx/encoder_model.onnx']?.sha256).toBe(sha256(model));
        expect(py.files['onnx/encoder_model.onnx']?.path).toBe(join(ours.snapshotDir, 'onnx/encoder_model.onnx'));
        expect(await realpath(py.snapshot)).toBe(await realpath(ours.snapshotDir));
      } finally {
        await rm(cacheDir, { recursive: true, force: true });
      }
    });

    it('we read offline what Python downloaded from the hub double', async () => {
      cacheDir = await mkdtemp(join(tmpdir(), 'lp-py-write-'));
      try {
        const py = await python(['write', REPO, 'main', ...Object.keys(files)], {
          ...env(),
          HF_ENDPOINT: hub.endpoint,
        });
        expect(py.files['onnx/encoder_model.onnx']?.sha256).toBe(sha256(model));
        expect(hub.requests.some((q) => q.server === 'storage')).toBe(true); // Python followed the LFS redirect
        hub.requests.length = 0;
        const offline = resolveHubConfig({ ...env(), HF_HUB_OFFLINE: '1' });
        const ours = await pull(REPO, { files: Object.keys(files), hub: offline });
        expect(ours).toMatchObject({ commit, offline: true });
        expect(await readFile(join(ours.snapshotDir, 'onnx/encoder_model.onnx'))).toEqual(model);
        const resolved = await resolveModelRef(`hf:${REPO}`, { hub: offline });
        expect(resolved.path).toBe(ours.snapshotDir);
        expect(hub.requests).toEqual([]);
        // and a pull online finds Python's blobs: nothing is downloaded again
        const again = await pull(REPO, {
          files: Object.keys(files),
          hub: resolveHubConfig({ ...env(), HF_ENDPOINT: hub.endpoint }),
        });
        expect(again.bytesDownloaded).toBe(0);
      } finally {
        await rm(cacheDir, { recursive: true, force: true });
      }
    });
  },
);
