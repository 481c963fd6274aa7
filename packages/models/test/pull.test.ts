import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pull, resolveHubConfig, type HubConfig } from '../src/index.js';
import { gitBlobSha1, sha256, startHubDouble, type HubDouble } from './hub-double.js';

const REPO = 'acme/tiny-model';
const weights = randomBytes(300_000);
const weightsFp16 = randomBytes(150_000);
const config = JSON.stringify({ model_type: 'tiny', hidden: 8 });

let hub: HubDouble;
let cacheDir: string;
let commit: string;
let cfg: HubConfig;

beforeAll(async () => {
  hub = await startHubDouble();
  commit = hub.commit(REPO, {
    'config.json': config,
    'onnx/model.onnx': weights,
    'onnx/model_fp16.onnx': weightsFp16,
    'pytorch_model.bin': randomBytes(2000),
  });
});
afterAll(async () => hub.close());

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'lp-models-'));
  cfg = resolveHubConfig({
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: cacheDir,
    HF_TOKEN_PATH: join(cacheDir, 'no-token'),
  });
  hub.requests.length = 0;
  hub.faults = {};
});
afterEach(async () => rm(cacheDir, { recursive: true, force: true }));

const repoDir = (): string => join(cacheDir, 'models--acme--tiny-model');

async function cacheTree(): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), r);
      else out.push(e.isSymbolicLink() ? `${r} -> ${await readlink(join(dir, e.name))}` : r);
    }
  }
  await walk(repoDir(), '');
  return out.sort();
}

