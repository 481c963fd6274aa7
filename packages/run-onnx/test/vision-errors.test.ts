import { copyFile, mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '../src/index.js';
import { images, models } from './fixtures/index.js';

let tmp: string;
let yolo: VisionBackend;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lp-vision-err-'));
  yolo = await loadVisionModel(models.yoloxNano, { intraOpThreads: 1 });
});
afterAll(() => yolo.unload());

describe('bad images give typed errors', () => {
  const cases: [string, Uint8Array | string][] = [
    ['empty bytes', new Uint8Array(0)],
    ['not an image', new TextEncoder().encode('hello, this is not a picture at all')],
    ['a missing file', '/nonexistent/dir/photo.jpg'],
  ];
  test.each(cases)('%s is ERR_RUN_IMAGE_DECODE', async (_name, input) => {
    await expect(yolo.detect(input)).rejects.toMatchObject({ code: 'ERR_RUN_IMAGE_DECODE' });
  });

  test('truncated and corrupt JPEGs', async () => {
    const jpeg = await readFile(images.dog);
    await expect(yolo.detect(jpeg.subarray(0, jpeg.length / 3))).rejects.toMatchObject({
      code: 'ERR_RUN_IMAGE_DECODE',
    });
    const corrupt = Buffer.from(jpeg);
    corrupt.fill(0x00, 0, 400); // SOI and the headers overwritten
    await expect(yolo.detect(corrupt)).rejects.toMatchObject({ code: 'ERR_RUN_IMAGE_DECODE' });
  });

  test('a decompression bomb (a small PNG declaring 48 megapixels) is ERR_RUN_IMAGE_TOO_LARGE', async () => {
    const bomb = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    await expect(yolo.detect(bomb)).rejects.toMatchObject({ code: 'ERR_RUN_IMAGE_TOO_LARGE' });
  });

  test('a batch with one bad image rejects with its error', async () => {
    await expect(yolo.batchDetect([images.dog, new Uint8Array([1, 2, 3])])).rejects.toMatchObject({
      code: 'ERR_RUN_IMAGE_DECODE',
    });
  });

  test('bad options are ERR_RUN_INVALID_ARGUMENT', async () => {
    await expect(yolo.detect(images.dog, { confidence: 2 })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
    await expect(yolo.detect(images.dog, { classes: [-1] })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
    await expect(yolo.batchDetect('dog.jpg' as never)).rejects.toMatchObject({ code: 'ERR_RUN_INVALID_ARGUMENT' });
  });
});

describe('models that cannot be recognised', () => {
  test('a missing path is ERR_RUN_MODEL_NOT_FOUND', async () => {
    await expect(loadVisionModel(join(tmp, 'nope.onnx'))).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND' });
  });

  test('a folder with nothing recognisable names what was looked for', async () => {
    const dir = join(tmp, 'empty');
    await mkdir(dir);
    await writeFile(join(dir, 'README.txt'), 'hi');
    const err = await loadVisionModel(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
    expect((err as Error).message).toMatch(/llama-pajamas\.json.*preprocessor_config\.json.*vision_model\.onnx/s);
  });

  test('a file that is not ONNX is ERR_RUN_MODEL_UNRECOGNIZED', async () => {
    const f = join(tmp, 'junk.onnx');
    await writeFile(f, 'definitely not protobuf');
    await expect(loadVisionModel(f)).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
  });

  test('a classifier without metadata or manifest asks for a manifest', async () => {
    // A copy on its own: tools/models/classification has a llama-pajamas.json beside the file.
    const bare = join(tmp, 'bare-mobilenet.onnx');
    await copyFile(models.mobilenet, bare);
    const err = await loadVisionModel(bare, { intraOpThreads: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
    expect((err as Error).message).toMatch(/llama-pajamas\.json/);
  });

  test('a manifest with a bad field is ERR_RUN_MODEL_UNRECOGNIZED naming it', async () => {
    const err = await loadVisionModel(models.mobilenet, {
      manifest: { task: 'classify', activation: 'relu' } as never,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RUN_MODEL_UNRECOGNIZED' });
    expect((err as Error).message).toMatch(/"activation"/);
  });

  test('a manifest naming a missing output is ERR_RUN_MODEL_OUTPUT_MISMATCH', async () => {
    await expect(
      loadVisionModel(models.mobilenet, {
        manifest: { task: 'classify', output: 'logits', input: { width: 224, height: 224 } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_OUTPUT_MISMATCH' });
  });
});

describe('load / unload', () => {
  test('unloaded backends reject with ERR_RUN_MODEL_NOT_LOADED and load() brings them back', async () => {
    const m = await loadVisionModel(models.yoloxNano, { intraOpThreads: 1 });
    expect(m.isLoaded).toBe(true);
    await m.unload();
    expect(m.isLoaded).toBe(false);
    await expect(m.detect(images.dog)).rejects.toMatchObject({ code: 'ERR_RUN_MODEL_NOT_LOADED' });
    await Promise.all([m.load(), m.load()]);
    expect((await m.detect(images.dog)).detections[0]!.label).toBe('dog');
    await m.unload();
    await m.unload();
  });
});
