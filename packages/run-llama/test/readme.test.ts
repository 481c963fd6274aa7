import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';
import { noModel } from './fixtures/index.js';

describe.skipIf(noModel)('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
    expect(out.trim().split('\n')).toEqual([
      'ChatML 4096',
      'The capital of France is Paris. stop',
      "[ 'city' ]",
      'length 8',
    ]);
  });
});
