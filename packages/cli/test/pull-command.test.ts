import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256, startHubDouble, type HubDouble } from '../../models/test/hub-double.js';

// Spawns the built command (packages/cli/dist/cli.js; `pnpm build` first) against a real hub double on loopback.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const VAD_COMMIT = 'e71cae966052b992a7eca6b17738916ce0eca4ec'; // the catalog's pinned silero-vad revision

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let hub: HubDouble;
let cacheDir: string;
const weights = randomBytes(120_000);
const vad = randomBytes(40_000);

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: cacheDir,
          HF_ENDPOINT: hub.endpoint,
          HF_HUB_CACHE: cacheDir,
          HF_TOKEN_PATH: join(cacheDir, 'no-token'),
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  hub = await startHubDouble();
  hub.commit('acme/tiny', {
    'config.json': '{"a":1}',
    'onnx/model.onnx': weights,
    'onnx/model_fp16.onnx': randomBytes(60_000),
  });
  hub.commit(
    'onnx-community/silero-vad',
    { 'onnx/model.onnx': vad, 'onnx/model_int8.onnx': randomBytes(10_000) },
    { sha: VAD_COMMIT },
  );
  hub.commit('acme/gated', { 'config.json': '{}' });
  hub.repos.get('acme/gated')!.token = 'hf_ok';
});
afterAll(async () => hub.close());
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'lp-cli-pull-'));
  hub.faults = {};
});
afterEach(async () => rm(cacheDir, { recursive: true, force: true }));

describe('llama-pajamas pull / models (built cli, hub double)', () => {
  it(
    'pulls a hub repository with --include, prints a summary, lists, shows and removes it',
    { timeout: 300_000 },
    async () => {
      const r = await cli(['pull', 'acme/tiny@main', '--include', '*.json', '--include', 'onnx/model.onnx']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /^pulled acme\/tiny@main \(commit [0-9a-f]{7}\): 2 files, 120\.\d kB; downloaded 120\.\d kB in /,
      );
      expect(r.stderr).toContain('[2/2] onnx/model.onnx 120.0 kB'); // plain progress lines off a TTY
      const snapshot = r.stdout.trim().split('\n').at(-1)!;
      expect(await readFile(join(snapshot, 'onnx/model.onnx'))).toEqual(weights);

      const list = await cli(['models', 'list']);
      expect(list.stdout).toMatch(/^REPO\s+NAMES\s+TASKS\s+SIZE\s+REVISIONS\s+LICENSE\n/);
      expect(list.stdout).toMatch(/acme\/tiny\s+-\s+-\s+120\.\d kB\s+main=[0-9a-f]{7}/);
      const info = await cli(['models', 'info', 'acme/tiny', '--json']);
      expect(JSON.parse(info.stdout)).toMatchObject({
        repo: 'acme/tiny',
        snapshots: [{ files: ['config.json', 'onnx/model.onnx'] }],
      });
      const removed = await cli(['models', 'rm', 'acme/tiny']);
      expect(removed).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^removed acme\/tiny \(120\.\d kB freed\)/) as unknown,
      });
      expect((await cli(['models', 'list'])).stdout).toContain('No models in');
    },
  );

  it(
    'pulls a catalog name at its pinned revision, then works offline; --json for scripts',
    { timeout: 300_000 },
    async () => {
      const r = await cli(['pull', 'silero-vad', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as { commit: string; path: string; name: string };
      expect(json).toMatchObject({ commit: VAD_COMMIT, name: 'silero-vad' });
      expect(json.path.endsWith(`snapshots/${VAD_COMMIT}/onnx/model.onnx`)).toBe(true);
      expect(sha256(await readFile(json.path))).toBe(sha256(vad));
      const offline = await cli(['pull', 'silero-vad'], { HF_HUB_OFFLINE: '1' });
      expect(offline.code).toBe(0);
      expect(offline.stdout).toContain('(offline: from the cache)');
      const catalog = await cli(['models', 'list', '--catalog']);
      expect(catalog.stdout).toMatch(/silero-vad\s+vad\s+yes\s+onnx-community\/silero-vad@e71cae966052.*yes\s*\n/);
    },
  );

  it(
    'two processes pulling one file at once: one download (the other waits on the lock), both succeed',
    { timeout: 300_000 },
    async () => {
      hub.faults = { delayMs: 3000 };
      hub.requests.length = 0;
      const [a, b] = await Promise.all([
        cli(['pull', 'acme/tiny', '--include', 'onnx/model.onnx']),
        cli(['pull', 'acme/tiny', '--include', 'onnx/model.onnx']),
      ]);
      expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
      expect(hub.requests.filter((q) => q.server === 'storage')).toHaveLength(1);
      const snapshot = a.stdout.trim().split('\n').at(-1)!;
      expect(await readFile(join(snapshot, 'onnx/model.onnx'))).toEqual(weights);
    },
  );

  it('offline and not cached: exit 3 and the exact pull command', { timeout: 300_000 }, async () => {
    const r = await cli(['pull', 'silero-vad', '--dtype', 'int8'], { HF_HUB_OFFLINE: '1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Run `llama-pajamas pull silero-vad --dtype int8` on a machine with a network');
  });

  it('exit codes: 3 not on the hub, 4 no network, 5 gated, 6 checksum, 2 usage', { timeout: 300_000 }, async () => {
    const missing = await cli(['pull', 'acme/nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('The hub has no repository "acme/nope"');

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await cli(['pull', 'acme/tiny'], { HF_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain('ECONNREFUSED');

    const gated = await cli(['pull', 'acme/gated']);
    expect(gated.code).toBe(5);
    expect(gated.stderr).toContain('Set HF_TOKEN');
    expect((await cli(['pull', 'acme/gated'], { HF_TOKEN: 'hf_ok' })).code).toBe(0);

    hub.faults = { corrupt: new Set([sha256(weights)]) };
    const bad = await cli(['pull', 'acme/tiny', '--include', 'onnx/model.onnx']);
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain('The bad file was removed');
    hub.faults = {};

    expect((await cli(['pull', 'acme/tiny', '--dtype', 'fp64'])).code).toBe(2);
    expect((await cli(['pull', 'silero-vad', '--dtype', 'fp16'])).code).toBe(2);
    expect((await cli(['pull'])).code).toBe(2);
  });
});
