import { dirname } from 'node:path';
import { ModelOutputMismatchError, ModelUnrecognizedError } from '../../errors.js';
import { openSession } from '../../loaders/runtime.js';
import type { ImagePreprocessSpec } from '../../image/preprocess-spec.js';
import type { InferenceSession } from '../../session.js';
import { ImageClassifier, type ClassActivation } from './classifier.js';
import { COCO80_LABELS } from './coco-labels.js';
import { Detector } from './detector.js';
import { parseUltralyticsImgsz, parseUltralyticsNames } from './hf-config.js';
import { checkHeadDims, headClassCount, headLayoutsLookedFor, recognizeHead } from './head-layouts.js';
import {
  capabilities,
  disposeOnError,
  imageInput,
  inputSize,
  readLabels,
  type BuiltVisionModel,
  type VisionBuildContext,
} from './load-common.js';
import { VISION_MANIFEST_FILE, defaultPreprocess, mergeManifestInput, type VisionManifest } from './manifest.js';
import { hasDynamicBatch, requireOutput } from './run-images.js';

/** What {@link buildImageModel} builds: a classifier and/or image embedder over one session. */
export interface ImageModelSpec {
  readonly task: 'classify' | 'embed';
  readonly preprocess: ImagePreprocessSpec;
  readonly inputName: string;
  readonly labels: readonly string[];
  /** Output with class scores (classify). */
  readonly outputName?: string | undefined;
  /** Output with the image embedding (embed). */
  readonly embeddingOutput?: string | undefined;
  readonly activation: ClassActivation;
}

/** Builds an image classifier / embedder over an open session (the session is the caller's to dispose on error). */
export function buildImageModel(
  session: InferenceSession,
  ctx: VisionBuildContext,
  spec: ImageModelSpec,
): BuiltVisionModel {
  const { modelId, options } = ctx;
  if (spec.outputName) requireOutput(session, spec.outputName, modelId);
  if (spec.embeddingOutput) requireOutput(session, spec.embeddingOutput, modelId);
  const input = imageInput(session, modelId, spec.inputName);
  const classifier = new ImageClassifier(session, {
    inputName: input.name,
    preprocess: spec.preprocess,
    dynamicBatch: hasDynamicBatch(input),
    batch: options.batch ?? 'auto',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(spec.outputName ? { outputName: spec.outputName } : {}),
    ...(spec.embeddingOutput ? { embeddingOutput: spec.embeddingOutput } : {}),
    activation: spec.activation,
    labels: spec.labels,
    modelId,
  });
  return {
    pipelines: { classifier, dispose: () => session.dispose() },
    modelType: spec.task === 'embed' ? 'embedding' : 'classification',
    labels: spec.labels,
    capabilities: capabilities({
      classify: spec.outputName !== undefined,
      embedImage: spec.embeddingOutput !== undefined,
    }),
  };
}

function inputSizeUnknown(ctx: VisionBuildContext, found: string, hint: string): ModelUnrecognizedError {
  return new ModelUnrecognizedError({ model: ctx.modelId, found, hint });
}

