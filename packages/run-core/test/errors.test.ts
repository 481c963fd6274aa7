import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import {
  ModelJsonInvalidError,
  ModelNotFoundError,
  ModelOutputMismatchError,
  ModelUnrecognizedError,
  RUN_ERROR_CODES,
  RunError,
  invalidParameter,
  isRunError,
  throwIfAborted,
} from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...docs.matchAll(/^\|\s*`(ERR_RUN_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);

/** Every package's codes: the `*_ERROR_CODES` arrays that each `packages/<name>/src/errors.ts` exports. */
async function allPackageCodes(): Promise<string[]> {
  const packages = new URL('../../', import.meta.url);
  const codes: string[] = [];
  for (const name of readdirSync(packages).sort()) {
    const file = new URL(`${name}/src/errors.ts`, packages);
    if (!existsSync(file)) continue;
    const mod = (await import(file.href)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(mod)) {
      if (key.endsWith('_ERROR_CODES') && Array.isArray(value)) codes.push(...(value as string[]));
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('lists every error code of every package, once, with a how-to-solve column', async () => {
    const codes = await allPackageCodes();
    expect(codes).toEqual(expect.arrayContaining([...RUN_ERROR_CODES]));
    expect(new Set(codes).size).toBe(codes.length);
    expect([...documented].sort()).toEqual([...codes].sort());
    for (const line of docs.split('\n').filter((l) => /^\|\s*`ERR_RUN/.test(l))) {
      const cells = line
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean);
      expect(cells, line).toHaveLength(3);
    }
  });

  it('has a RunError subclass for every code that run-core raises itself', () => {
    const classes = Object.values(core).filter(
      (v): v is typeof RunError => typeof v === 'function' && v.prototype instanceof RunError,
    );
    const codes = new Set<string>();
    for (const Cls of classes) {
      const e = new (Cls as unknown as new (m: string) => RunError)('m');
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(Cls.name);
      codes.add(e.code);
    }
    expect([...codes].sort()).toEqual([...RUN_ERROR_CODES].sort());
  });
});

describe('model-loading errors build their messages from typed arguments', () => {
  it('names what happened, what was expected and what to do', () => {
    const missing = new ModelNotFoundError({ path: 'models/x', what: 'Whisper model folder', reason: 'ENOENT' });
    expect(missing.message).toMatchInlineSnapshot(
      `"No readable Whisper model folder at "models/x" (ENOENT). Check the path (relative paths start from the working directory) and its permissions."`,
    );
    expect(missing).toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND', details: { path: 'models/x' } });
    const unknown = new ModelUnrecognizedError({
      model: 'x',
      found: 'it has 2 .onnx files',
      lookedFor: ['llama-pajamas.json', 'exactly one .onnx file'],
    });
    expect(unknown.message).toMatchInlineSnapshot(
      `"Cannot use the model 'x': it has 2 .onnx files. Looked for: llama-pajamas.json; exactly one .onnx file. See docs/model-formats.md for the supported exports."`,
    );
    expect(unknown.details).toEqual({ model: 'x' });
    const mismatch = new ModelOutputMismatchError(
      { model: 'yolo', found: "output 'out' is [1, 84]", expected: '[batch, 4 + classes, anchors]' },
      { details: { dims: [1, 84] } },
    );
    expect(mismatch.message).toMatchInlineSnapshot(
      `"Model 'yolo': output 'out' is [1, 84], but [batch, 4 + classes, anchors] was expected. Check the task or family (option or manifest), or re-export the model with the standard exporter."`,
    );
    expect(mismatch.details).toEqual({ model: 'yolo', expected: '[batch, 4 + classes, anchors]', dims: [1, 84] });
    const json = new ModelJsonInvalidError({ path: 'config.json', reason: 'Unexpected token' });
    expect(json).toBeInstanceOf(ModelUnrecognizedError);
    expect(json).toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED', name: 'ModelJsonInvalidError' });
    expect(json.message).toMatch(/^config\.json is not valid JSON \(Unexpected token\)\./);
  });
});

describe('RunError', () => {
  it('keeps code, details and cause', () => {
    const cause = new Error('native');
    const e = new core.ImageDecodeError('bad', { cause, details: { bytes: 3 } });
    expect(e).toMatchObject({ code: 'ERR_RUN_IMAGE_DECODE', details: { bytes: 3 }, cause });
    expect(isRunError(e)).toBe(true);
    expect(isRunError(e, 'ERR_RUN_IMAGE_DECODE')).toBe(true);
    expect(isRunError(e, 'ERR_RUN_TIMEOUT')).toBe(false);
    expect(isRunError(new Error('x'))).toBe(false);
  });

  it('formats parameter errors the way sharp does', () => {
    expect(invalidParameter('topK', 'a positive integer', -1).message).toMatchInlineSnapshot(
      `"Expected a positive integer for topK but received -1 (number)."`,
    );
    expect(invalidParameter('image', 'bytes or a string', null).message).toMatchInlineSnapshot(
      `"Expected bytes or a string for image but received null."`,
    );
    expect(invalidParameter('labels', 'strings', [1, 2]).details).toEqual({ param: 'labels' });
  });

  it('throws ERR_RUN_ABORTED for an aborted signal', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort(new Error('stop'));
    expect(() => throwIfAborted(controller.signal)).toThrowError(expect.objectContaining({ code: 'ERR_RUN_ABORTED' }));
  });
});
