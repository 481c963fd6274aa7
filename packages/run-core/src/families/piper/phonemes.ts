import type { Clause } from '../../text/sentences.js';
import type { PiperVoiceConfig } from './config.js';

/**
 * Joins espeak-ng's clause phonemes into one phoneme string for a sentence, putting each clause's punctuation
 * back after its phonemes and a space between clauses, as piper-phonemize does with espeak's clause
 * terminators. When espeak split the sentence differently from `clauses`, the clauses are joined with spaces
 * and only the sentence's final punctuation is kept.
 * @example
 * joinClausePhonemes(['həlˈoʊ', 'wˈɜːld'], [{ text: 'Hello', punctuation: ',' }, { text: 'world', punctuation: '!' }]);
 * // 'həlˈoʊ, wˈɜːld!'
 */
export function joinClausePhonemes(lines: readonly string[], clauses: readonly Clause[]): string {
  if (lines.length === clauses.length) return lines.map((l, i) => l + clauses[i]!.punctuation).join(' ');
  return lines.join(' ') + (clauses.at(-1)?.punctuation ?? '');
}

/** Result of {@link phonemesToIds}. */
export interface PhonemeIds {
  ids: number[];
  /** Phonemes that are not in the voice's map (skipped), in order of first appearance. */
  missing: string[];
}

/**
 * Piper's phoneme-to-id rule: the phonemes are Unicode code points after NFD decomposition (so `ç` is `c` +
 * U+0327), mapped through `phoneme_map` then `phoneme_id_map`; the sequence is BOS `^`, PAD `_`, then each
 * phoneme's ids followed by PAD, then EOS `$`. Unknown phonemes are skipped and reported.
 * @example
 * phonemesToIds('hi', config); // { ids: [1, 0, 20, 0, 21, 0, 2], missing: [] }
 */
export function phonemesToIds(phonemes: string, config: PiperVoiceConfig): PhonemeIds {
  const map = config.phonemeIdMap;
  const pad = map.get('_')!;
  const ids: number[] = [...map.get('^')!, ...pad];
  const missing: string[] = [];
  for (const cp of phonemes.normalize('NFD')) {
    for (const ph of config.phonemeMap.get(cp) ?? [cp]) {
      const id = map.get(ph);
      if (id === undefined) {
        if (!missing.includes(ph)) missing.push(ph);
        continue;
      }
      ids.push(...id, ...pad);
    }
  }
  ids.push(...map.get('$')!);
  return { ids, missing };
}
