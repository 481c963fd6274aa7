import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LLAMA_ERROR_CODES, LlamaModelLoadError, LlamaRuntimeError } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('run-llama errors', () => {
  it('has a row in docs/errors.md for each code, and a class for each', () => {
    for (const code of LLAMA_ERROR_CODES) expect(docs).toMatch(new RegExp(`^\\|\\s*\`${code}\`\\s*\\|`, 'm'));
    const codes = [new LlamaModelLoadError({ path: 'm.gguf', reason: 'r' }), new LlamaRuntimeError({ reason: 'r' })];
    expect(codes.map((e) => e.code).sort()).toEqual([...LLAMA_ERROR_CODES].sort());
    expect(codes[0]!.message).toMatchInlineSnapshot(
      `"Could not load 'm.gguf' as a GGUF chat model: r. Expected a complete .gguf file of an architecture llama.cpp supports (check the download, or convert the model with llama.cpp's convert_hf_to_gguf.py)."`,
    );
  });
});
