import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelNotFoundError, ModelOutputMismatchError } from '../../errors.js';
import type { LoaderOptions } from '../../loaders/options.js';
import type { LoaderRuntime } from '../../loaders/runtime.js';
import type { ImageLimits } from '../../image/decode.js';
import type { InferenceSession } from '../../session.js';
import type { TensorInfo } from '../../tensor.js';
import type { VisionCapabilities } from '../../backends/vision-backend.js';
import type { VisionModelType } from '../../types/vision.js';
import type { BatchMode } from './run-images.js';
import type { DetectionHead } from './head-layouts.js';
import type { VisionPipelines } from './family-backend.js';
import type { VisionManifest, VisionTask } from './manifest.js';

/** Options of run-core's `loadVisionModel`: the common {@link LoaderOptions} plus the vision family's own. */
export interface VisionLoaderOptions extends LoaderOptions {
  /** What to use the model for when the files do not say (a manifest's `task`). */
  readonly task?: VisionTask;
  /** Detection head layout, overriding recognition (e.g. `yolox` for a YOLOX model without metadata). */
  readonly family?: DetectionHead;
  /** Labels (index = class id), or the path of a text file with one per line (relative to the model's folder). */
  readonly labels?: readonly string[] | string;
  /** Default detection confidence (0.25), NMS IoU (0.45) and most detections (300). */
  readonly confidence?: number;
  readonly iou?: number;
  readonly maxDetections?: number;
  /** `auto` (default): `batch*` calls run one batched inference when the model has a dynamic batch dim. */
  readonly batch?: BatchMode;
  /** A manifest given inline instead of a `llama-pajamas.json` file (paths relative to the model's folder). */
  readonly manifest?: VisionManifest;
  /** Image size limits (default 40 MP, 50 MiB). */
  readonly limits?: ImageLimits;
  /** CLIP: multiplier of cosine similarity in zero-shot (default: measured from a combined graph, else 100). */
  readonly logitScale?: number;
  /** CLIP zero-shot prompt, `{}` = label (default `'This is a photo of {}.'`). */
  readonly hypothesisTemplate?: string;
}

/** What one build of a vision model needs: the runtime, the caller's options and the model's id. */
export interface VisionBuildContext {
  readonly runtime: LoaderRuntime;
  readonly options: VisionLoaderOptions;
  readonly modelId: string;
}

/** The pipelines of a model and what the backend reports about it. */
export interface BuiltVisionModel {
  pipelines: VisionPipelines;
  modelType: VisionModelType;
  labels: readonly string[];
  capabilities: VisionCapabilities;
}

/** Reads labels given inline, or from a text file (one per line) resolved against the model's folder. */
export async function readLabels(labels: readonly string[] | string, modelDir: string): Promise<string[]> {
  if (typeof labels !== 'string') return [...labels];
  const path = resolve(modelDir, labels);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelNotFoundError({ path, what: 'labels file', reason: (e as Error).message }, { cause: e });
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The image input of a session: the named one, else the first 4-D input. */
export function imageInput(session: InferenceSession, model: string, name?: string): TensorInfo {
  const info = name ? session.inputs.find((i) => i.name === name) : session.inputs.find((i) => i.dims.length === 4);
  if (!info) {
    throw new ModelOutputMismatchError(
      {
        model,
        found: `its inputs are ${session.inputs.map((i) => `${i.name} [${i.dims.join(', ')}]`).join(', ')}`,
        expected: name ? `an input '${name}'` : 'a 4-D image input',
      },
      { details: { inputs: session.inputs.map((i) => i.name) } },
    );
  }
  return info;
}

/** Input height/width from numeric dims (CHW or HWC), else undefined. */
export function inputSize(
  info: TensorInfo,
  layout: 'chw' | 'hwc' = 'chw',
): { width: number; height: number } | undefined {
  const [h, w] = layout === 'chw' ? [info.dims[2], info.dims[3]] : [info.dims[1], info.dims[2]];
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { width: w, height: h } : undefined;
}

/** Capabilities with every flag false unless given. */
export function capabilities(p: Partial<VisionCapabilities>): VisionCapabilities {
  return { detect: false, classify: false, embedImage: false, embedText: false, ...p };
}

/** Disposes the sessions if `build` throws, so a failed recognition leaks nothing. */
export async function disposeOnError<T>(sessions: readonly InferenceSession[], build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (e) {
    await Promise.all(sessions.map((s) => s.dispose()));
    throw e;
  }
}
