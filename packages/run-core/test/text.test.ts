import { describe, expect, it } from 'vitest';
import { normalizeText, splitClauses, splitSentences } from '../src/families.js';

describe('normalizeText', () => {
  it('makes quotes, dashes and spaces plain, drops control characters', () => {
    expect(normalizeText('  “Hi”\u00a0—  there…\u0007 ’twas\r\nok ')).toBe('"Hi" - there... \'twas\nok');
  });
});

describe('splitSentences', () => {
  it('splits at sentence punctuation, not at abbreviations, initials or numbers', () => {
    expect(
      splitSentences('Hello Mr. Smith. How are you? Fine! Pi is 3.14, e.g. about three. J. R. R. Tolkien wrote it.'),
    ).toEqual([
      'Hello Mr. Smith.',
      'How are you?',
      'Fine!',
      'Pi is 3.14, e.g. about three.',
      'J. R. R. Tolkien wrote it.',
    ]);
  });

  it('keeps closing quotes with their sentence and handles ellipses, paragraphs and CJK full stops', () => {
    expect(splitSentences('He said "stop!" Then he left... Later\n\nNew paragraph\nsame one. 你好。再见')).toEqual([
      'He said "stop!"',
      'Then he left...',
      'Later',
      'New paragraph same one.',
      '你好。',
      '再见',
    ]);
  });

  it('cuts over-long sentences at commas, then spaces', () => {
    const long = Array.from({ length: 30 }, (_, i) => `clause number ${i}`).join(', ') + '.';
    const parts = splitSentences(long, { maxLength: 100 });
    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(100);
    expect(parts.join(' ')).toBe(long);
    expect(splitSentences('')).toEqual([]);
    expect(() => splitSentences('x', { maxLength: 5 })).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_INVALID_ARGUMENT' }),
    );
  });
});

describe('splitClauses', () => {
  it('splits at clause punctuation followed by a space, keeping the mark', () => {
    expect(splitClauses('Well, it works: see?')).toEqual([
      { text: 'Well', punctuation: ',' },
      { text: 'it works', punctuation: ':' },
      { text: 'see', punctuation: '?' },
    ]);
    expect(splitClauses('It costs 1,234.50 dollars; Mr. Smith paid!?')).toEqual([
      { text: 'It costs 1,234.50 dollars', punctuation: ';' },
      { text: 'Mr. Smith paid', punctuation: '?' },
    ]);
    expect(splitClauses('no punctuation')).toEqual([{ text: 'no punctuation', punctuation: '' }]);
  });
});
