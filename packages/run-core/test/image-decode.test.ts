import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64,
  decodeImage,
  isRunError,
  preprocessImage,
  readImageBytes,
  type ImagePreprocessSpec,
} from '../src/index.js';
import { golden, images } from './fixtures/index.js';

const spec: ImagePreprocessSpec = {
  width: 64,
  height: 64,
  resize: 'letterbox',
  channelOrder: 'rgb',
  layout: 'chw',
  scale: 1 / 255,
};

/** Resolves to the error's code (or fails the test when nothing is thrown). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isRunError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** A valid 1x1 PNG whose IHDR claims width x height (CRC left stale: the header size is read first). */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

let dir = '';
const dogBytes = readFileSync(images.dog);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-core-image-'));
});

describe('readImageBytes: every input form', () => {
  it('reads bytes, a path, { base64 } (standard, URL-safe) and { dataUrl } to the same bytes', async () => {
    const b64 = dogBytes.toString('base64');
    for (const input of [
      new Uint8Array(dogBytes),
      images.dog,
      { base64: b64 },
      { base64: `${b64.slice(0, 100)}\n${b64.slice(100)}` },
      { base64: dogBytes.toString('base64url') },
      { dataUrl: `data:image/jpeg;base64,${b64}` },
      { dataUrl: `  data:image/jpeg;base64,${b64.slice(0, 100)}\n${b64.slice(100)}  ` },
    ]) {
      const bytes = await readImageBytes(input);
      expect(Buffer.compare(Buffer.from(bytes), dogBytes)).toBe(0);
    }
  });

  it('gives the same tensor for a path and a data: URL', async () => {
    const a = await preprocessImage(images.dog, spec);
    const b = await preprocessImage({ dataUrl: `data:image/jpeg;base64,${dogBytes.toString('base64')}` }, spec);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('refuses empty input, a missing file, bad base64, a non-base64 data: URL, a directory', async () => {
    expect(await codeOf(readImageBytes(new Uint8Array(0)))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes(''))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes('/no/such/dir/photo.jpg'))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes({ base64: 'not base64 at all!' }))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes({ base64: '' }))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes({ dataUrl: 'data:image/png,abc' }))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes({ dataUrl: 'data:image/png;base64' }))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes({ dataUrl: 'aGVsbG8=' }))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(readImageBytes(dir))).toBe('ERR_RUN_IMAGE_DECODE');
    await expect(readImageBytes('/no/such/dir/photo.jpg')).rejects.toThrowErrorMatchingInlineSnapshot(
      `[ImageDecodeError: No image file at "/no/such/dir/photo.jpg". Check the path (relative paths resolve against ${process.cwd()}); to pass encoded text, use { base64 } or { dataUrl }.]`,
    );
  });

  it('reads a string as a path, always: base64 text and data: URLs in a string are never decoded', async () => {
    // Regression for the guessing resolver: a user's string passed through must not be decoded or read as
    // something else; it is a file name (here one that does not exist) and nothing more.
    const b64 = dogBytes.toString('base64');
    for (const text of [b64, `data:image/jpeg;base64,${b64}`, 'aGVsbG8=']) {
      await expect(readImageBytes(text)).rejects.toMatchObject({
        code: 'ERR_RUN_IMAGE_DECODE',
        details: { reason: 'file-not-found' },
      });
    }
    // A file whose name looks like base64 is read as a file.
    await writeFile(join(dir, 'aGVsbG8='), dogBytes);
    expect((await readImageBytes(join(dir, 'aGVsbG8='))).byteLength).toBe(dogBytes.byteLength);
  });

  it('refuses an object that is neither { base64 } nor { dataUrl }', async () => {
    expect(await codeOf(readImageBytes({ base64: 'aGVsbG8=', dataUrl: 'x' }))).toBe('ERR_RUN_INVALID_ARGUMENT');
    expect(await codeOf(readImageBytes({ url: 'https://x' } as never))).toBe('ERR_RUN_INVALID_ARGUMENT');
    expect(await codeOf(readImageBytes(null as never))).toBe('ERR_RUN_INVALID_ARGUMENT');
  });

  it('refuses bytes past maxBytes, for every input form', async () => {
    const limits = { maxBytes: 1000 };
    expect(await codeOf(readImageBytes(dogBytes, limits))).toBe('ERR_RUN_IMAGE_TOO_LARGE');
    expect(await codeOf(readImageBytes(images.dog, limits))).toBe('ERR_RUN_IMAGE_TOO_LARGE');
    expect(await codeOf(readImageBytes({ base64: dogBytes.toString('base64') }, limits))).toBe(
      'ERR_RUN_IMAGE_TOO_LARGE',
    );
    expect(
      await codeOf(readImageBytes({ dataUrl: `data:image/jpeg;base64,${dogBytes.toString('base64')}` }, limits)),
    ).toBe('ERR_RUN_IMAGE_TOO_LARGE');
  });

  it('refuses a non-image argument and bad limits with ERR_RUN_INVALID_ARGUMENT', async () => {
    expect(await codeOf(readImageBytes(42 as unknown as string))).toBe('ERR_RUN_INVALID_ARGUMENT');
    expect(await codeOf(readImageBytes(dogBytes, { maxPixels: -1 }))).toBe('ERR_RUN_INVALID_ARGUMENT');
  });
});

