import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';
import { asset } from '../../../tools/test/assets.js';

/** The example's files: the photo, speech clip and model from /work/shared (see its MANIFEST.json). */
const shared = asset;

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)), {
      'dog.jpg': shared('media/images/dog.jpg'),
      'speech.wav': shared('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav'),
    });
    expect(out).toMatchInlineSnapshot(`
      "[ 1, 3, 640, 640 ] 768 576
      [ 1, 2 ]
      16000 2.99
      true ERR_RUN_IMAGE_DECODE
      "
    `);
  });
});
