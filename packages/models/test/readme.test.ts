import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
    expect(out.trim().split('\n')).toEqual([
      'Xenova/whisper-tiny.en MIT fp32,fp16,int8',
      'ERR_RUN_MODELS_NOT_CACHED -> llama-pajamas pull whisper-tiny.en',
      'local true',
    ]);
  });
});
