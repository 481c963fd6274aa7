import { ModelUnrecognizedError } from '../../errors.js';

/** What the decoding needs from `config.json`, `generation_config.json` and `preprocessor_config.json`. */
export interface WhisperModelConfig {
  /** Mel bins of the encoder input (80, or 128 for large-v3). */
  readonly nMels: number;
  /** Decoder context (448). */
  readonly maxTargetPositions: number;
  /** Encoder output positions (1500 for 30 s). */
  readonly maxSourcePositions: number;
  readonly decoderLayers: number;
  readonly decoderHeads: number;
  readonly dModel: number;
  readonly vocabSize: number;
  /** Multilingual (language and task tokens) or English-only (`*.en`). */
  readonly isMultilingual: boolean;
  /** Tokens never sampled (generation_config `suppress_tokens`). */
  readonly suppressTokens: readonly number[];
  /** Tokens not sampled first (`begin_suppress_tokens`, e.g. space and EOT). */
  readonly beginSuppressTokens: readonly number[];
  /** Largest timestamp index allowed as the first timestamp (50 = 1.0 s). */
  readonly maxInitialTimestampIndex: number;
  /** Cross-attention heads that align text and audio (for DTW word timing), when known. */
  readonly alignmentHeads: readonly (readonly [number, number])[];
}

function num(obj: Record<string, unknown>, key: string, fallback?: number): number {
  const v = obj[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw new ModelUnrecognizedError(
    {
      model: 'config.json',
      found: `it has no numeric '${key}'`,
      hint: 'Is this a Whisper model? Use its config.json.',
    },
    { details: { key } },
  );
}

function ids(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : [];
}

/**
 * Reads a Whisper model's configuration files (parsed JSON); generation and preprocessor configs are optional.
 * @example
 * const cfg = parseWhisperConfig(configJson, generationConfigJson);
 * cfg.nMels; // 80
 */
export function parseWhisperConfig(
  config: Record<string, unknown>,
  generationConfig: Record<string, unknown> = {},
  preprocessorConfig: Record<string, unknown> = {},
): WhisperModelConfig {
  if (config.model_type !== undefined && config.model_type !== 'whisper') {
    throw new ModelUnrecognizedError(
      {
        model: 'config.json',
        found: `model_type is ${JSON.stringify(config.model_type)} where a Whisper model has 'whisper'`,
        hint: 'Load it with the loader of its family.',
      },
      { details: { modelType: config.model_type } },
    );
  }
  const vocabSize = num(config, 'vocab_size');
  const nMels = num(preprocessorConfig, 'feature_size', num(config, 'num_mel_bins', 80));
  const heads = Array.isArray(generationConfig.alignment_heads) ? (generationConfig.alignment_heads as unknown[]) : [];
  return {
    nMels,
    maxTargetPositions: num(config, 'max_target_positions', 448),
    maxSourcePositions: num(config, 'max_source_positions', 1500),
    decoderLayers: num(config, 'decoder_layers'),
    decoderHeads: num(config, 'decoder_attention_heads'),
    dModel: num(config, 'd_model'),
    vocabSize,
    isMultilingual:
      typeof generationConfig.is_multilingual === 'boolean' ? generationConfig.is_multilingual : vocabSize >= 51865,
    suppressTokens: ids(generationConfig.suppress_tokens ?? config.suppress_tokens),
    beginSuppressTokens: ids(generationConfig.begin_suppress_tokens ?? config.begin_suppress_tokens),
    maxInitialTimestampIndex: num(generationConfig, 'max_initial_timestamp_index', 50),
    alignmentHeads: heads
      .filter((h): h is [number, number] => Array.isArray(h) && h.length === 2)
      .map((h) => [h[0], h[1]] as const),
  };
}
