import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunError } from '@llama-pajamas/run-core';
import * as coreml from '../src/index.js';
import { COREML_ERROR_CODES } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const install = readFileSync(new URL('../../../docs/install.md', import.meta.url), 'utf8');
const coremlDoc = readFileSync(new URL('../../../docs/coreml.md', import.meta.url), 'utf8');

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
const anchors = (md: string): string[] =>
  [...md.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]!
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-'),
  );

describe('run-coreml errors', () => {
  it('has a docs/errors.md row with three cells for every code', () => {
    for (const code of COREML_ERROR_CODES) {
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      expect(row, code).toBeDefined();
      expect(
        row!.split('|').filter((c) => c.trim().length > 0),
        code,
      ).toHaveLength(3);
    }
  });

  it('has a RunError subclass for every code, named after itself', () => {
    const classes = (Object.values(coreml) as unknown[]).filter(
      (v): v is typeof RunError => typeof v === 'function' && v.prototype instanceof RunError,
    );
    const codes = classes.map((Cls) => {
      const e = new (Cls as unknown as new (a: Record<string, unknown>) => RunError)({
        platform: 'linux',
        arch: 'x64',
        attempts: [],
        path: 'm.mlpackage',
        nsError: 'e',
        computeUnits: 'all',
        model: 'm',
        feature: 'f',
        hint: 'h',
        reason: 'r',
      });
      expect(e.name).toBe(Cls.name);
      return e.code;
    });
    expect(codes.sort()).toEqual([...COREML_ERROR_CODES].sort());
  });

  it('links only to anchors that exist', () => {
    const links = [
      ...[...docs.matchAll(/docs\/install\.md#([a-z0-9-]+)/g)].map((m) => ['install', m[1]!]),
      ...[...docs.matchAll(/docs\/coreml\.md#([a-z0-9-]+)/g)].map((m) => ['coreml', m[1]!]),
    ];
    const source = readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8');
    links.push(...[...source.matchAll(/INSTALL_DOCS\}#([a-z0-9-]+)/g)].map((m) => ['install', m[1]!]));
    expect(links.length).toBeGreaterThan(4);
    for (const [page, anchor] of links) {
      expect(anchors(page === 'install' ? install : coremlDoc), `${page}#${anchor}`).toContain(anchor);
    }
  });
});
