/** Width, height and EXIF orientation read from a JPEG's markers. */
export interface JpegHeader {
  /** Stored width (before EXIF orientation). */
  width: number;
  /** Stored height (before EXIF orientation). */
  height: number;
  /** EXIF orientation 1-8 (1 when the file has no EXIF orientation). */
  orientation: number;
}

/** Most marker segments walked before giving up (a JPEG has a few dozen before its first scan). */
const MAX_SEGMENTS = 512;

/** Reads the IFD0 Orientation tag from an APP1 `Exif\0\0` payload; `undefined` when it cannot be read safely. */
function exifOrientation(b: Uint8Array, start: number, end: number): number | undefined {
  const tiff = start + 6;
  if (tiff + 8 > end) return undefined;
  let le: boolean;
  if (b[tiff] === 0x49 && b[tiff + 1] === 0x49) le = true;
  else if (b[tiff] === 0x4d && b[tiff + 1] === 0x4d) le = false;
  else return undefined;
  const u16 = (o: number): number =>
    le ? (b[o] as number) | ((b[o + 1] as number) << 8) : ((b[o] as number) << 8) | (b[o + 1] as number);
  const u32 = (o: number): number => (le ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  if (u16(tiff + 2) !== 42) return undefined;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return undefined;
  const count = u16(ifd);
  if (ifd + 2 + count * 12 > end) return undefined;
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (u16(e) !== 0x0112) continue;
    // SHORT, count 1: the value sits in the first two bytes of the value field.
    if (u16(e + 2) !== 3 || u32(e + 4) !== 1) return undefined;
    return u16(e + 8);
  }
  return 1;
}

/**
 * Reads a baseline/progressive JPEG's size and EXIF orientation from its marker segments, without decoding, so the
 * resize geometry can be computed without a separate libvips header read. Walks the segments up to the first scan
 * (where libvips stops reading markers too). Returns `undefined` for anything it does not fully understand (the
 * caller then asks libvips): not a JPEG, no or two SOF segments, a DNL height, more than one EXIF block, an
 * unreadable or out-of-range orientation.
 * @example
 * readJpegHeader(await readFile('dog.jpg')); // { width: 768, height: 576, orientation: 1 }
 */
export function readJpegHeader(b: Uint8Array): JpegHeader | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let p = 2;
  let orientation: number | undefined;
  let exifBlocks = 0;
  let sof: { width: number; height: number } | undefined;
  for (let n = 0; n < MAX_SEGMENTS; n++) {
    if (p + 4 > b.length || b[p] !== 0xff) return undefined;
    let marker = b[p + 1] as number;
    // Fill bytes: any number of 0xFF before the marker code.
    while (marker === 0xff && p + 2 < b.length) marker = b[++p + 1] as number;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xda) {
      // First scan: every segment libvips reads (APPn included) came before it.
      if (sof === undefined) return undefined;
      const o = orientation ?? 1;
      return o >= 1 && o <= 8 ? { ...sof, orientation: o } : undefined;
    }
    if (marker === 0xd9 || p + 4 > b.length) return undefined;
    const len = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
    const start = p + 4;
    const end = p + 2 + len;
    if (len < 2 || end > b.length) return undefined;
    if (
      marker === 0xe1 &&
      len >= 8 &&
      b[start] === 0x45 &&
      b[start + 1] === 0x78 &&
      b[start + 2] === 0x69 &&
      b[start + 3] === 0x66 &&
      b[start + 4] === 0 &&
      b[start + 5] === 0
    ) {
      exifBlocks++;
      orientation = exifOrientation(b, start, end);
      if (orientation === undefined || exifBlocks > 1) return undefined;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (len < 8 || sof !== undefined) return undefined;
      const height = ((b[start + 1] as number) << 8) | (b[start + 2] as number);
      const width = ((b[start + 3] as number) << 8) | (b[start + 4] as number);
      if (width === 0 || height === 0) return undefined;
      sof = { width, height };
    }
    p = end;
  }
  return undefined;
}
