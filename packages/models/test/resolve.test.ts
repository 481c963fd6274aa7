import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CATALOG,
  findCachedDefaults,
  findLocalModel,
  listModels,
  modelInfo,
  parseModelRef,
  placeLocalModel,
  removeModel,
  resolveHubConfig,
  resolveModelRef,
  scanCache,
  selectFamilyFiles,
  type CatalogEntry,
  type HubConfig,
  type ModelDtype,
} from '../src/index.js';
import { startHubDouble, type HubDouble } from './hub-double.js';

const enc = randomBytes(50_000);
const encQ = randomBytes(20_000);
const TEST_CATALOG: CatalogEntry[] = [
  {
    name: 'tiny-whisper',
    task: 'stt',
    isDefault: true,
    description: 'test entry',
    repo: 'acme/tiny-whisper',
    revision: 'main',
    family: 'whisper',
    entry: '',
    dtypes: {
      fp32: { files: ['config.json', 'onnx/encoder_model.onnx'], approxBytes: 50_000 },
      int8: { files: ['config.json', 'onnx/encoder_model_quantized.onnx'], approxBytes: 20_000 },
    },
    defaultDtype: 'fp32',
    license: 'MIT',
    commercialUse: true,
    verified: false,
    evidence: 'test',
  },
];

let hub: HubDouble;
let cacheDir: string;
let cfg: HubConfig;

beforeAll(async () => {
  hub = await startHubDouble();
  hub.commit('acme/tiny-whisper', {
    'config.json': '{}',
    'onnx/encoder_model.onnx': enc,
    'onnx/encoder_model_quantized.onnx': encQ,
  });
});
afterAll(async () => hub.close());
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'lp-resolve-'));
  cfg = resolveHubConfig({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir, HF_TOKEN_PATH: join(cacheDir, 'x') });
  hub.requests.length = 0;
});
afterEach(async () => rm(cacheDir, { recursive: true, force: true }));

describe('parseModelRef', () => {
  it('tells hub references, catalog names and paths apart', () => {
    expect(parseModelRef('hf:org/name@v1.0')).toEqual({ kind: 'hub', repo: 'org/name', revision: 'v1.0' });
    expect(parseModelRef('hf:org/name')).toEqual({ kind: 'hub', repo: 'org/name', revision: 'main' });
    expect(parseModelRef('whisper-tiny.en')).toEqual({ kind: 'catalog', name: 'whisper-tiny.en' });
    expect(parseModelRef('models/yolox.onnx')).toEqual({ kind: 'path', path: 'models/yolox.onnx' });
    expect(() => parseModelRef('hf:../etc@main')).toThrowErrorMatchingInlineSnapshot(
      `[InvalidModelRefError: Expected hf:org/name or hf:org/name@revision but received "hf:../etc@main".]`,
    );
  });
});

describe('resolveModelRef', () => {
  const opts = (extra: object = {}) => ({ hub: cfg, catalog: TEST_CATALOG, ...extra });

  it('returns an existing path as it is', async () => {
    const file = join(cacheDir, 'm.onnx');
    await writeFile(file, 'x');
    expect(await resolveModelRef(file, opts())).toMatchObject({ path: file, via: 'path' });
  });

  it('rejects a name that is nothing it knows, listing the catalog', async () => {
    await expect(resolveModelRef('no-such-model', opts())).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_UNKNOWN_MODEL',
      message: expect.stringContaining('tiny-whisper') as unknown,
    });
  });

  it('pulls a catalog model once, then finds it in the cache', async () => {
    const first = await resolveModelRef('tiny-whisper', opts());
    expect(first).toMatchObject({ via: 'pulled', dtype: 'fp32' });
    expect(await readFile(join(first.path, 'onnx/encoder_model.onnx'))).toEqual(enc);
    hub.requests.length = 0;
    const second = await resolveModelRef('tiny-whisper', opts({ offline: true }));
    expect(second).toMatchObject({ via: 'cache', path: first.path });
    expect(hub.requests).toEqual([]);
  });

  it('offline, uses whichever dtype is cached when none is asked for', async () => {
    await resolveModelRef('tiny-whisper', opts({ dtype: 'int8' }));
    const r = await resolveModelRef('tiny-whisper', opts({ offline: true }));
    expect(r).toMatchObject({ via: 'cache', dtype: 'int8' });
  });

  it('offline and missing: the error names the exact pull command', async () => {
    const err = await resolveModelRef('tiny-whisper', opts({ offline: true, dtype: 'int8' })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_RUN_MODELS_NOT_CACHED',
      pullCommand: 'llama-pajamas pull tiny-whisper --dtype int8',
    });
    const hubErr = await resolveModelRef('hf:acme/other@v2', opts({ offline: true })).catch((e: unknown) => e);
    expect(hubErr).toMatchObject({ pullCommand: 'llama-pajamas pull acme/other@v2' });
    expect(hub.requests).toEqual([]);
  });

  it('resolves hf: references to the snapshot folder, pulling one dtype', async () => {
    const r = await resolveModelRef('hf:acme/tiny-whisper', opts({ dtype: 'int8' }));
    expect(r.via).toBe('pulled');
    expect(r.pull?.files.map((f) => f.path)).toEqual(['config.json', 'onnx/encoder_model_quantized.onnx']);
  });

  it('falls back to the local namespace, whose SOURCE.json says where the files came from', async () => {
    const src = join(cacheDir, 'encoder.onnx');
    await writeFile(src, encQ);
    const placed = await placeLocalModel({
      name: 'tiny-whisper',
      files: [{ path: 'onnx/encoder_model_quantized.onnx', from: src }],
      source: { kind: 'conversion', origin: 'tools/fixtures/convert.py', license: 'MIT' },
      hub: cfg,
    });
    expect(placed.repo).toBe('llama-pajamas-local/tiny-whisper');
    expect(await readlink(join(placed.snapshotDir, 'onnx/encoder_model_quantized.onnx'))).toMatch(
      /^\.\.\/\.\.\/\.\.\/blobs\//,
    );
    const r = await resolveModelRef('tiny-whisper', opts({ offline: true }));
    expect(r).toMatchObject({ via: 'local', path: placed.snapshotDir });
    const again = await placeLocalModel({
      name: 'tiny-whisper',
      files: [{ path: 'onnx/encoder_model_quantized.onnx', from: src }],
      source: { kind: 'conversion', origin: 'tools/fixtures/convert.py', license: 'MIT' },
      hub: cfg,
    });
    expect(again.commit).toBe(placed.commit); // content-addressed: placing again changes nothing
    expect((await findLocalModel('tiny-whisper', cfg))?.record.source.kind).toBe('conversion');
  });
});