describe('pull over the hub protocol', () => {
  it('writes the Python huggingface_hub cache layout: blobs by ETag, relative snapshot symlinks, refs/main', async () => {
    const r = await pull(REPO, { files: ['config.json', 'onnx/model.onnx'], hub: cfg });
    expect(r.commit).toBe(commit);
    expect(r.snapshotDir).toBe(join(repoDir(), 'snapshots', commit));
    expect(r.bytesDownloaded).toBe(weights.length + config.length);
    expect(await cacheTree()).toEqual(
      [
        `blobs/${gitBlobSha1(Buffer.from(config))}`,
        `blobs/${sha256(weights)}`,
        'refs/main',
        `snapshots/${commit}/config.json -> ../../blobs/${gitBlobSha1(Buffer.from(config))}`,
        `snapshots/${commit}/onnx/model.onnx -> ../../../blobs/${sha256(weights)}`,
      ].sort(),
    );
    expect(await readFile(join(repoDir(), 'refs/main'), 'utf8')).toBe(commit);
    expect(await readFile(join(r.snapshotDir, 'onnx/model.onnx'))).toEqual(weights);
  });

  it('follows the LFS redirect to another host, and sends the token to the hub only', async () => {
    const withToken = { ...cfg, token: 'hf_secret' };
    await pull(REPO, { files: ['onnx/model.onnx'], hub: withToken });
    const head = hub.requests.find((q) => q.method === 'HEAD')!;
    const get = hub.requests.find((q) => q.server === 'storage')!;
    expect(head.host).toBe(new URL(hub.endpoint).host);
    expect(head.authorization).toBe('Bearer hf_secret');
    expect(get.host).toBe(new URL(hub.storageOrigin).host);
    expect(get.host).not.toBe(head.host);
    expect(get.authorization).toBeUndefined();
  });

  it('follows a relative redirect on the hub itself (a renamed repository)', async () => {
    hub.renames.set('acme/old-name', REPO);
    const r = await pull('acme/old-name', { files: ['onnx/model.onnx'], hub: cfg });
    hub.renames.clear();
    expect(r.commit).toBe(commit);
    expect(hub.requests.filter((q) => q.method === 'HEAD').map((q) => q.url)).toEqual([
      '/acme/old-name/resolve/main/onnx/model.onnx',
      '/acme/tiny-model/resolve/main/onnx/model.onnx',
    ]);
    expect(await readFile(join(r.snapshotDir, 'onnx/model.onnx'))).toEqual(weights);
  });

  it('fetches nothing again when the files are cached', async () => {
    await pull(REPO, { files: ['config.json', 'onnx/model.onnx'], hub: cfg });
    hub.requests.length = 0;
    const again = await pull(REPO, { files: ['config.json', 'onnx/model.onnx'], hub: cfg });
    expect(again.bytesDownloaded).toBe(0);
    expect(hub.requests.filter((q) => q.method === 'GET')).toEqual([]);
  });

  it('picks only one dtype from the listing, never the other dtypes or PyTorch weights', async () => {
    const fp32 = await pull(REPO, { hub: cfg });
    expect(fp32.files.map((f) => f.path)).toEqual(['config.json', 'onnx/model.onnx']);
    const fp16 = await pull(REPO, { hub: cfg, dtype: 'fp16' });
    expect(fp16.files.map((f) => f.path)).toEqual(['config.json', 'onnx/model_fp16.onnx']);
    const globbed = await pull(REPO, { hub: cfg, include: '*.json' });
    expect(globbed.files.map((f) => f.path)).toEqual(['config.json']);
  });

  it("lets run-core's family table choose the files of a known family", async () => {
    hub.commit('acme/whisper', {
      'config.json': '{}',
      'tokenizer.json': '{}',
      'README.md': 'readme',
      'onnx/encoder_model.onnx': randomBytes(3000),
      'onnx/decoder_model_merged.onnx': randomBytes(3000),
      'onnx/decoder_model.onnx': randomBytes(3000),
      'onnx/decoder_with_past_model.onnx': randomBytes(3000),
      'onnx/encoder_model_quantized.onnx': randomBytes(1000),
    });
    const r = await pull('acme/whisper', { hub: cfg });
    expect(r.family).toBe('whisper');
    expect(r.files.map((f) => f.path).sort()).toEqual(
      [
        'config.json',
        'onnx/decoder_model_merged.onnx',
        'onnx/decoder_with_past_model.onnx',
        'onnx/encoder_model.onnx',
        'tokenizer.json',
      ].sort(),
    );
    const off = await pull('acme/whisper', { hub: { ...cfg, offline: true } });
    expect(off.files.map((f) => f.path).sort()).toEqual(r.files.map((f) => f.path).sort());
  });

  it('refuses a listing with a path outside the repository', async () => {
    hub.commit('acme/evil', { 'config.json': '{}' });
    const repo = hub.repos.get('acme/evil')!;
    repo.commits.get(repo.refs.get('main')!)!.set('sub/../../escape.json', { content: Buffer.from('{}'), lfs: false });
    await expect(pull('acme/evil', { hub: cfg })).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_INVALID_REF',
    });
  });

  it('reports progress per file and a final done event', async () => {
    const events: { path: string; downloaded: number; done: boolean }[] = [];
    await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg, onProgress: (e) => events.push(e) });
    expect(events.at(-1)).toMatchObject({ path: 'onnx/model.onnx', downloaded: weights.length, done: true });
    expect(events.filter((e) => !e.done).length).toBeGreaterThan(0);
  });

  it('resumes a dropped connection with Range and verifies the whole file', async () => {
    hub.faults = { dropAfter: 100_000, dropTimes: 1 };
    const r = await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg });
    expect(await readFile(join(r.snapshotDir, 'onnx/model.onnx'))).toEqual(weights);
    const gets = hub.requests.filter((q) => q.server === 'storage');
    expect(gets.map((g) => g.range)).toEqual([undefined, 'bytes=100000-']);
  });

  it('keeps the .incomplete file when retries run out, and the next pull resumes it', async () => {
    hub.faults = { dropAfter: 120_000, dropTimes: 1 };
    const err = await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg, retries: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_NETWORK' });
    const incomplete = join(repoDir(), 'blobs', `${sha256(weights)}.incomplete`);
    expect((await lstat(incomplete)).size).toBe(120_000);
    expect(await readdir(join(repoDir(), 'snapshots')).catch(() => [])).toEqual([]);
    const r = await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg, retries: 0 });
    expect(r.bytesDownloaded).toBe(weights.length - 120_000);
    expect(hub.requests.filter((q) => q.server === 'storage').at(-1)?.range).toBe('bytes=120000-');
    expect(await readFile(join(r.snapshotDir, 'onnx/model.onnx'))).toEqual(weights);
  });

  it('rejects a wrong checksum, removes the partial file and links nothing', async () => {
    hub.faults = { corrupt: new Set([sha256(weights)]) };
    const err = await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_CHECKSUM_MISMATCH' });
    expect((err as Error).message).toContain(`expected sha256 ${sha256(weights)}`);
    expect((err as Error).message).toContain('The bad file was removed');
    expect(await cacheTree()).toEqual(['refs/main']);
  });

  it('maps 404s by X-Error-Code: repository, revision, file', async () => {
    await expect(pull('acme/nope', { files: ['config.json'], hub: cfg })).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_REPO_NOT_FOUND',
    });
    await expect(pull(REPO, { revision: 'v9', files: ['config.json'], hub: cfg })).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_REVISION_NOT_FOUND',
    });
    const err = await pull(REPO, { files: ['onnx/missing.onnx'], hub: cfg }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_ENTRY_NOT_FOUND' });
    expect((err as Error).message).toMatchInlineSnapshot(
      `"The hub repository "acme/tiny-model" has no file "onnx/missing.onnx" at revision "main". Check the file list on its hub page (or --include / --dtype)."`,
    );
  });

  it('skips optional files the hub does not have and records them in .no_exist', async () => {
    const r = await pull(REPO, { files: ['config.json'], optionalFiles: ['tokenizer.json'], hub: cfg });
    expect(r.missing).toEqual(['tokenizer.json']);
    expect((await lstat(join(repoDir(), '.no_exist', commit, 'tokenizer.json'))).isFile()).toBe(true);
  });

  it('asks for HF_TOKEN on a gated repository (401) and says the token is refused (403)', async () => {
    hub.commit('acme/gated', { 'config.json': '{}' });
    hub.repos.get('acme/gated')!.token = 'hf_good';
    const anon = await pull('acme/gated', { files: ['config.json'], hub: cfg }).catch((e: unknown) => e);
    expect(anon).toMatchObject({ code: 'ERR_RUN_MODELS_UNAUTHORIZED', details: { status: 401 } });
    expect((anon as Error).message).toContain('Set HF_TOKEN');
    const bad = await pull('acme/gated', { files: ['config.json'], hub: { ...cfg, token: 'hf_bad' } }).catch(
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'ERR_RUN_MODELS_UNAUTHORIZED', details: { status: 403 } });
    const ok = await pull('acme/gated', { files: ['config.json'], hub: { ...cfg, token: 'hf_good' } });
    expect(ok.files).toHaveLength(1);
  });

  it('reads HF_TOKEN_PATH when HF_TOKEN is not set', async () => {
    await writeFile(join(cacheDir, 'token'), 'hf_from_file\n');
    const c = resolveHubConfig({
      HF_ENDPOINT: hub.endpoint,
      HF_HUB_CACHE: cacheDir,
      HF_TOKEN_PATH: join(cacheDir, 'token'),
    });
    expect(c.token).toBe('hf_from_file');
    await pull(REPO, { files: ['config.json'], hub: c });
    expect(hub.requests[0]?.authorization).toBe('Bearer hf_from_file');
  });

  it('says the network is down when the hub cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = { ...cfg, endpoint: `http://127.0.0.1:${port}` };
    const err = await pull(REPO, { files: ['config.json'], hub: down, retries: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_NETWORK' });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('refuses a server that is not a hub (a web page without X-Repo-Commit)', async () => {
    const web = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const notHub = { ...cfg, endpoint: `http://127.0.0.1:${(web.address() as AddressInfo).port}` };
    const err = await pull(REPO, { files: ['config.json'], hub: notHub, retries: 0 }).catch((e: unknown) => e);
    await new Promise((r) => web.close(r));
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_HUB_PROTOCOL' });
    expect((err as Error).message).toContain('without the X-Repo-Commit header');
  });

  it('turns ENOSPC into a disk-full error and leaves no partial file', async () => {
    const blobs = join(repoDir(), 'blobs');
    await mkdir(blobs, { recursive: true });
    // /dev/full answers every write with ENOSPC, as a full disk does.
    await symlink('/dev/full', join(blobs, `${sha256(weights)}.incomplete`));
    const err = await pull(REPO, { files: ['onnx/model.onnx'], hub: cfg }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_DISK_FULL' });
    expect(await readdir(blobs)).toEqual([]);
  });

  it('serialises two concurrent pulls of one file with a lock: one download, both succeed', async () => {
    const [a, b] = await Promise.all([
      pull(REPO, { files: ['onnx/model.onnx'], hub: cfg }),
      pull(REPO, { files: ['onnx/model.onnx'], hub: cfg }),
    ]);
    expect(a.bytesDownloaded + b.bytesDownloaded).toBe(weights.length);
    expect(hub.requests.filter((q) => q.server === 'storage')).toHaveLength(1);
    expect(await readFile(join(a.snapshotDir, 'onnx/model.onnx'))).toEqual(weights);
  });

  it('offline, resolves the revision from refs/ and the files from the snapshot, asking the hub nothing', async () => {
    await pull(REPO, { files: ['config.json', 'onnx/model.onnx'], hub: cfg });
    hub.requests.length = 0;
    const off = await pull(REPO, { files: ['config.json', 'onnx/model.onnx'], hub: { ...cfg, offline: true } });
    expect(off).toMatchObject({ commit, offline: true, bytesDownloaded: 0 });
    expect(hub.requests).toEqual([]);
    const err = await pull(REPO, { files: ['onnx/model_fp16.onnx'], hub: { ...cfg, offline: true } }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_RUN_MODELS_NOT_CACHED' });
    expect((err as Error).message).toContain('`llama-pajamas pull acme/tiny-model`');
  });

  it('files a branch pull under the branch head commit, and a later push under a new snapshot', async () => {
    const first = await pull(REPO, { files: ['config.json'], hub: cfg });
    const next = hub.commit(REPO, { 'config.json': '{"v":2}' });
    const second = await pull(REPO, { files: ['config.json'], hub: cfg });
    expect(first.commit).toBe(commit);
    expect(second.commit).toBe(next);
    expect(await readFile(join(repoDir(), 'refs/main'), 'utf8')).toBe(next);
    expect((await readdir(join(repoDir(), 'snapshots'))).sort()).toEqual([commit, next].sort());
  });
});
