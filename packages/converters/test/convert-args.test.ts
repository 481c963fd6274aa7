import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVERTER_ERROR_CODES, convert, convertArgs, ensureConverterEnv, REQUIREMENTS_FILE } from '../src/index.js';

describe('convertArgs', () => {
  it('maps options to the Python command line', () => {
    expect(
      convertArgs({
        family: 'whisper',
        source: '/m/whisper',
        out: '/o',
        quantize: 'palettize6',
        onnx: ['fp32', 'int8'],
        fallback: 'fp32',
        maxTokens: 64,
        stateful: false,
        parityThresholds: { minTokenAgreement: 0.9 },
      }),
    ).toEqual([
      'whisper',
      '--model',
      '/m/whisper',
      '--out',
      '/o',
      '--precision',
      'fp16',
      '--quantize',
      'palettize6',
      '--onnx',
      'fp32,int8',
      '--fallback',
      'fp32',
      '--parity-threshold',
      'minTokenAgreement=0.9',
      '--max-tokens',
      '64',
      '--no-stateful',
    ]);
  });

  it.each([
    [{ family: 'resnet' }, /family must be one of yolo, classifier, clip, whisper/],
    [{ quantize: 'int4' }, /quantize must be int8, palettize4/],
    [{ onnx: ['bf16'] }, /onnx must be true or a list of fp32, fp16, int8/],
    [{ imgsz: 0 }, /imgsz must be N or \[H, W\]/],
    [{ family: 'clip', imgsz: 224 }, /imgsz must be used with the yolo family only/],
    [{ source: '' }, /source must be a file or folder path/],
  ])('rejects %j with ERR_RUN_INVALID_ARGUMENT', (bad, message) => {
    const o = { family: 'yolo', source: 'a.pt', out: 'o', ...bad } as Parameters<typeof convertArgs>[0];
    expect(() => convertArgs(o)).toThrow(message);
    try {
      convertArgs(o);
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_RUN_INVALID_ARGUMENT');
    }
  });

  it('owns its codes, keeping the two reserved ones', () => {
    expect(CONVERTER_ERROR_CODES).toContain('ERR_RUN_CONVERTER_PYTHON_NOT_FOUND');
    expect(CONVERTER_ERROR_CODES).toContain('ERR_RUN_CONVERTER_FAILED');
    expect(CONVERTER_ERROR_CODES.every((c) => c.startsWith('ERR_RUN_CONVERTER_'))).toBe(true);
  });
});

describe('the converter environment', () => {
  it('names the install command when no Python is found', async () => {
    const saved = {
      PATH: process.env.PATH,
      A: process.env.LLAMA_PAJAMAS_PYTHON,
      B: process.env.LLAMA_PAJAMAS_CONVERTERS_PYTHON,
    };
    process.env.PATH = '/nonexistent';
    delete process.env.LLAMA_PAJAMAS_PYTHON;
    delete process.env.LLAMA_PAJAMAS_CONVERTERS_PYTHON;
    try {
      const cacheDir = await mkdtemp(join(tmpdir(), 'lp-conv-nopy-'));
      await expect(ensureConverterEnv({ cacheDir })).rejects.toMatchObject({
        code: 'ERR_RUN_CONVERTER_PYTHON_NOT_FOUND',
        message: expect.stringMatching(
          /apt-get install python3\.11 python3\.11-venv[\s\S]*llama-pajamas convert setup/,
        ),
      });
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.A) process.env.LLAMA_PAJAMAS_PYTHON = saved.A;
      if (saved.B) process.env.LLAMA_PAJAMAS_CONVERTERS_PYTHON = saved.B;
    }
  });

  it('names a missing source before touching Python', async () => {
    await expect(
      convert({ family: 'clip', source: '/nonexistent/clip', out: join(tmpdir(), 'never') }),
    ).rejects.toMatchObject({
      code: 'ERR_RUN_CONVERTER_SOURCE_NOT_FOUND',
      message: expect.stringContaining('/nonexistent/clip'),
    });
  });

  it('says which install command is missing when the given Python lacks coremltools', async () => {
    await expect(
      convert({ family: 'yolo', source: REQUIREMENTS_FILE, out: join(tmpdir(), 'never'), python: 'python3' }),
    ).rejects.toMatchObject({
      code: 'ERR_RUN_CONVERTER_DEPS_MISSING',
      message: expect.stringMatching(/python3 -m pip install -r .*requirements\.txt/),
    });
  });
});