/** Builds a detector over an open session; the head comes from the options, the manifest or the output layout. */
export async function buildDetector(
  session: InferenceSession,
  ctx: VisionBuildContext,
  manifest: VisionManifest | undefined,
  modelDir: string,
): Promise<BuiltVisionModel> {
  const { modelId, options } = ctx;
  const meta = session.metadata;
  const input = imageInput(session, modelId, manifest?.input?.name);
  const size =
    (manifest?.input?.width && manifest.input.height
      ? { width: manifest.input.width, height: manifest.input.height }
      : undefined) ??
    inputSize(input) ??
    parseUltralyticsImgsz(meta.imgsz);
  if (!size) {
    throw inputSizeUnknown(
      ctx,
      `its input size is unknown: input '${input.name}' is [${input.dims.join(', ')}] and it has no 'imgsz' metadata`,
      `Give input.width/height in a ${VISION_MANIFEST_FILE} manifest.`,
    );
  }
  const metaLabels = parseUltralyticsNames(meta.names);
  const outInfo = manifest?.output ? requireOutput(session, manifest.output, modelId) : session.outputs[0];
  if (!outInfo) throw new ModelOutputMismatchError({ model: modelId, found: 'it has no outputs', expected: 'one' });
  const nc = metaLabels.length > 0 ? metaLabels.length : undefined;
  const head = options.family ?? manifest?.family ?? recognizeHead(outInfo, size, meta, nc);
  if (!head) {
    const isDetector = meta.task === 'detect' || manifest?.task === 'detect' || options.task === 'detect';
    const args = {
      model: modelId,
      found: `its output '${outInfo.name}' [${outInfo.dims.join(', ')}] matches no detector layout`,
      lookedFor: headLayoutsLookedFor(size),
      hint: `If it is one of these, set "family" in a ${VISION_MANIFEST_FILE} manifest (or the family option).`,
    };
    throw isDetector
      ? new ModelOutputMismatchError({ ...args, expected: `one of: ${args.lookedFor.join('; ')}` })
      : new ModelUnrecognizedError(args);
  }
  checkHeadDims(head, outInfo, size, modelId);
  const labelSource = options.labels ?? manifest?.labels;
  let labels = labelSource !== undefined ? await readLabels(labelSource, modelDir) : metaLabels;
  if (labels.length === 0 && (headClassCount(head, outInfo.dims) === 80 || head === 'ultralytics-nms')) {
    labels = [...COCO80_LABELS];
  }
  const preprocess = mergeManifestInput(defaultPreprocess('detect', head, size.width, size.height), manifest?.input);
  const detector = new Detector(session, {
    head,
    outputName: outInfo.name,
    inputName: input.name,
    labels,
    preprocess,
    dynamicBatch: hasDynamicBatch(input),
    batch: options.batch ?? 'auto',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(manifest?.strides ? { strides: manifest.strides } : {}),
    defaults: {
      confidence: options.confidence ?? manifest?.confidence ?? (head === 'fastestdet' ? 0.65 : undefined),
      iou: options.iou ?? manifest?.iou,
      maxDetections: options.maxDetections ?? manifest?.maxDetections,
    },
    modelId,
  });
  return {
    pipelines: { detector, dispose: () => session.dispose() },
    modelType: 'detection',
    labels,
    capabilities: capabilities({ detect: true }),
  };
}

/** Builds from a manifest (file or inline) and the model file it names. */
export async function buildFromManifest(
  file: string,
  manifest: VisionManifest,
  ctx: VisionBuildContext,
): Promise<BuiltVisionModel> {
  const modelDir = dirname(file);
  const session = await openSession(ctx.runtime, file);
  return disposeOnError([session], async () => {
    const task = ctx.options.task ?? manifest.task;
    if (task === 'detect') return buildDetector(session, ctx, manifest, modelDir);
    if (task === 'zero-shot') {
      throw new ModelUnrecognizedError({
        model: ctx.modelId,
        found: `its ${VISION_MANIFEST_FILE} manifest says "task": "zero-shot"`,
        hint: 'A manifest cannot describe a zero-shot model; give a CLIP folder (config.json, onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer.json).',
      });
    }
    const input = imageInput(session, ctx.modelId, manifest.input?.name);
    const size =
      manifest.input?.width && manifest.input.height
        ? { width: manifest.input.width, height: manifest.input.height }
        : inputSize(input, manifest.input?.layout);
    if (!size) {
      throw inputSizeUnknown(
        ctx,
        `its input size is unknown: input '${input.name}' is [${input.dims.join(', ')}]`,
        'Set input.width and input.height in the manifest.',
      );
    }
    const preprocess = mergeManifestInput(defaultPreprocess(task, undefined, size.width, size.height), manifest.input);
    const labelSource = ctx.options.labels ?? manifest.labels;
    const labels = labelSource !== undefined ? await readLabels(labelSource, modelDir) : [];
    const outputs = session.outputs.map((o) => o.name);
    const embeddingOutput =
      manifest.embeddingOutput ??
      (task === 'embed' ? (outputs.includes('embedding') ? 'embedding' : outputs[0]) : undefined);
    return buildImageModel(session, ctx, {
      task,
      preprocess,
      inputName: input.name,
      labels,
      outputName: manifest.output ?? (task === 'classify' ? outputs[0] : undefined),
      embeddingOutput,
      activation: manifest.activation ?? 'softmax',
    });
  });
}

