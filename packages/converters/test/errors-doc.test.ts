import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONVERTER_ERROR_CODES } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...docs.matchAll(/^\|\s*`(ERR_RUN_CONVERTER_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]);

describe('docs/errors.md', () => {
  it('has one row for every converter code, and none for codes that do not exist', () => {
    expect([...documented].sort()).toEqual([...CONVERTER_ERROR_CODES].sort());
  });
});