describe('decodeBase64 (the one base64 / data: URL decoder)', () => {
  it('decodes padded, unpadded, URL-safe, wrapped base64 and data: URLs alike', () => {
    const bytes = Uint8Array.from({ length: 301 }, (_, i) => (i * 97) & 255);
    const b64 = Buffer.from(bytes).toString('base64');
    for (const text of [
      b64,
      b64.replace(/=+$/, ''),
      Buffer.from(bytes).toString('base64url'),
      b64.replace(/(.{76})/g, '$1\r\n'),
      `data:application/octet-stream;base64,${b64}`,
    ]) {
      expect(Buffer.compare(Buffer.from(decodeBase64(text)), Buffer.from(bytes)), text.slice(0, 20)).toBe(0);
    }
  });

  it('checks the limit on the decoded size, and never accepts a string with stray characters', () => {
    const b64 = Buffer.alloc(300, 7).toString('base64'); // 400 characters, exactly 300 bytes
    expect(decodeBase64(b64, { maxBytes: 300 }).byteLength).toBe(300);
    expect(() => decodeBase64(b64, { maxBytes: 299 })).toThrowError(
      expect.objectContaining({ code: 'ERR_RUN_IMAGE_TOO_LARGE' }),
    );
    // Same length as valid padded base64, but with a character Node's decoder would silently skip.
    expect(() => decodeBase64(`${b64.slice(0, 10)}*${b64.slice(11)}`)).toThrowError(
      expect.objectContaining({
        code: 'ERR_RUN_IMAGE_DECODE',
        details: expect.objectContaining({ reason: 'not-base64' }),
      }),
    );
  });
});

