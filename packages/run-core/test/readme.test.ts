import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
    expect(out).toMatchInlineSnapshot(`
      "[ 1, 3, 640, 640 ] 768 576
      [ 1, 2 ]
      16000 2.99
      true ERR_RUN_IMAGE_DECODE
      "
    `);
  });
});
