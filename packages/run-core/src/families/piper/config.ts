import { ModelUnrecognizedError } from '../../errors.js';

/** The parts of a Piper voice's `.onnx.json` that synthesis uses (snake_case names as in the file). */
export interface PiperVoiceConfig {
  sampleRate: number;
  /** espeak-ng voice (e.g. `en-us`) for `phonemeType: 'espeak'`. */
  espeakVoice: string;
  /** `espeak` (IPA from espeak-ng) or `text` (the text's own characters are the phonemes). */
  phonemeType: 'espeak' | 'text';
  /** Phoneme (one Unicode code point) → ids. */
  phonemeIdMap: ReadonlyMap<string, readonly number[]>;
  /** Phoneme → replacement phonemes, applied before the ids (usually empty). */
  phonemeMap: ReadonlyMap<string, readonly string[]>;
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  numSpeakers: number;
  /** Speaker name → id. */
  speakerIdMap: ReadonlyMap<string, number>;
  /** Language code from the file (`en_US`), when given. */
  language?: string;
}

function fail(message: string): never {
  throw new ModelUnrecognizedError(
    {
      model: 'Piper voice config',
      found: message,
      hint: "Expected the voice's .onnx.json as written by piper.",
    },
    { details: { family: 'piper' } },
  );
}

const num = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

/**
 * Reads and checks a Piper voice config (`voice.onnx.json`); throws {@link ModelUnrecognizedError} when required
 * fields (`audio.sample_rate`, `phoneme_id_map`) are missing or malformed.
 * @example
 * parsePiperConfig(JSON.parse(readFileSync('en_US-joe-medium.onnx.json', 'utf8')));
 * // { sampleRate: 22050, espeakVoice: 'en-us', noiseScale: 0.667, lengthScale: 1, noiseW: 0.8, numSpeakers: 1, … }
 */
export function parsePiperConfig(json: unknown): PiperVoiceConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('it is not a JSON object');
  const c = json as Record<string, unknown>;
  const audio = (c.audio ?? {}) as Record<string, unknown>;
  const sampleRate = audio.sample_rate;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 192000) {
    fail('audio.sample_rate is missing or not a sample rate');
  }
  const rawMap = c.phoneme_id_map;
  if (typeof rawMap !== 'object' || rawMap === null || Array.isArray(rawMap)) fail('phoneme_id_map is missing');
  const phonemeIdMap = new Map<string, number[]>();
  for (const [ph, ids] of Object.entries(rawMap as Record<string, unknown>)) {
    if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i) && (i as number) >= 0)) {
      fail(`phoneme_id_map[${JSON.stringify(ph)}] is not a list of ids`);
    }
    phonemeIdMap.set(ph, ids as number[]);
  }
  for (const required of ['^', '$', '_']) {
    if (!phonemeIdMap.has(required))
      fail(`phoneme_id_map has no '${required}' (BOS '^', EOS '$' and PAD '_' are required)`);
  }
  const phonemeMap = new Map<string, string[]>();
  if (typeof c.phoneme_map === 'object' && c.phoneme_map !== null) {
    for (const [ph, to] of Object.entries(c.phoneme_map as Record<string, unknown>)) {
      if (Array.isArray(to) && to.every((t) => typeof t === 'string')) phonemeMap.set(ph, to);
    }
  }
  const inference = (c.inference ?? {}) as Record<string, unknown>;
  const espeak = (c.espeak ?? {}) as Record<string, unknown>;
  const speakerIdMap = new Map<string, number>();
  if (typeof c.speaker_id_map === 'object' && c.speaker_id_map !== null) {
    for (const [name, id] of Object.entries(c.speaker_id_map as Record<string, unknown>)) {
      if (Number.isInteger(id)) speakerIdMap.set(name, id as number);
    }
  }
  const numSpeakers = Math.max(1, Math.trunc(num(c.num_speakers, 1)), speakerIdMap.size);
  const phonemeType = c.phoneme_type === 'text' ? 'text' : 'espeak';
  const language = (c.language as Record<string, unknown> | undefined)?.code;
  return {
    sampleRate,
    espeakVoice: typeof espeak.voice === 'string' && espeak.voice.length > 0 ? espeak.voice : 'en-us',
    phonemeType,
    phonemeIdMap,
    phonemeMap,
    noiseScale: num(inference.noise_scale, 0.667),
    lengthScale: num(inference.length_scale, 1),
    noiseW: num(inference.noise_w, 0.8),
    numSpeakers,
    speakerIdMap,
    ...(typeof language === 'string' ? { language } : {}),
  };
}
