import type { Command } from 'commander';
import type { DetectionResult } from '@llama-pajamas/run-core';
import sharp from 'sharp';
import { EXIT_CODES_HELP, withExitCodes } from '../exit-codes.js';
import { dtypeOption, MODEL_HELP, numberOption, readInput, resolveTaskModel, writeOutput } from './one-shot.js';
import { addRuntimeOptions, loadForCommand, type RuntimeFlags } from './runtime-flags.js';

interface DetectFlags extends RuntimeFlags {
  model?: string;
  dtype?: 'fp32' | 'fp16' | 'int8';
  confidence?: number;
  iou?: number;
  maxDetections?: number;
  annotate?: string;
  json?: boolean;
}

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An SVG the size of the image with one labelled box per detection. */
export function detectionsSvg(result: DetectionResult): string {
  const { imageWidth: w, imageHeight: h } = result;
  const stroke = Math.max(2, Math.round(Math.min(w, h) / 200));
  const font = Math.max(12, Math.round(Math.min(w, h) / 30));
  const boxes = result.detections.map((d, i) => {
    const color = COLORS[d.classId % COLORS.length] ?? COLORS[i % COLORS.length]!;
    const { x1, y1, x2, y2 } = d.box;
    const label = `${escapeXml(d.label)} ${d.confidence.toFixed(2)}`;
    const ty = y1 > font + 4 ? y1 - 4 : y1 + font + 2;
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<rect x="${x1}" y="${ty - font}" width="${Math.round(label.length * font * 0.6)}" height="${font + 4}" fill="${color}"/>` +
      `<text x="${x1 + 2}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="#fff">${label}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${boxes.join('')}</svg>`;
}

/** Registers `llama-pajamas detect <image|URL>`. */
export function registerDetectCommand(program: Command): void {
  const cmd = program
    .command('detect')
    .argument('<image>', 'an image file or an http(s) URL (JPEG, PNG, WebP, GIF, TIFF, AVIF)')
    .description('Find objects in an image: one line per object (label, confidence, x1 y1 x2 y2 in image pixels).')
    .option('--model <ref>', MODEL_HELP)
    .option('--dtype <dtype>', 'weights precision of a catalog or hub model (fp32, fp16, int8)', dtypeOption)
    .option('--confidence <n>', 'minimum confidence, 0-1 (default 0.25)', numberOption('confidence', 0, 1))
    .option('--iou <n>', 'NMS IoU threshold, 0-1', numberOption('iou', 0, 1))
    .option('--max-detections <n>', 'most objects returned', numberOption('max-detections', 1, 10_000))
    .option('--annotate <out>', 'write a copy of the image with labelled boxes (format from the extension)')
    .option('--json', 'print the full result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas detect street.jpg                               # default model (yolox-nano)
  llama-pajamas detect https://example.com/dog.jpg --confidence 0.5 --annotate dog-boxes.jpg
  llama-pajamas detect photo.png --model ./yolo11n.onnx --json | jq '.detections[].label'${EXIT_CODES_HELP}`,
    );
  addRuntimeOptions(cmd).action(
    withExitCodes(cmd, async (image: string, flags: DetectFlags) => {
      const bytes = await readInput(image);
      const model = await resolveTaskModel('detect', flags.model, flags.dtype);
      const backend = await loadForCommand('vision', model.path, { task: 'detect', modelId: model.name }, flags);
      try {
        const result = await backend.detect(bytes, {
          confidence: flags.confidence,
          iou: flags.iou,
          maxDetections: flags.maxDetections,
        });
        if (flags.annotate) {
          const svg = Buffer.from(detectionsSvg(result));
          await sharp(bytes)
            .rotate()
            .composite([{ input: svg, top: 0, left: 0 }])
            .toFile(flags.annotate);
        }
        if (flags.json) {
          await writeOutput(undefined, `${JSON.stringify({ model: model.name, ...result }, null, 2)}\n`);
          return;
        }
        const lines = result.detections.map(
          (d) =>
            `${d.label} ${d.confidence.toFixed(2)} ${Math.round(d.box.x1)} ${Math.round(d.box.y1)} ${Math.round(d.box.x2)} ${Math.round(d.box.y2)}`,
        );
        await writeOutput(undefined, lines.length > 0 ? `${lines.join('\n')}\n` : '');
      } finally {
        await backend.unload();
      }
    }),
  );
}
