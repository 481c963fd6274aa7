import type { TranscriptionSegment } from '@llama-pajamas/run-core';

function stamp(seconds: number, sep: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const r = ms % 1000;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(h)}:${p(m)}:${p(s)}${sep}${p(r, 3)}`;
}

/**
 * Formats segments as SubRip subtitles.
 * @example
 * toSrt([{ start: 0, end: 1.5, text: ' Hi.' }]) // "1\n00:00:00,000 --> 00:00:01,500\nHi.\n\n"
 */
export function toSrt(segments: readonly Pick<TranscriptionSegment, 'start' | 'end' | 'text'>[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${stamp(s.start, ',')} --> ${stamp(s.end, ',')}\n${s.text.trim()}\n\n`)
    .join('');
}

/**
 * Formats segments as WebVTT subtitles.
 * @example
 * toVtt([{ start: 0, end: 1.5, text: ' Hi.' }]) // "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHi.\n\n"
 */
export function toVtt(segments: readonly Pick<TranscriptionSegment, 'start' | 'end' | 'text'>[]): string {
  return `WEBVTT\n\n${segments.map((s) => `${stamp(s.start, '.')} --> ${stamp(s.end, '.')}\n${s.text.trim()}\n\n`).join('')}`;
}
