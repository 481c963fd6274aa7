/** Real backends from @llama-pajamas/run-onnx for the browser tests (the playground itself never loads models). */
import type { ModelBackend, STTBackend, TTSBackend, VisionBackend } from '@llama-pajamas/run-core';
import { loadSpeechToText, loadTextToSpeech, loadVisionModel } from '@llama-pajamas/run-onnx';
import { fixtures } from './fixtures.js';

/** The backends one test server serves. */
export interface TestBackends {
  vision: Record<string, VisionBackend>;
  stt: Record<string, STTBackend>;
  tts: Record<string, TTSBackend>;
}

/** YOLOX-nano, MobileNetV2, CLIP (tiny), Whisper tiny.en int8 and the fixture Piper voice. */
export async function loadAllBackends(): Promise<TestBackends> {
  const input = {
    width: 224,
    height: 224,
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406] as const,
    std: [0.229, 0.224, 0.225] as const,
  };
  return {
    vision: {
      yolox: await loadVisionModel(fixtures.yolox, { labels: fixtures.coco80 }),
      mobilenet: await loadVisionModel(fixtures.mobilenet, {
        manifest: { task: 'classify', labels: fixtures.imagenet1k, input },
      }),
      clip: await loadVisionModel(fixtures.clip),
    },
    stt: { whisper: await loadSpeechToText(fixtures.whisperTinyEnInt8, { dtype: 'int8' }) },
    // No duration noise: the voice's lengths then depend on the text and speed alone.
    tts: { piper: await loadTextToSpeech(fixtures.piperVoice, { inference: { noiseW: 0 } }) },
  };
}

/** Unloads every backend of a set. */
export async function unloadAll(b: Partial<TestBackends>): Promise<void> {
  const sets: (Record<string, ModelBackend> | undefined)[] = [b.vision, b.stt, b.tts];
  for (const set of sets) {
    for (const backend of Object.values(set ?? {})) await backend.unload().catch(() => undefined);
  }
}
