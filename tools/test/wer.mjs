/**
 * Word error rate helpers shared by the speech tests, tools/bench/stt-wer.ts and tools/cross-cpu/check.mjs: a plain
 * English normalizer and a word-level edit distance (plain JavaScript, so that node runs it without a loader; types
 * in wer.d.mts).
 */

const ONES =
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(
    ' ',
  );
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0–99 in words ("10" → "ten", "42" → "forty two"); longer numbers as they are. */
function spellNumber(digits) {
  const n = Number(digits);
  if (digits.length > 2) return digits;
  if (n < 20) return ONES[n];
  return `${TENS[Math.floor(n / 10)]}${n % 10 ? ` ${ONES[n % 10]}` : ''}`;
}

/**
 * The words of a text: lower case, hyphens and dashes to spaces, punctuation dropped (apostrophes inside words
 * kept), and with `spellNumbers` the numbers up to 99 in words.
 */
export function normalizeWords(text, options = {}) {
  let t = text.toLowerCase();
  if (options.spellNumbers) t = t.replace(/\d+/g, (d) => ` ${spellNumber(d)} `);
  return t
    .replace(/[-–—]/g, ' ')
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/(^|\s)'+|'+(\s|$)/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** Word edit distance (Levenshtein on words) between two word lists. */
export function wordEdits(reference, hypothesis) {
  let row = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const next = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[hypothesis.length];
}

/** Word edit distance of two texts after {@link normalizeWords}, and the reference's word count. */
export function wordErrors(reference, hypothesis) {
  const r = normalizeWords(reference);
  return { edits: wordEdits(r, normalizeWords(hypothesis)), words: r.length };
}
