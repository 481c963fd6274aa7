import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { preprocessImage, type ImagePreprocessSpec } from '../src/index.js';
import { readJpegHeader } from '../src/image/jpeg-header.js';
import { golden, images } from './fixtures/index.js';

/** What libvips itself says (size before orientation, orientation 1 when absent). */
async function vips(bytes: Uint8Array): Promise<{ width: number; height: number; orientation: number }> {
  const m = await sharp(bytes).metadata();
  return { width: m.width, height: m.height, orientation: m.orientation ?? 1 };
}

/** A JPEG made of SOI, one APP1 Exif block (big- or little-endian IFD0 with one Orientation entry), SOF0, SOS. */
function syntheticJpeg(orientation: number, bigEndian: boolean, type = 3): Uint8Array {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const w16 = (v: number, o: number): number => (bigEndian ? tiff.writeUInt16BE(v, o) : tiff.writeUInt16LE(v, o));
  const w32 = (v: number, o: number): number => (bigEndian ? tiff.writeUInt32BE(v, o) : tiff.writeUInt32LE(v, o));
  tiff.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  w16(42, 2);
  w32(8, 4);
  w16(1, 8);
  w16(0x0112, 10);
  w16(type, 12);
  w32(1, 14);
  w16(orientation, 18);
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 255]), exif]);
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, 0x01, 0x2c, 0x02, 0x58, 1, 1, 0x11, 0]); // 600 wide, 300 high
  const sos = Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof, sos, Buffer.from([0xff, 0xd9])]);
}

describe('readJpegHeader (marker walk used instead of a second libvips header read)', () => {
  it('agrees with libvips on every media photo, progressive, greyscale and all 8 EXIF orientations', async () => {
    const dog = readFileSync(images.dog);
    const inputs: Uint8Array[] = [
      dog,
      readFileSync(images.kite),
      readFileSync(images.graceHopper),
      readFileSync(golden.oriented6Jpeg),
      await sharp(dog).jpeg({ progressive: true }).toBuffer(),
      await sharp(dog).greyscale().jpeg().toBuffer(),
    ];
    for (let o = 1; o <= 8; o++) inputs.push(await sharp(dog).withMetadata({ orientation: o }).jpeg().toBuffer());
    for (const bytes of inputs) expect(readJpegHeader(bytes)).toEqual(await vips(bytes));
  });

  it('reads big- and little-endian EXIF orientation', () => {
    expect(readJpegHeader(syntheticJpeg(6, true))).toEqual({ width: 600, height: 300, orientation: 6 });
    expect(readJpegHeader(syntheticJpeg(8, false))).toEqual({ width: 600, height: 300, orientation: 8 });
  });

  it('gives up (so libvips is asked) on what it does not fully understand', async () => {
    const dog = readFileSync(images.dog);
    expect(readJpegHeader(syntheticJpeg(0, true))).toBeUndefined(); // orientation out of range
    expect(readJpegHeader(syntheticJpeg(9, false))).toBeUndefined();
    expect(readJpegHeader(syntheticJpeg(6, true, 4))).toBeUndefined(); // LONG instead of SHORT
    expect(readJpegHeader(dog.subarray(0, 300))).toBeUndefined(); // truncated before the first scan
    expect(readJpegHeader(await sharp(dog).png().toBuffer())).toBeUndefined();
    expect(readJpegHeader(new Uint8Array([0xff, 0xd8]))).toBeUndefined();
    expect(readJpegHeader(new Uint8Array(0))).toBeUndefined();
  });

  it('preprocessImage gives the same geometry and pixels (within one level) through the marker walk as through libvips metadata (PNG copy)', async () => {
    const spec: ImagePreprocessSpec = {
      width: 64,
      height: 64,
      resize: 'letterbox',
      channelOrder: 'rgb',
      layout: 'chw',
      scale: 1 / 255,
    };
    const rotated = await sharp(readFileSync(images.dog))
      .resize(96, 72)
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    // The PNG copy is decoded from the JPEG by libvips (orientation applied), so both paths see the same pixels.
    const png = await sharp(rotated, { autoOrient: true }).png().toBuffer();
    const a = await preprocessImage(rotated, spec);
    const b = await preprocessImage(png, spec);
    expect([a.sourceWidth, a.sourceHeight]).toEqual([72, 96]);
    expect(a.transform).toEqual(b.transform);
    // libvips resizes the oriented JPEG in its stored orientation, so pixels may differ by one 8-bit level.
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i]! - b.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1.01 / 255);
  });
});