describe('decoding refuses what is not a whole image', () => {
  it('random bytes, a text file and a truncated JPEG give ERR_RUN_IMAGE_DECODE', async () => {
    const random = new Uint8Array(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    expect(await codeOf(preprocessImage(random, spec))).toBe('ERR_RUN_IMAGE_DECODE');
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'this is a text file, not an image\n');
    expect(await codeOf(preprocessImage(text, spec))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(preprocessImage(dogBytes.subarray(0, dogBytes.length >> 1), spec))).toBe(
      'ERR_RUN_IMAGE_DECODE',
    );
    expect(await codeOf(preprocessImage(dogBytes.subarray(0, 300), spec))).toBe('ERR_RUN_IMAGE_DECODE');
    expect(await codeOf(decodeImage(dogBytes.subarray(0, dogBytes.length >> 1)))).toBe('ERR_RUN_IMAGE_DECODE');
  });

  it('refuses a decompression bomb (PNG header claiming 100000x100000) fast, without allocating it', async () => {
    const bomb = await pngClaiming(100_000, 100_000);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    expect(await codeOf(preprocessImage(bomb, spec))).toBe('ERR_RUN_IMAGE_TOO_LARGE');
    expect(await codeOf(decodeImage(bomb))).toBe('ERR_RUN_IMAGE_TOO_LARGE');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('applies limits.maxPixels below sharp’s own limit', async () => {
    const png = await pngClaiming(5000, 5000); // 25 MP: under 40 MP default, over a 1 MP limit
    expect(await codeOf(preprocessImage(png, spec, { limits: { maxPixels: 1_000_000 } }))).toBe(
      'ERR_RUN_IMAGE_TOO_LARGE',
    );
    expect(await codeOf(preprocessImage(images.dog, spec, { limits: { maxPixels: 768 * 576 - 1 } }))).toBe(
      'ERR_RUN_IMAGE_TOO_LARGE',
    );
    await expect(preprocessImage(images.dog, spec, { limits: { maxPixels: 768 * 576 } })).resolves.toBeDefined();
  });

  it('refuses bad spec values with ERR_RUN_INVALID_ARGUMENT naming the field', async () => {
    const bad: Partial<ImagePreprocessSpec>[] = [
      { width: 0 },
      { height: 1.5 },
      { resize: 'squash' as never },
      { channelOrder: 'rbg' as never },
      { layout: 'nchw' as never },
      { scale: Number.NaN },
      { std: [1, 0, 1] },
      { mean: [1, 2] as never },
      { padValue: 300 },
      { resample: 'area' as never },
      { letterboxAlign: 'bottom' as never },
    ];
    for (const b of bad) {
      const err = await preprocessImage(images.dog, { ...spec, ...b }).catch((e: unknown) => e);
      expect(isRunError(err, 'ERR_RUN_INVALID_ARGUMENT'), JSON.stringify(b)).toBe(true);
      expect((err as Error).message).toContain(`spec.${Object.keys(b)[0]}`);
    }
    const target = new Float32Array(10);
    expect(await codeOf(preprocessImage(images.dog, spec, { target }))).toBe('ERR_RUN_INVALID_ARGUMENT');
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(preprocessImage(images.dog, spec, { signal: ac.signal }))).toBe('ERR_RUN_ABORTED');
  });
});

describe('EXIF orientation and pixel formats', () => {
  it('applies EXIF orientation 6 from the committed fixture (96x72 stored, 72x96 shown)', async () => {
    const d = await decodeImage(golden.oriented6Jpeg);
    expect([d.width, d.height]).toEqual([72, 96]);
    expect([d.width, d.height]).toEqual(doc().oriented.displaySize);
    const r = await preprocessImage(golden.oriented6Jpeg, { ...spec, width: 72, height: 96, resize: 'stretch' });
    expect([r.sourceWidth, r.sourceHeight]).toEqual([72, 96]);
    // Direction check: top-left and bottom-right quadrant means match PIL's exif_transpose within 2 levels.
    const q = (x0: number, y0: number): number => {
      let s = 0;
      for (let y = y0; y < y0 + 48; y++)
        for (let x = x0; x < x0 + 36; x++) for (let c = 0; c < 3; c++) s += d.data[(y * 72 + x) * 3 + c] as number;
      return s / (48 * 36 * 3);
    };
    expect(Math.abs(q(0, 0) - doc().oriented.quadrantMeans[0]!)).toBeLessThan(2);
    expect(Math.abs(q(36, 48) - doc().oriented.quadrantMeans[1]!)).toBeLessThan(2);
  });

  it('swaps width and height for an orientation-6 JPEG made with sharp', async () => {
    const rotated = await sharp(dogBytes).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const r = await preprocessImage(rotated, spec);
    expect([r.sourceWidth, r.sourceHeight]).toEqual([576, 768]);
    expect(r.transform.padX).toBeGreaterThan(0); // portrait now: padded left/right
  });

  it('greyscale, RGBA, 16-bit and CMYK inputs come out as 3-channel RGB', async () => {
    const base = await sharp(dogBytes).resize(64, 48).raw().toBuffer();
    const ref = await preprocessImage(
      await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
        .png()
        .toBuffer(),
      {
        ...spec,
        resize: 'stretch',
        width: 64,
        height: 48,
      },
    );
    const s = { ...spec, resize: 'stretch', width: 64, height: 48 } as const;
    const plane = 64 * 48;
    const meanAbs = (a: Float32Array, b: Float32Array): number => {
      let t = 0;
      for (let i = 0; i < a.length; i++) t += Math.abs((a[i] as number) - (b[i] as number));
      return (t / a.length) * 255;
    };
    // greyscale: three equal planes
    const grey = await preprocessImage(
      await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
        .greyscale()
        .toColourspace('b-w')
        .png()
        .toBuffer(),
      s,
    );
    expect(
      (
        await sharp(
          await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
            .greyscale()
            .toColourspace('b-w')
            .png()
            .toBuffer(),
        ).metadata()
      ).channels,
    ).toBe(1);
    for (let i = 0; i < plane; i += 7) {
      expect(grey.data[i]).toBe(grey.data[plane + i]);
      expect(grey.data[i]).toBe(grey.data[2 * plane + i]);
    }
    // 16-bit PNG: within one level of the 8-bit image
    const png16 = await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    expect(meanAbs((await preprocessImage(png16, s)).data, ref.data)).toBeLessThan(1);
    // opaque RGBA: identical; fully transparent: the alpha background (black by default, white on request)
    const rgba = await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
      .ensureAlpha(1)
      .png()
      .toBuffer();
    expect(meanAbs((await preprocessImage(rgba, s)).data, ref.data)).toBe(0);
    const clear = await sharp({
      create: { width: 8, height: 8, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const s8 = { ...s, width: 8, height: 8 };
    expect(Array.from(new Set((await preprocessImage(clear, s8)).data))).toEqual([0]);
    expect(
      Array.from(new Set((await preprocessImage(clear, { ...s8, alphaBackground: [255, 255, 255] })).data)),
    ).toEqual([1]);
    // CMYK JPEG: converted back to sRGB, close to the source (lossy JPEG + colour conversion)
    const cmyk = await sharp(base, { raw: { width: 64, height: 48, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 95 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect(meanAbs((await preprocessImage(cmyk, s)).data, ref.data)).toBeLessThan(8);
  });
});

let cached: { oriented: { displaySize: [number, number]; quadrantMeans: number[] } } | undefined;
function doc(): { oriented: { displaySize: [number, number]; quadrantMeans: number[] } } {
  cached ??= JSON.parse(readFileSync(golden.imagePost, 'utf8')) as typeof cached;
  return cached!;
}
