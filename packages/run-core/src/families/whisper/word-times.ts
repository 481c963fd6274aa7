import type { SpeechSegment, TranscriptionWord } from '../../types/speech.js';
import type { WhisperTokenizer } from './tokenizer.js';

/** Rounds seconds to hundredths (the precision of Whisper's timestamps in results). */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Maps times on speech-only audio (VAD regions glued together) back to the original audio. */
export class SpeechTimeMap {
  private readonly chunks: { origStart: number; glued: number; length: number }[] = [];

  constructor(regions: readonly SpeechSegment[]) {
    let glued = 0;
    for (const r of regions) {
      this.chunks.push({ origStart: r.start, glued, length: r.end - r.start });
      glued += r.end - r.start;
    }
  }

  /** The original time of a time on the glued audio. */
  toOriginal(t: number): number {
    for (const c of this.chunks) {
      if (t <= c.glued + c.length + 1e-9) return round2(c.origStart + Math.max(0, t - c.glued));
    }
    const last = this.chunks[this.chunks.length - 1];
    return last ? round2(last.origStart + last.length) : t;
  }
}

/**
 * Word timings by interpolation inside a segment: each word gets a share of the segment's span proportional to
 * its characters (the fallback for exports without cross-attention outputs; see docs/speech.md).
 */
export function interpolateWords(
  tokenizer: WhisperTokenizer,
  tokens: readonly number[],
  logprobs: readonly number[],
  start: number,
  end: number,
): TranscriptionWord[] {
  const words: { text: string; lps: number[] }[] = [];
  tokens.forEach((t, i) => {
    if (t >= tokenizer.special.eot) return;
    const piece = tokenizer.tokenText(t);
    const lp = logprobs[i] ?? 0;
    const last = words[words.length - 1];
    if (!last || /^\s/.test(piece)) words.push({ text: piece, lps: [lp] });
    else {
      last.text += piece;
      last.lps.push(lp);
    }
  });
  const total = words.reduce((n, w) => n + w.text.trim().length, 0) || 1;
  const out: TranscriptionWord[] = [];
  let at = start;
  for (const w of words) {
    const span = ((end - start) * w.text.trim().length) / total;
    const mean = w.lps.reduce((a, b) => a + b, 0) / w.lps.length;
    out.push({ word: w.text, start: round2(at), end: round2(at + span), probability: Math.exp(mean) });
    at += span;
  }
  return out.filter((w) => w.word.trim() !== '');
}
