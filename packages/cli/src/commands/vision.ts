import { readFile } from 'node:fs/promises';
import type { DetectionResult, VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import { InvalidArgumentError, type Command } from 'commander';
import sharp from 'sharp';
import { emit, json, numberOption, readInput, sessionOptions, withCommonOptions } from './one-shot.js';

interface VisionFlags {
  model: string;
  json?: boolean;
  threads?: number;
}

async function withVisionModel<T>(flags: VisionFlags, run: (model: VisionBackend) => Promise<T>): Promise<T> {
  const model = await loadVisionModel(flags.model, sessionOptions(flags));
  try {
    return await run(model);
  } finally {
    await model.unload();
  }
}

/** Class ids for comma-separated label names (or ids), naming the model's labels when one is unknown. */
function classIds(model: VisionBackend, names: string): number[] {
  return names.split(',').map((raw) => {
    const name = raw.trim();
    if (/^\d+$/.test(name)) return Number(name);
    const id = model.labels.indexOf(name);
    if (id < 0) {
      throw new InvalidArgumentError(
        `--classes: '${name}' is not a label of this model (it has: ${model.labels.slice(0, 12).join(', ')}${model.labels.length > 12 ? ', …' : ''}).`,
      );
    }
    return id;
  });
}

/** Escapes text for an SVG text node or attribute. */
function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Draws labelled boxes over the image (an SVG composited by sharp) and writes it; the format follows the file
 * extension (jpg, png, webp…).
 */
export async function annotateImage(input: string | Uint8Array, result: DetectionResult, out: string): Promise<void> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  const image = sharp(bytes).rotate();
  // Boxes are in the EXIF-oriented image's pixels, which is what rotate() gives.
  const { imageWidth: width, imageHeight: height } = result;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const palette = ['#ff3b30', '#34c759', '#0a84ff', '#ff9f0a', '#bf5af2', '#64d2ff', '#ffd60a', '#ff375f'];
  const shapes = result.detections.map((d, i) => {
    const color = palette[(d.classId ?? i) % palette.length] as string;
    const { x1, y1, x2, y2 } = d.box;
    const label = `${d.label ?? d.classId} ${(d.confidence * 100).toFixed(0)}%`;
    const ty = y1 > font + 4 ? y1 - 4 : y1 + font + 2;
    return (
      `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<rect x="${x1}" y="${ty - font}" width="${(label.length * font * 0.6).toFixed(0)}" height="${font + 4}" fill="${color}"/>` +
      `<text x="${x1 + 2}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="#fff">${xml(label)}</text>`
    );
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  await image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).toFile(out);
}

/** `llama-pajamas detect <image>`: objects with boxes; `--annotate out.jpg` draws them. */
export function registerDetectCommand(program: Command): void {
  withCommonOptions(
    program
      .command('detect <image>')
      .description('Detect objects in an image (a file path or an http(s) URL).')
      .option(
        '--confidence <p>',
        'lowest confidence kept (default: the model’s, 0.25)',
        numberOption('--confidence', 0, 1),
      )
      .option('--iou <p>', 'NMS IoU threshold (default 0.45)', numberOption('--iou', 0, 1))
      .option('--classes <names>', 'keep only these labels, comma-separated (e.g. person,dog)')
      .option('--annotate <file>', 'also write the image with labelled boxes drawn on it (jpg, png, webp)'),
    'the detector: a YOLO/YOLOX .onnx file or a model folder',
  )
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas detect photo.jpg -m yolox_nano.onnx
  llama-pajamas detect https://example.com/street.jpg -m yolox_nano.onnx --classes person,car --json
  llama-pajamas detect photo.jpg -m yolox_nano.onnx --annotate boxes.jpg`,
    )
    .action(
      async (
        image: string,
        flags: VisionFlags & { confidence?: number; iou?: number; classes?: string; annotate?: string },
      ) => {
        const input = await readInput(image);
        const result = await withVisionModel(flags, (m) =>
          m.detect(input, {
            ...(flags.confidence !== undefined ? { confidence: flags.confidence } : {}),
            ...(flags.iou !== undefined ? { iou: flags.iou } : {}),
            ...(flags.classes ? { classes: classIds(m, flags.classes) } : {}),
          }),
        );
        if (flags.annotate) await annotateImage(input, result, flags.annotate);
        if (flags.json) return emit(json(result));
        const lines = result.detections.map(
          (d) =>
            `${(d.label ?? String(d.classId)).padEnd(16)} ${d.confidence.toFixed(2)}  [${[d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => Math.round(v)).join(', ')}]`,
        );
        return emit(lines.length > 0 ? lines.join('\n') : 'no objects found');
      },
    );
}

/** `llama-pajamas classify <image>`: top-k labels; `--labels a,b` for zero-shot with a CLIP model. */
export function registerClassifyCommand(program: Command): void {
  withCommonOptions(
    program
      .command('classify <image>')
      .description('Classify an image; with a CLIP model and --labels, zero-shot over your own labels.')
      .option('-k, --top-k <n>', 'how many labels to print (default 5)', numberOption('--top-k', 1, 1000))
      .option('--labels <labels>', 'zero-shot labels for a CLIP model, comma-separated (e.g. "a cat,a dog")'),
    'the classifier: an image-classification model folder, a .onnx with a manifest, or a CLIP folder',
  )
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas classify photo.jpg -m mobilenetv2/
  llama-pajamas classify photo.jpg -m clip-vit-base-patch32/ --labels "a cat,a dog,a car" --json`,
    )
    .action(async (image: string, flags: VisionFlags & { topK?: number; labels?: string }) => {
      const input = await readInput(image);
      const result = await withVisionModel(flags, (m) =>
        m.classify(input, {
          topK: flags.topK ?? 5,
          ...(flags.labels ? { labels: flags.labels.split(',').map((l) => l.trim()) } : {}),
        }),
      );
      if (flags.json) return emit(json(result));
      return emit(result.predictions.map((p) => `${p.score.toFixed(3)}  ${p.label}`).join('\n'));
    });
}

/** `llama-pajamas embed <image>` or `--text "…"`: an embedding vector. */
export function registerEmbedCommand(program: Command): void {
  withCommonOptions(
    program
      .command('embed [image]')
      .description('Embed an image (or, with a CLIP model, a text) as a vector.')
      .option('--text <text>', 'embed this text instead of an image (CLIP models)'),
    'the embedder: a CLIP folder or an image model with an embedding output',
  )
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas embed photo.jpg -m clip-vit-base-patch32/ --json > photo.json
  llama-pajamas embed --text "a dog on a bicycle" -m clip-vit-base-patch32/`,
    )
    .action(async (image: string | undefined, flags: VisionFlags & { text?: string }) => {
      if ((image === undefined) === (flags.text === undefined)) {
        program.error('embed needs an image or --text (one of them).', { exitCode: 2 });
      }
      const input = flags.text !== undefined ? { text: flags.text } : await readInput(image as string);
      const result = await withVisionModel(flags, (m) => m.embed(input));
      if (flags.json) return emit(json({ ...result, embedding: Array.from(result.embedding) }));
      const head = Array.from(result.embedding.slice(0, 8), (v) => v.toFixed(4)).join(', ');
      return emit(`${result.embedding.length} dims${result.normalized ? ' (L2-normalised)' : ''}: [${head}, …]`);
    });
}
