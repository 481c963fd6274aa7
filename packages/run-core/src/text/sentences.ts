import { invalidParameter } from '../errors.js';

/** Options of {@link splitSentences}. */
export interface SplitSentencesOptions {
  /** Sentences longer than this many characters are cut at clause punctuation, then at spaces (default 400). */
  maxLength?: number;
}

/** A clause of a sentence and the punctuation that ends it (`,` `;` `:` `.` `!` `?`, or '' when none). */
export interface Clause {
  text: string;
  punctuation: string;
}

/** Abbreviations (lower case, without the final dot) after which a period does not end a sentence. */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'mt',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'cf',
  'al',
  'approx',
  'no',
  'fig',
  'vol',
  'inc',
  'ltd',
  'co',
  'corp',
  'dept',
  'gen',
  'gov',
  'sgt',
  'capt',
  'col',
  'lt',
  'rev',
  'hon',
  'a.m',
  'p.m',
  'u.s',
  'u.k',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
]);

const CLOSERS = `"'”’)]}»`;

/**
 * Normalises text before speech: Unicode NFC, curly quotes and dashes made plain, control characters removed,
 * runs of spaces and tabs collapsed (line breaks are kept: a blank line ends a sentence).
 * @example
 * normalizeText('“Hi”\u00a0—  there…'); // '"Hi" - there...'
 */
export function normalizeText(text: string): string {
  if (typeof text !== 'string') throw invalidParameter('text', 'a string', text);
  return (
    text
      .normalize('NFC')
      .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
      .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
      .replace(/[\u2013\u2014\u2212]/g, ' - ')
      .replace(/\u2026/g, '...')
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\ufeff]/g, '')
      .replace(/[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .trim()
  );
}

/** True when the period at `dot` in `text` ends an abbreviation or an initial (so not a sentence). */
function isAbbreviation(text: string, dot: number): boolean {
  let start = dot;
  while (start > 0 && /[\p{L}.]/u.test(text[start - 1]!)) start--;
  const word = text.slice(start, dot).toLowerCase();
  if (word.length === 0) return false;
  if (ABBREVIATIONS.has(word)) return true;
  // A single capital letter ("J. Smith") is an initial.
  return word.length === 1 && /\p{Lu}/u.test(text[start]!);
}

/** Cuts an over-long sentence at clause punctuation, then at spaces, into pieces of at most `max` characters. */
function cutLong(sentence: string, max: number): string[] {
  const out: string[] = [];
  let rest = sentence;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = -1;
    for (const re of [/[,;:](?=\s)/g, /\s/g]) {
      for (const m of window.matchAll(re)) if (m.index > max / 3) cut = m.index + 1;
      if (cut > 0) break;
    }
    if (cut <= 0) cut = max;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest.length > 0) out.push(rest);
  return out;
}

/**
 * Splits text into sentences for speech: after `.`, `!`, `?` or `...` (and any closing quotes or brackets)
 * followed by a space, at line breaks that separate paragraphs, and at CJK full stops; not after common
 * abbreviations (`Mr.`, `e.g.`), initials (`J.`) or inside numbers (`3.14`). Runs {@link normalizeText} first.
 * @example
 * splitSentences('Hello Mr. Smith. How are you? Fine!');
 * // ['Hello Mr. Smith.', 'How are you?', 'Fine!']
 */
export function splitSentences(text: string, options: SplitSentencesOptions = {}): string[] {
  const maxLength = options.maxLength ?? 400;
  if (!Number.isSafeInteger(maxLength) || maxLength < 20) {
    throw invalidParameter('options.maxLength', 'an integer >= 20', maxLength);
  }
  const clean = normalizeText(text);
  const sentences: string[] = [];
  let start = 0;
  const push = (end: number): void => {
    const s = clean.slice(start, end).replace(/\s+/g, ' ').trim();
    if (s.length > 0) sentences.push(...cutLong(s, maxLength));
    start = end;
  };
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i]!;
    if (ch === '\n') {
      if (clean[i + 1] === '\n' || /[.!?:;]\s*$/.test(clean.slice(start, i))) push(i);
      continue;
    }
    if (ch === '。' || ch === '！' || ch === '？') {
      push(i + 1);
      continue;
    }
    if (ch !== '.' && ch !== '!' && ch !== '?') continue;
    let end = i + 1;
    while (end < clean.length && (clean[end] === '.' || clean[end] === '!' || clean[end] === '?')) end++;
    while (end < clean.length && CLOSERS.includes(clean[end]!)) end++;
    if (end < clean.length && !/\s/.test(clean[end]!)) {
      i = end - 1;
      continue;
    }
    if (ch === '.' && end === i + 1 && isAbbreviation(clean, i)) continue;
    push(end);
    i = end - 1;
  }
  push(clean.length);
  return sentences;
}

/**
 * Splits one sentence into clauses at `,` `;` `:` `.` `!` `?` followed by a space or the end (as espeak-ng
 * does); the punctuation is kept apart so that it can be re-attached to the clause's phonemes.
 * @example
 * splitClauses('Well, it works: see?');
 * // [{ text: 'Well', punctuation: ',' }, { text: 'it works', punctuation: ':' }, { text: 'see', punctuation: '?' }]
 */
export function splitClauses(sentence: string): Clause[] {
  const clauses: Clause[] = [];
  const marks = ',;:.!?';
  let start = 0;
  let i = 0;
  const push = (textEnd: number, punctuationRun: string): void => {
    const text = sentence.slice(start, textEnd).trim();
    const punctuation = punctuationRun.includes('?')
      ? '?'
      : punctuationRun.includes('!')
        ? '!'
        : punctuationRun.slice(-1);
    if (text.length > 0) clauses.push({ text, punctuation });
    else if (punctuation !== '' && clauses.length > 0) clauses[clauses.length - 1]!.punctuation = punctuation;
  };
  while (i < sentence.length) {
    if (!marks.includes(sentence[i]!)) {
      i++;
      continue;
    }
    let end = i;
    while (end < sentence.length && marks.includes(sentence[end]!)) end++;
    const run = sentence.slice(i, end);
    let after = end;
    while (after < sentence.length && CLOSERS.includes(sentence[after]!)) after++;
    if (after < sentence.length && !/\s/.test(sentence[after]!)) {
      i = end;
      continue;
    }
    if (run === '.' && isAbbreviation(sentence, i)) {
      i = end;
      continue;
    }
    push(i, run);
    start = after;
    i = after;
  }
  if (start < sentence.length) push(sentence.length, '');
  return clauses;
}
