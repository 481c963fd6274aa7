import type { SpeechSegment } from '../../types/speech.js';

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
