import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { RUN_ERROR_CODES, RunError, invalidParameter, isRunError, throwIfAborted } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...docs.matchAll(/^\|\s*`(ERR_RUN_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);

describe('docs/errors.md', () => {
  it('lists every error code, once, with a how-to-solve column', () => {
    // The converters' own codes are checked by packages/converters/test/errors-doc.test.ts.
    const own = documented.filter(
      (c) => !c!.startsWith('ERR_RUN_CONVERTER_') || (RUN_ERROR_CODES as readonly string[]).includes(c!),
    );
    expect([...own].sort()).toEqual([...RUN_ERROR_CODES].sort());
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
    // Codes raised only by other packages (CoreML, converters) have no run-core class.
    const elsewhere = [
      'ERR_RUN_COREML_UNSUPPORTED_PLATFORM',
      'ERR_RUN_COREML_BINDING_NOT_FOUND',
      'ERR_RUN_CONVERTER_PYTHON_NOT_FOUND',
      'ERR_RUN_CONVERTER_FAILED',
    ];
    expect([...codes, ...elsewhere].sort()).toEqual([...RUN_ERROR_CODES].sort());
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
