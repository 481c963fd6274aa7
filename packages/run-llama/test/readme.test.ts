import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';
import { noModel, smolLm2 } from './fixtures/index.js';

describe.skipIf(noModel)(
  'README example (skipped only without the GGUF of tools/test/setup-llm.sh, which CI installs)',
  () => {
    it('runs against the built package and prints what it says', () => {
      const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)), {
        'SmolLM2-135M-Instruct.Q4_1.gguf': smolLm2,
      });
      expect(out.trim().split('\n')).toEqual([
        'ChatML 4096',
        'The capital of France is Paris. stop',
        "[ 'city' ]",
        'length 8',
      ]);
    });
  },
);