describe('findCachedDefaults', () => {
  it('says which defaults are cached and how to pull the others, offline', async () => {
    const before = await findCachedDefaults({ hub: cfg, catalog: TEST_CATALOG });
    expect(before).toEqual([
      expect.objectContaining({
        task: 'stt',
        missing: expect.objectContaining({ pullCommand: 'llama-pajamas pull tiny-whisper' }) as unknown,
      }),
    ]);
    await resolveModelRef('tiny-whisper', { hub: cfg, catalog: TEST_CATALOG, dtype: 'int8' });
    hub.requests.length = 0;
    const after = await findCachedDefaults({ hub: cfg, catalog: TEST_CATALOG });
    expect(after[0]).toMatchObject({ task: 'stt', model: { via: 'cache', dtype: 'int8' } });
    expect(hub.requests).toEqual([]);
  });
});

describe('listing and removing', () => {
  it('lists cached models with size, refs, tasks and license, and removes them by catalog name', async () => {
    await resolveModelRef('tiny-whisper', { hub: cfg, catalog: TEST_CATALOG });
    const [m] = await listModels(cfg, TEST_CATALOG);
    expect(m).toMatchObject({ repo: 'acme/tiny-whisper', names: ['tiny-whisper'], tasks: ['stt'], license: 'MIT' });
    expect(m!.size).toBe(enc.length + 2);
    expect(Object.keys(m!.refs)).toEqual(['main']);
    expect((await modelInfo('tiny-whisper', cfg, TEST_CATALOG)).repo).toBe('acme/tiny-whisper');
    expect(await removeModel('tiny-whisper', cfg, TEST_CATALOG)).toEqual(['acme/tiny-whisper']);
    expect(await scanCache(cacheDir)).toEqual([]);
    await expect(removeModel('tiny-whisper', cfg, TEST_CATALOG)).rejects.toMatchObject({
      code: 'ERR_RUN_MODELS_UNKNOWN_MODEL',
    });
  });
});

describe('the catalog', () => {
  it('has one default per task, a commercially usable default, and files for its default dtype', () => {
    const tasks = [...new Set(CATALOG.map((e) => e.task))];
    for (const task of tasks) {
      const defaults = CATALOG.filter((e) => e.task === task && e.isDefault);
      expect(defaults, task).toHaveLength(1);
      expect(defaults[0]!.commercialUse, `${task} default ${defaults[0]!.name}`).toBe(true);
    }
    for (const e of CATALOG) {
      expect(e.dtypes[e.defaultDtype]?.files.length, e.name).toBeGreaterThan(0);
      expect(e.revision === 'main' || /^[0-9a-f]{40}$/.test(e.revision), e.name).toBe(true);
      if (!e.commercialUse) expect(e.licenseNote, e.name).toBeTruthy();
    }
    expect(new Set(CATALOG.map((e) => e.name)).size).toBe(CATALOG.length);
  });

  it("lists, for every dtype, the files run-core's FAMILY_FILES says its family needs", () => {
    for (const e of CATALOG) {
      for (const [dtype, d] of Object.entries(e.dtypes)) {
        const wildcard = ['vision-single-file', 'piper', 'silero-vad'].includes(e.family);
        if (wildcard) {
          expect(
            d.files.filter((f) => f.endsWith('.onnx')),
            `${e.name} ${dtype}`,
          ).toHaveLength(1);
          continue;
        }
        const sel = selectFamilyFiles(d.files, { family: e.family, dtype: dtype as ModelDtype });
        expect(sel, `${e.name} ${dtype}`).toBeDefined();
      }
    }
  });
});
