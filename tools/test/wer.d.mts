/**
 * The words of a text: lower case, hyphens and dashes to spaces, punctuation dropped (apostrophes inside words
 * kept), and with `spellNumbers` the numbers up to 99 in words.
 */
export function normalizeWords(text: string, options?: { spellNumbers?: boolean }): string[];
/** Word edit distance (Levenshtein on words) between two word lists. */
export function wordEdits(reference: readonly string[], hypothesis: readonly string[]): number;
/** Word edit distance of two texts after {@link normalizeWords}, and the reference's word count. */
export function wordErrors(reference: string, hypothesis: string): { edits: number; words: number };
