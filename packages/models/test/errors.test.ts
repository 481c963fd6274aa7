import { readFileSync } from 'node:fs';
import { RunError } from '@llama-pajamas/run-core';
import { describe, expect, it } from 'vitest';
import * as models from '../src/index.js';
import { MODELS_ERROR_CODES, ModelsError } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('model manager errors', () => {
  it('are all in docs/errors.md with a how-to-solve column', () => {
    for (const code of MODELS_ERROR_CODES) {
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      expect(row, code).toBeDefined();
      expect(
        row!
          .split('|')
          .map((c) => c.trim())
          .filter(Boolean),
        code,
      ).toHaveLength(3);
    }
    const documented = [...docs.matchAll(/^\|\s*`(ERR_RUN_MODELS_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...MODELS_ERROR_CODES].sort());
  });

  it('are RunErrors, each code raised by an exported class', () => {
    const classes = Object.entries(models).filter(
      ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof ModelsError,
    );
    expect(classes.length).toBe(MODELS_ERROR_CODES.length);
    for (const [name] of classes) expect(new ModelsError('ERR_RUN_MODELS_HTTP', name)).toBeInstanceOf(RunError);
  });
});
