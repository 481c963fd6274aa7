import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';
import { asset } from '../../../tools/test/assets.js';

/** The example's files: the photo, speech clip and model from /work/shared (see its MANIFEST.json). */
const shared = asset;

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)), {
      'yolox_nano.onnx': shared('models/detection/yolox_nano.onnx'),
      'dog.jpg': shared('media/images/dog.jpg'),
      'speech.wav': shared('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav'),
    });
    // Scores can move in the last digit across CPUs; labels, order and rough boxes cannot.
    const lines = out.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(['bicycle', 'car', 'dog', 'speech', 'workers']);
    expect(lines).toContain('workers dog dog');
    expect(lines[0]).toMatch(/^dog 0\.8\d 1[23]\d 20\d 32\d 54\d$/); // the best first
    expect(lines.at(-1)).toBe('speech found');
  });
});
