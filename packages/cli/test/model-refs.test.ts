import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelResolver } from '../src/index.js';

describe('createModelResolver', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lp-refs-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads the hub settings from the env it is given and resolves paths as they are', async () => {
    const r = createModelResolver({ HF_HUB_CACHE: dir, HF_HUB_OFFLINE: '1', HF_TOKEN_PATH: join(dir, 'none') });
    expect(r.hub).toMatchObject({ cacheDir: dir, offline: true, token: undefined });
    const file = join(dir, 'voice.onnx');
    await writeFile(file, 'x');
    expect((await r.resolve(file)).path).toBe(file);
  });

  it('offline, names the pull command for a catalog model and lists every missing default', async () => {
    const r = createModelResolver({ HF_HUB_CACHE: dir, HF_HUB_OFFLINE: '1', HF_TOKEN_PATH: join(dir, 'none') });
    await expect(r.resolve('whisper-tiny.en', { dtype: 'int8' })).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_NOT_CACHED',
      pullCommand: 'llama-pajamas pull whisper-tiny.en --dtype int8',
    });
    const defaults = await r.defaults();
    expect(defaults.map((d) => d.task).sort()).toEqual(['classify', 'detect', 'embed', 'stt', 'tts', 'vad']);
    expect(defaults.every((d) => 'missing' in d)).toBe(true);
  });
});
