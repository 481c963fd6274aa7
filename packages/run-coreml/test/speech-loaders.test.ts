import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadSpeechToText as sttOn,
  loadTextToSpeech as ttsOn,
  loadVad as vadOn,
  registerBackend,
  unregisterBackend,
  type Backend,
} from '@llama-pajamas/run-core';
import { onnxBackend } from '@llama-pajamas/run-onnx';
import { COREML_RUNTIME_FILES, loadSpeechToText, loadTextToSpeech, loadVad } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

const tmp = mkdtempSync(join(tmpdir(), 'run-coreml-speech-'));
const repo = (p: string): string => new URL(`../../../${p}`, import.meta.url).pathname;
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  unregisterBackend('coreml');
  unregisterBackend('coreml-speech-files');
});

describe.runIf(process.platform !== 'darwin')(
  'the speech loaders on CoreML off macOS (on macOS test/darwin runs the real addon instead)',
  () => {
    it.each([
      ['loadSpeechToText', () => loadSpeechToText(join(tmp, 'whisper'))],
      ['loadTextToSpeech', () => loadTextToSpeech(join(tmp, 'voice'))],
      ['loadVad', () => loadVad(join(tmp, 'vad'))],
    ])('%s rejects with the registry error that says why CoreML cannot run and names run-onnx', async (_, load) => {
      const error = await load().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_RUN_BACKEND_NOT_FOUND' });
      expect((error as Error).message).toContain('[coreml] CoreML runs only on macOS');
      expect((error as Error).message).toContain('@llama-pajamas/run-onnx');
    });
  },
);

// run-core's speech loaders must find folder-shaped CoreML files by CoreML's names (`encoder_model_int8.mlpackage`,
// `<voice>.mlpackage`) and hand each one to the runtime as one model. The runtime here is a test Backend at the
// registry seam with CoreML's file names, which opens the real ONNX twin of each file with the real onnx backend:
// what is tested is the loaders' file handling under CoreML naming, not CoreML.
const whisperDir = repo('tools/fixtures/models/whisper-tiny.en-int8');
const clip = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');
const voiceDir = repo('.cache/voices/en_US-joe-medium');
describe.skipIf(!existsSync(clip) || !existsSync(voiceDir))(
  'run-core speech loaders with CoreML file names (skipped only without tools/test/fetch-test-media.sh and tools/fetch-test-voices.sh)',
  () => {
    const opened: string[] = [];
    const twins = new Map<string, string>();
    const seam: Backend = {
      files: COREML_RUNTIME_FILES,
      init: () => onnxBackend.init('onnx'),
      createSession: (model, options) => {
        opened.push(basename(String(model)));
        const twin = twins.get(String(model));
        if (twin === undefined) throw new Error(`no ONNX twin for ${String(model)}`);
        return onnxBackend.createSession(twin, options);
      },
    };
    registerBackend('coreml-speech-files', seam, 1);
    /** An empty `.mlpackage` folder at `dir/name` whose ONNX twin is `onnx`. */
    const mlpackage = (dir: string, name: string, onnx: string): string => {
      const path = join(dir, name);
      mkdirSync(join(path, 'Data'), { recursive: true });
      twins.set(path, onnx);
      return path;
    };

    it('loads a Whisper folder of int8 .mlpackage files (encoder + merged decoder) and a CoreML VAD, and transcribes', async () => {
      const dir = join(tmp, 'whisper-tiny.en-coreml');
      mkdirSync(dir);
      for (const f of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json']) {
        copyFileSync(join(whisperDir, f), join(dir, f));
      }
      mlpackage(dir, 'encoder_model_int8.mlpackage', join(whisperDir, 'onnx/encoder_model_quantized.onnx'));
      mlpackage(
        dir,
        'decoder_model_merged_int8.mlpackage',
        join(whisperDir, 'onnx/decoder_model_merged_quantized.onnx'),
      );
      const vadDir = join(tmp, 'silero-vad-coreml');
      mkdirSync(vadDir);
      mlpackage(vadDir, 'silero_vad.mlpackage', asset('models/vad/silero_vad_v5.onnx'));
      opened.length = 0;
      const stt = await sttOn(dir, { runtime: 'coreml-speech-files', vad: vadDir });
      expect(opened).toEqual([
        'encoder_model_int8.mlpackage',
        'decoder_model_merged_int8.mlpackage',
        'silero_vad.mlpackage',
      ]);
      const { text } = await stt.transcribe(clip, { language: 'en' });
      // Whisper tiny.en int8 hears "he was not an old-sposed young man" for "he was not an ill disposed young man".
      expect(text.toLowerCase()).toMatch(/he was not an .* young man/);
      await stt.unload();
    });

    it('loads a Silero VAD folder holding one .mlpackage', async () => {
      opened.length = 0;
      const vad = await vadOn(join(tmp, 'silero-vad-coreml'), { runtime: 'coreml-speech-files' });
      expect(opened).toEqual(['silero_vad.mlpackage']);
      const segments = await vad.detectSpeech(clip);
      expect(segments.length).toBeGreaterThan(0);
      await vad.dispose();
    });

    it('loads a Piper voice folder (<name>.mlpackage next to <name>.onnx.json) and speaks', async () => {
      const dir = join(tmp, 'joe-coreml');
      mkdirSync(dir);
      copyFileSync(join(voiceDir, 'en_US-joe-medium.onnx.json'), join(dir, 'en_US-joe-medium.onnx.json'));
      mlpackage(dir, 'en_US-joe-medium.mlpackage', join(voiceDir, 'en_US-joe-medium.onnx'));
      opened.length = 0;
      const tts = await ttsOn(dir, { runtime: 'coreml-speech-files' });
      expect(opened).toEqual(['en_US-joe-medium.mlpackage']);
      const config = JSON.parse(readFileSync(join(dir, 'en_US-joe-medium.onnx.json'), 'utf8')) as {
        audio: { sample_rate: number };
      };
      const { samples, sampleRate } = await tts.synthesize('Hello there.');
      expect(sampleRate).toBe(config.audio.sample_rate);
      expect(samples.length).toBeGreaterThan(sampleRate / 4);
      await tts.unload();
    });
  },
);
