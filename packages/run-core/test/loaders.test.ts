import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findModelFile,
  listModelFiles,
  modelFileNames,
  openSession,
  readJsonFile,
  registerBackend,
  resolveRuntime,
  unregisterBackend,
  type Backend,
  type InferenceSession,
  type ModelSource,
  type RuntimeFiles,
  type SessionOptions,
} from '../src/index.js';
import { stripModelExtension } from '../src/families.js';

const files: RuntimeFiles = {
  extensions: ['.onnx'],
  dtypeSuffixes: { fp32: [''], fp16: ['_fp16'], int8: ['_quantized', '_int8'] },
  dtypePreference: ['fp32', 'int8', 'fp16'],
};
const packageFiles: RuntimeFiles = {
  extensions: ['.mlmodelc', '.mlpackage'],
  dtypeSuffixes: { fp32: [''], fp16: ['_fp16', ''], int8: ['_int8'] },
  dtypePreference: ['fp16', 'fp32'],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-loaders-'));
  await mkdir(join(dir, 'onnx'));
  await mkdir(join(dir, 'coreml', 'model.mlpackage'), { recursive: true });
  for (const f of [
    'onnx/model_quantized.onnx',
    'onnx/model_fp16.onnx',
    'encoder_model_int8.onnx',
    'b.onnx',
    'a.onnx',
  ]) {
    await writeFile(join(dir, f), 'x');
  }
  await writeFile(join(dir, 'config.json'), '{"model_type":"vit"}');
  await writeFile(join(dir, 'broken.json'), '{"model_type":');
});

describe('file names per runtime', () => {
  it('joins stem, dtype suffix and extension', () => {
    expect(modelFileNames('model', files, 'int8')).toEqual(['model_quantized.onnx', 'model_int8.onnx']);
    expect(modelFileNames('model', packageFiles, 'fp32')).toEqual(['model.mlmodelc', 'model.mlpackage']);
    expect(stripModelExtension('yolov8n.onnx', files)).toBe('yolov8n');
    expect(stripModelExtension('notes.txt', files)).toBe('notes.txt');
  });

  it('finds a stem by dtype preference, then folder, then suffix', async () => {
    expect(await findModelFile(dir, 'model', files)).toEqual({
      path: join(dir, 'onnx', 'model_quantized.onnx'),
      dtype: 'int8',
      folder: 'onnx',
      suffix: '_quantized',
    });
    expect((await findModelFile(dir, 'model', files, { dtype: 'fp16' }))?.path).toBe(join(dir, 'onnx/model_fp16.onnx'));
    expect((await findModelFile(dir, 'encoder_model', files))?.suffix).toBe('_int8');
    const tried: string[] = [];
    expect(await findModelFile(dir, 'model', files, { dtype: 'fp32', folders: ['onnx'], tried })).toBeUndefined();
    expect(tried).toEqual([join(dir, 'onnx/model.onnx')]);
    // Folder-shaped packages (CoreML) are found like files.
    expect((await findModelFile(dir, 'model', packageFiles, { folders: ['coreml'] }))?.path).toBe(
      join(dir, 'coreml/model.mlpackage'),
    );
  });

  it('lists the model files of a folder, sorted', async () => {
    expect(await listModelFiles(dir, files)).toEqual(['a.onnx', 'b.onnx', 'encoder_model_int8.onnx']);
  });
});

describe('readJsonFile', () => {
  it('parses, and raises one code per failure', async () => {
    expect(await readJsonFile(join(dir, 'config.json'))).toEqual({ model_type: 'vit' });
    expect(await readJsonFile(join(dir, 'nope.json'), { required: false })).toBeUndefined();
    await expect(readJsonFile(join(dir, 'nope.json'), { what: 'Hugging Face config' })).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_NOT_FOUND',
      message: expect.stringMatching(/^No readable Hugging Face config at ".*nope\.json" \(ENOENT/),
    });
    await expect(readJsonFile(join(dir, 'broken.json'))).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_UNRECOGNIZED',
      name: 'ModelJsonInvalidError',
      details: { path: join(dir, 'broken.json') },
    });
    // A folder is not a missing optional file.
    await expect(readJsonFile(join(dir, 'onnx'), { required: false })).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_NOT_FOUND',
    });
  });
});

describe('resolveRuntime', () => {
  // A test runtime at the abstract seam: it records what it was asked to open.
  const opened: { model: ModelSource; options?: SessionOptions }[] = [];
  const testBackend: Backend = {
    async init() {},
    createSession(model, options) {
      opened.push({ model, ...(options ? { options } : {}) });
      return Promise.resolve({ inputs: [], outputs: [], metadata: {} } as unknown as InferenceSession);
    },
    files,
  };
  beforeAll(() => registerBackend('loaders-test', testBackend, -1));
  afterAll(() => unregisterBackend('loaders-test'));

  it('resolves through the registry and opens sessions with the runtime options', async () => {
    const runtime = await resolveRuntime({ runtime: 'loaders-test', session: { intraOpThreads: 1 }, dtype: 'int8' });
    expect(runtime).toMatchObject({ name: 'loaders-test', files, dtype: 'int8' });
    await openSession(runtime, join(dir, 'a.onnx'));
    expect(opened.at(-1)).toEqual({ model: join(dir, 'a.onnx'), options: { name: 'a.onnx', intraOpThreads: 1 } });
  });

  it('rejects bad runtime names and dtypes as ERR_RUN_INVALID_ARGUMENT', async () => {
    await expect(resolveRuntime({ runtime: [''] })).rejects.toMatchObject({ code: 'ERR_RUN_INVALID_ARGUMENT' });
    await expect(resolveRuntime({ dtype: 'fp64' as never })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
    await expect(resolveRuntime({ runtime: 'nope' })).rejects.toMatchObject({ code: 'ERR_RUN_BACKEND_NOT_FOUND' });
  });
});
