/** Whisper speech-to-text, runtime-agnostic: log-mel, tokenizer, decoding, long-form transcription. */
export * from './log-mel.js';
export { RealFft } from './fft.js';
export * from './float16.js';
export * from './tokenizer.js';
export * from './config.js';
export * from './runner.js';
export * from './cross-attention-rewrite.js';
export * from './broadcast-decoder.js';
export {
  decodeWindow,
  compressionRatio,
  buildPrefix,
  type WindowDecodeOptions,
  type WindowDecodeResult,
} from './decode.js';
export { applyTimestampRules, rowStats, seededRandom, type RowStats, type TimestampRuleTokens } from './logits.js';
export * from './transcribe.js';
export { WHISPER_MAX_BATCH, type WhisperBatchMode, type WhisperBatchVerdict } from './transcribe-batch.js';
export { decodeGreedyBatch, type GreedyBatchOptions } from './batch-decode.js';
export * from './alignment.js';
export * from './dtw.js';
export * from './backend.js';
export * from './stream.js';
export * from './word-times.js';
export * from './load-whisper.js';
