import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VisionManifest } from '@llama-pajamas/run-core';
import { hfPreprocessSpec, type HfImageProcessorConfig } from '@llama-pajamas/run-core/families';

/** Families the converters handle. */
export type ConvertFamily = 'yolo' | 'classifier' | 'clip' | 'whisper';

/** One converted file and what its spec says. */
export interface ConvertedFile {
  file: string;
  precision?: string;
  quantize?: string | null;
  target?: string;
  inputs: { name: string; dtype?: string; shape?: (number | string)[] }[];
  outputs: { name: string; dtype?: string; shape?: (number | string)[] }[];
  states?: { name: string; dtype?: string; shape?: number[] }[];
  specificationVersion?: number;
}

/** Parity figures of one comparison (keys depend on the task; see docs/converters.md). */
export type ParityFigures = Record<string, unknown> & { passed?: boolean };

/** The `conversion` block the converters add to `llama-pajamas.json` (run-core's vision loader ignores it). */
export interface ConversionInfo {
  schema: number;
  family: 'yolo' | 'hf-classifier' | 'clip' | 'whisper';
  precision: 'fp16' | 'fp32';
  quantize: string | null;
  /** Per runtime: the file (single-model families) or one entry per part (`vision_model`, `encoder_model` …). */
  runtimes: {
    coreml: ConvertedFile | Record<string, ConvertedFile>;
    onnx?: Record<string, ConvertedFile> | Record<string, Record<string, ConvertedFile>>;
  };
  source: { path: string; revision?: string; repo?: string; sha256?: string; weights?: string };
  versions: Record<string, string>;
  parity: { inputs: string[]; onnx: ParityFigures | Record<string, ParityFigures>; coreml: string; reference: string };
  fallback?: { from: string; reason: string; figures: unknown };
  createdAt: string;
  [extra: string]: unknown;
}

/** `llama-pajamas.json` as the converters write it: a vision manifest (or a `transcribe` task) + `conversion`. */
export type ConvertedManifest = (Omit<VisionManifest, 'task'> & { task: VisionManifest['task'] | 'transcribe' }) & {
  conversion: ConversionInfo;
};

/**
 * Fills a converted Hugging Face classifier's `input` from its `preprocessor_config.json` with run-core's own
 * reading of it, so the manifest preprocesses exactly as the Hugging Face folder loader would.
 */
export async function completeManifest(out: string, manifest: ConvertedManifest): Promise<ConvertedManifest> {
  if (manifest.conversion.inputFrom !== 'preprocessor_config.json') return manifest;
  const config = JSON.parse(await readFile(join(out, 'preprocessor_config.json'), 'utf8')) as HfImageProcessorConfig;
  const spec = hfPreprocessSpec(config, join(out, 'preprocessor_config.json'));
  const completed: ConvertedManifest = {
    ...manifest,
    input: { ...spec, name: manifest.input?.name ?? 'pixel_values' },
  };
  await writeFile(join(out, 'llama-pajamas.json'), `${JSON.stringify(completed, null, 2)}\n`);
  return completed;
}
