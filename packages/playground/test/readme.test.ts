import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
    expect(out.trim()).toBe('200 text/html; charset=utf-8 no-cache');
  });
});
