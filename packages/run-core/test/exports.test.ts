import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import * as families from '../src/families.js';

// The runtime names of the main entry, under review: adding one is a decision (is it for users and runtime
// authors, or a building block for `@llama-pajamas/run-core/families`, or internal?). Update with
// `pnpm exec vitest run test/exports.test.ts -u` and say why in the commit.
describe('public API', () => {
  it('the main entry exports these runtime values, and no more', () => {
    const names = Object.keys(core).sort();
    expect(names.length).toBeLessThanOrEqual(90);
    expect(names).toMatchInlineSnapshot(`
      [
        "AbortedError",
        "AudioDecodeError",
        "AudioTooLongError",
        "AudioUnsupportedFormatError",
        "BackendNotFoundError",
        "ContextOverflowError",
        "DEFAULT_AUDIO_LIMITS",
        "DEFAULT_IMAGE_LIMITS",
        "FAMILY_FILES",
        "ImageDecodeError",
        "ImageTooLargeError",
        "InferenceError",
        "InvalidArgumentError",
        "InvalidMessagesError",
        "LLMBackend",
        "LanguageUnsupportedError",
        "LlmFeatureUnsupportedError",
        "MODEL_DTYPES",
        "ModelBackend",
        "ModelJsonInvalidError",
        "ModelLifecycle",
        "ModelNotFoundError",
        "ModelNotLoadedError",
        "ModelOutputMismatchError",
        "ModelUnrecognizedError",
        "PhonemizerNotFoundError",
        "RUN_ERROR_CODES",
        "RunError",
        "STTBackend",
        "SUPPORTED_AUDIO_FORMATS",
        "SchemaUnsupportedError",
        "SessionDisposedError",
        "SpeakerUnknownError",
        "TTSBackend",
        "TensorShapeError",
        "TextTooLongError",
        "TimeoutError",
        "UnsupportedOperationError",
        "VisionBackend",
        "WorkerExitedError",
        "boxIou",
        "computeResizeGeometry",
        "cosineSimilarity",
        "createTensor",
        "decodeAudio",
        "decodeBase64",
        "decodeImage",
        "describeValue",
        "encodePcm16",
        "encodeWav",
        "expectFloat32",
        "familyFilePaths",
        "filterDetections",
        "findModelFile",
        "fromSourceBox",
        "invalidParameter",
        "isRunError",
        "isTensor",
        "l2Normalize",
        "listBackends",
        "listModelFiles",
        "loadAudio",
        "loadSpeechToText",
        "loadTextToSpeech",
        "loadVad",
        "loadVisionModel",
        "modelFileNames",
        "nms",
        "openSession",
        "preprocessImage",
        "preprocessImages",
        "readImageBytes",
        "readJsonFile",
        "registerBackend",
        "resample",
        "resolveBackend",
        "resolveRuntime",
        "sigmoid",
        "sizeOfDims",
        "softmax",
        "throwIfAborted",
        "toMono",
        "toSourceBox",
        "topK",
        "topKInto",
        "unregisterBackend",
        "validatePreprocessSpec",
        "xywhToXyxy",
      ]
    `);
  });

  it('keeps internals out of both entries', () => {
    for (const name of ['pyRound', 'dtw', 'sliceFrames', 'temperatures', 'SpeechTimeMap', 'batchRow']) {
      expect(core, name).not.toHaveProperty(name);
      expect(families, name).not.toHaveProperty(name);
    }
    expect(core).not.toHaveProperty('seededRandom');
  });

  it('the families subpath carries the building blocks the main entry leaves out', () => {
    for (const name of ['Detector', 'ImageClassifier', 'ClipModel', 'WhisperPipeline', 'PiperTTS', 'SileroVad']) {
      expect(families, name).toHaveProperty(name);
      expect(core, name).not.toHaveProperty(name);
    }
    const overlap = Object.keys(families).filter((name) => name in core);
    expect(overlap).toEqual([]);
  });
});