/** Ultralytics classify export: shortest-edge resize + centre crop, /255, outputs probabilities. */
async function buildUltralyticsClassifier(
  session: InferenceSession,
  ctx: VisionBuildContext,
  modelDir: string,
): Promise<BuiltVisionModel> {
  const meta = session.metadata;
  const input = imageInput(session, ctx.modelId);
  const size = inputSize(input) ?? parseUltralyticsImgsz(meta.imgsz);
  if (!size) {
    throw inputSizeUnknown(
      ctx,
      `its input size is unknown: input '${input.name}' is [${input.dims.join(', ')}] and 'imgsz' is missing`,
      `Give input.width/height in a ${VISION_MANIFEST_FILE} manifest.`,
    );
  }
  const labels =
    ctx.options.labels !== undefined
      ? await readLabels(ctx.options.labels, modelDir)
      : parseUltralyticsNames(meta.names);
  const preprocess: ImagePreprocessSpec = {
    width: size.width,
    height: size.height,
    resize: 'shortest-edge-center-crop',
    shortestEdge: Math.min(size.width, size.height),
    resample: 'bilinear',
    channelOrder: 'rgb',
    layout: 'chw',
    scale: 1 / 255,
  };
  return buildImageModel(session, ctx, {
    task: 'classify',
    preprocess,
    inputName: input.name,
    labels,
    outputName: session.outputs[0]?.name,
    activation: 'none',
  });
}

/** Builds from a lone model file: Ultralytics metadata, or a detector recognised by its output layout. */
export async function buildFromFile(file: string, ctx: VisionBuildContext): Promise<BuiltVisionModel> {
  const { modelId, options } = ctx;
  const modelDir = dirname(file);
  const session = await openSession(ctx.runtime, file);
  return disposeOnError([session], async () => {
    const meta = session.metadata;
    if (meta.task === 'classify' && options.task !== 'detect') {
      return buildUltralyticsClassifier(session, ctx, modelDir);
    }
    if (meta.task !== undefined && meta.task !== 'detect' && meta.task !== 'classify') {
      throw new ModelUnrecognizedError(
        {
          model: modelId,
          found: `it is an Ultralytics '${meta.task}' export`,
          hint: "Only 'detect' and 'classify' Ultralytics exports are supported.",
        },
        { details: { task: meta.task } },
      );
    }
    const wantsImageModel = options.task === 'classify' || options.task === 'embed';
    if (
      wantsImageModel ||
      (meta.task === undefined && !options.family && session.outputs.every((o) => o.dims.length === 2))
    ) {
      throw new ModelUnrecognizedError({
        model: modelId,
        found:
          'it has no metadata saying how to preprocess images or read its outputs ' +
          `(outputs ${session.outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')})`,
        lookedFor: [
          'Ultralytics metadata (names, imgsz, task)',
          'a YOLO/YOLOX/FastestDet output layout',
          `a ${VISION_MANIFEST_FILE} manifest next to the model`,
        ],
        hint: `Write a ${VISION_MANIFEST_FILE} (task, input size, mean/std, labels; see docs/model-formats.md) or pass options.manifest.`,
      });
    }
    return buildDetector(session, ctx, undefined, modelDir);
  });
}
