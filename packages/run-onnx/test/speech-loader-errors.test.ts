import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpeechToText, loadTextToSpeech, loadVad } from '../src/index.js';

// Errors of the speech loaders, built from typed arguments: what was found, what was looked for, what to do.
// Fixtures: tools/fixtures/models (MANIFEST.json); FastestDet from tools/models (MANIFEST.json).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const shared = fileURLToPath(new URL('../../../tools/', import.meta.url));

async function messageOf(p: Promise<unknown>): Promise<string> {
  const e = (await p.then(
    () => undefined,
    (x: unknown) => x,
  )) as (Error & { code: string }) | undefined;
  if (!e) throw new Error('expected a rejection');
  return `${e.code}: ${e.message.replaceAll(root, '<root>/').replaceAll(shared, '<shared>/')}`;
}

describe('speech loader errors', () => {
  it('a Whisper folder without tokenizer.json names the files of the family', async () => {
    expect(
      await messageOf(loadSpeechToText(join(root, 'tools/fixtures/models/whisper-tiny-split'))),
    ).toMatchInlineSnapshot(
      `"ERR_RUN_MODEL_UNRECOGNIZED: Cannot use the model '<root>/tools/fixtures/models/whisper-tiny-split': the folder has no tokenizer.json. Looked for: a Whisper model exported by Optimum: config.json + tokenizer.json + encoder_model.onnx + decoder_model_merged.onnx or decoder_model.onnx (+ decoder_with_past_model.onnx, generation_config.json, preprocessor_config.json, tokenizer_config.json). See docs/model-formats.md for the supported exports."`,
    );
  });

  it('a dtype whose files are missing says what was tried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisper-dtype-'));
    expect(await messageOf(loadSpeechToText(dir, { dtype: 'fp16' }))).toContain(
      'no fp16 Whisper encoder (tried encoder_model_fp16.onnx, onnx/encoder_model_fp16.onnx)',
    );
  });

  it('a folder without a voice, and a model that is not a Silero VAD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'piper-none-'));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    expect((await messageOf(loadTextToSpeech(dir))).replace(dir, '<dir>')).toMatchInlineSnapshot(
      `"ERR_RUN_MODEL_UNRECOGNIZED: Cannot use the model '<dir>': the folder holds no Piper voice. Looked for: a Piper voice (<name>.onnx + <name>.onnx.json): a .onnx file + *.onnx.json. Put the voice model next to its .onnx.json."`,
    );
    expect(await messageOf(loadVad(join(shared, 'models/detection/FastestDet.onnx')))).toMatchInlineSnapshot(
      `"ERR_RUN_MODEL_OUTPUT_MISMATCH: Model 'FastestDet': its inputs are ["input.1"], but a Silero VAD with inputs 'input' and 'sr' was expected. Pass a Silero VAD model (v4, v5 or v6)."`,
    );
  });
});
