/** WAV helpers for the Speak tab: wrap raw PCM so an `<audio>` element can play it, and read a WAV header. */

/** A 16-bit mono WAV file around little-endian PCM bytes. */
export function wavFromPcm16(pcm: Uint8Array, sampleRate: number): Blob {
  const header = new ArrayBuffer(44);
  const v = new DataView(header);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + pcm.byteLength, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, pcm.byteLength, true);
  return new Blob([header, pcm as Uint8Array<ArrayBuffer>], { type: 'audio/wav' });
}

/** Finds the `data` chunk of a (possibly open-ended, streamed) 16-bit WAV: its offset and the sample rate. */
export function wavLayout(bytes: Uint8Array): { dataOffset: number; sampleRate: number } | undefined {
  if (bytes.byteLength < 12) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let sampleRate = 0;
  while (at + 8 <= bytes.byteLength) {
    const id = String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
    const size = v.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 16 <= bytes.byteLength) sampleRate = v.getUint32(at + 12, true);
    if (id === 'data') return sampleRate > 0 ? { dataOffset: at + 8, sampleRate } : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}
