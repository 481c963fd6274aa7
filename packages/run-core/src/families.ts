/**
 * @llama-pajamas/run-core/families — the building blocks of the model families (detectors, classifiers, CLIP,
 * Whisper, Piper, Silero VAD), for runtime authors who assemble pipelines themselves. Most users need only the
 * main entry (`loadVisionModel`, the backends, the registry). Less stable than the main entry.
 */
export { resolveAudioLimits } from './audio/decode.js';
export { MAX_SAMPLE_RATE } from './audio/resample.js';
export { parsePiperConfig, type PiperVoiceConfig } from './families/piper/config.js';
export { EspeakPhonemizer, type Phonemizer } from './families/piper/espeak.js';
export { ESPEAK_LIBRARY_ENV, NativeEspeakPhonemizer, selectPhonemizer } from './families/piper/espeak-native.js';
export { findPiperVoice, type PiperLoaderOptions, type PiperVoiceFiles } from './families/piper/load-piper.js';
export { joinClausePhonemes, phonemesToIds, type PhonemeIds } from './families/piper/phonemes.js';
export { PiperTTS, type PiperSynthesizeOptions, type PiperTTSOptions } from './families/piper/piper-tts.js';
export { rewriteVoiceGraph, type Conv1dShape, type VoiceGraphRewrite } from './families/piper/voice-graph-rewrite.js';
export { convolutions2dFor, voiceSessionOptions } from './families/piper/voice-session.js';
export { findVadFile, sileroOn, type VadLoaderOptions } from './families/vad/load-vad.js';
export {
  SileroVad,
  type BatchedSileroSessions,
  type DetectSpeechOptions,
  type SileroVadOptions,
  type SileroVariant,
} from './families/vad/silero.js';
export { buildBatchedSilero, type BatchedSileroModels } from './families/vad/silero-batched.js';
export {
  resolveVadOptions,
  speechSegmentsFromProbabilities,
  type ResolvedVadOptions,
  type VadOptions,
} from './families/vad/speech-timestamps.js';
export {
  StreamingVad,
  type StreamingVadOptions,
  type VadEndEvent,
  type VadEvent,
  type VadStartEvent,
} from './families/vad/streaming.js';
export { type SileroState, type VadWindowModel } from './families/vad/window-model.js';
export { ImageClassifier, type ClassActivation, type ImageClassifierConfig } from './families/vision/classifier.js';
export {
  ClipModel,
  createTokenizer,
  type ClipConfig,
  type ClipTextConfig,
  type TextTokenizer,
  type ZeroShotOptions,
} from './families/vision/clip.js';
export { COCO80_LABELS } from './families/vision/coco-labels.js';
export { decodeDetections, type DecodeContext, type DetectionCandidates } from './families/vision/detection-heads.js';
export { Detector, type DetectionDefaults, type DetectorConfig } from './families/vision/detector.js';
export {
  FamilyVisionBackend,
  type FamilyClassifyOptions,
  type FamilyVisionBackendInit,
  type VisionPipelines,
} from './families/vision/family-backend.js';
export {
  checkHeadDims,
  DETECTION_HEADS,
  gridCellCount,
  HEAD_LAYOUTS,
  headClassCount,
  headFits,
  headLayoutsLookedFor,
  recognizeHead,
  type DetectionHead,
  type HeadLayout,
} from './families/vision/head-layouts.js';
export {
  hfLabels,
  hfPreprocessSpec,
  parseUltralyticsImgsz,
  parseUltralyticsNames,
  type HfImageProcessorConfig,
} from './families/vision/hf-config.js';
export {
  capabilities,
  disposeOnError,
  imageInput,
  inputSize,
  readLabels,
  type BuiltVisionModel,
  type VisionBuildContext,
  type VisionLoaderOptions,
} from './families/vision/load-common.js';
export { buildClip, buildHfClassifier, isClipFolder, type HfModelConfig } from './families/vision/load-hf.js';
export {
  buildDetector,
  buildFromFile,
  buildFromManifest,
  buildImageModel,
  type ImageModelSpec,
} from './families/vision/load-single-file.js';
export {
  defaultPreprocess,
  mergeManifestInput,
  parseVisionManifest,
  VISION_MANIFEST_FILE,
  type VisionManifest,
  type VisionTask,
} from './families/vision/manifest.js';
export {
  hasDynamicBatch,
  pickOutput,
  requireOutput,
  runImages,
  type BatchMode,
  type ImageRunConfig,
  type ImageSlot,
} from './families/vision/run-images.js';
export {
  addWordTimestamps,
  alignmentHeadsOf,
  APPEND_PUNCTUATIONS,
  findAlignment,
  mergePunctuations,
  PREPEND_PUNCTUATIONS,
  splitToWordTokens,
  wordsFromMatrix,
  type AlignmentModel,
  type TokenDecoder,
  type WordTimestampOptions,
  type WordTiming,
} from './families/whisper/alignment.js';
export {
  WhisperSpeechToText,
  type OpenedWhisper,
  type WhisperLoader,
  type WhisperTranscribeOptions,
} from './families/whisper/backend.js';
export { parseWhisperConfig, type WhisperModelConfig } from './families/whisper/config.js';
export {
  buildPrefix,
  compressionRatio,
  decodeWindow,
  type WindowDecodeOptions,
  type WindowDecodeResult,
} from './families/whisper/decode.js';
export { ALIGNMENT_FRAMES_PER_SECOND, alignmentMatrix, medianFilter } from './families/whisper/dtw.js';
export { RealFft } from './families/whisper/fft.js';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './families/whisper/float16.js';
export {
  findWhisperFiles,
  type WhisperFiles,
  type WhisperGraphRewrites,
  type WhisperLoaderOptions,
} from './families/whisper/load-whisper.js';
export {
  logMelSpectrogram,
  melFilterBank,
  WHISPER_CHUNK_FRAMES,
  WHISPER_CHUNK_SAMPLES,
  WHISPER_HOP_LENGTH,
  WHISPER_N_FFT,
  WHISPER_SAMPLE_RATE,
  type LogMel,
  type LogMelOptions,
} from './families/whisper/log-mel.js';
export {
  applyTimestampRules,
  rowStats,
  seededRandom,
  type RowStats,
  type TimestampRuleTokens,
} from './families/whisper/logits.js';
export {
  WhisperRunner,
  type DecoderState,
  type StepLogits,
  type WhisperRunnerOptions,
  type WhisperSessions,
} from './families/whisper/runner.js';
export { broadcastMatches, openBroadcastDecoder, type BroadcastDecoder } from './families/whisper/broadcast-decoder.js';
export { rewriteCrossAttention, type CrossAttentionRewrite } from './families/whisper/cross-attention-rewrite.js';
export { rewriteEncoderAttention, type EncoderAttentionRewrite } from './families/whisper/encoder-attention-rewrite.js';
export { openRewrittenEncoder, type RewrittenEncoder } from './families/whisper/encoder-session.js';
export {
  SPEECH_PAD,
  transcribeChunks,
  type SpeechDetector,
  type SpeechStream,
  type SpeechStreamEvent,
  type StreamTranscriber,
  type TranscribeChunksOptions,
} from './families/whisper/stream.js';
export { WhisperTokenizer, type WhisperSpecialTokens } from './families/whisper/tokenizer.js';
export {
  WHISPER_TIME_PRECISION,
  WhisperPipeline,
  type WhisperDecodeOptions,
  type WhisperTranscriptionResult,
  type WordTimestampMethod,
} from './families/whisper/transcribe.js';
export { decodeGreedyBatch, type GreedyBatchOptions } from './families/whisper/batch-decode.js';
export {
  WHISPER_MAX_BATCH,
  type WhisperBatchMode,
  type WhisperBatchVerdict,
} from './families/whisper/transcribe-batch.js';
export { interpolateWords, round2 } from './families/whisper/word-times.js';
export { resolveImageLimits } from './image/decode.js';
export { writeFloatPixels, type Placement } from './image/float-pixels.js';
export {
  coverGeometry,
  letterboxCenterGeometry,
  letterboxTopLeftGeometry,
  shortestEdgeCenterCropGeometry,
  stretchGeometry,
} from './image/geometry.js';
export { familyLookedFor } from './loaders/family-files.js';
export { dtypeOrder, isModelFileName, pathExists, stripModelExtension } from './loaders/files.js';
export {
  normalizeText,
  splitClauses,
  splitSentences,
  type Clause,
  type SplitSentencesOptions,
} from './text/sentences.js';
