import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVisionModel } from '../src/index.js';
import { images, models } from './fixtures/index.js';

/** Protobuf bytes of one length-delimited field. */
function lengthField(field: number, payload: Uint8Array): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return out;
  };
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(payload.length), ...payload]);
}

/** A ModelProto `metadata_props` entry (field 14: StringStringEntryProto { key = 1; value = 2 }). */
function metadataEntry(key: string, value: string): Uint8Array {
  const enc = new TextEncoder();
  return lengthField(14, Uint8Array.from([...lengthField(1, enc.encode(key)), ...lengthField(2, enc.encode(value))]));
}

// The real MobileNetV2 with Ultralytics classify metadata appended (repeated top-level protobuf fields may come
// in any order), so it loads as an Ultralytics classifier.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-ultralytics-cls-'));
  await mkdir(join(dir, 'meta'));
  const names = `{${Array.from({ length: 1000 }, (_, i) => `${i}: 'meta-${i}'`).join(', ')}}`;
  const model = Buffer.concat([
    await readFile(models.mobilenet),
    metadataEntry('task', 'classify'),
    metadataEntry('imgsz', '[224, 224]'),
    metadataEntry('names', names),
  ]);
  await writeFile(join(dir, 'classifier.onnx'), model);
  await writeFile(join(dir, 'labels.txt'), Array.from({ length: 1000 }, (_, i) => `file-${i}`).join('\n') + '\n');
});

describe('Ultralytics classifier labels', () => {
  it('resolves a relative labels file against the model folder, not the working directory', async () => {
    // Regression: the labels path was resolved against process.cwd().
    expect(relative(process.cwd(), dir)).not.toBe('');
    const model = await loadVisionModel(join(dir, 'classifier.onnx'), { labels: 'labels.txt' });
    try {
      expect(model.modelType).toBe('classification');
      expect(model.labels[0]).toBe('file-0');
      const { predictions } = await model.classify(images.graceHopper, { topK: 1 });
      expect(predictions[0]!.label).toMatch(/^file-\d+$/);
    } finally {
      await model.unload();
    }
  });

  it('reads the labels from the metadata without the option, and names a missing file', async () => {
    const model = await loadVisionModel(join(dir, 'classifier.onnx'));
    expect(model.labels[999]).toBe('meta-999');
    await model.unload();
    await expect(loadVisionModel(join(dir, 'classifier.onnx'), { labels: 'nope.txt' })).rejects.toMatchObject({
      code: 'ERR_RUN_MODEL_NOT_FOUND',
      details: { path: join(dir, 'nope.txt') },
    });
  });
});
