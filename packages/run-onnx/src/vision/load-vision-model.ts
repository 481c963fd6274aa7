import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  COCO80_LABELS,
  ClipModel,
  Detector,
  FamilyVisionBackend,
  ImageClassifier,
  ModelNotFoundError,
  ModelOutputMismatchError,
  ModelUnrecognizedError,
  VISION_MANIFEST_FILE,
  createTensor,
  createTokenizer,
  invalidParameter,
  defaultPreprocess,
  gridCellCount,
  hasDynamicBatch,
  hfLabels,
  hfPreprocessSpec,
  mergeManifestInput,
  parseUltralyticsImgsz,
  parseUltralyticsNames,
  parseVisionManifest,
  requireOutput,
  type BatchMode,
  type ClassActivation,
  type DetectionHead,
  type HfImageProcessorConfig,
  type ImageLimits,
  type ImagePreprocessSpec,
  type InferenceSession,
  type TensorInfo,
  type VisionCapabilities,
  type VisionManifest,
  type VisionModelType,
  type VisionPipelines,
  type VisionTask,
} from '@llama-pajamas/run-core';
import { OnnxSession } from '../session-impl.js';
import type { OnnxSessionOptions } from '../session.js';

/** Options of {@link loadVisionModel}. Session options apply to every ONNX file of the model. */
export interface LoadVisionModelOptions extends Omit<OnnxSessionOptions, 'name'> {
  /** What to use the model for when the files do not say (a manifest's `task`). */
  task?: VisionTask;
  /** Detection head layout, overriding recognition (e.g. `yolox` for a YOLOX model without metadata). */
  family?: DetectionHead;
  /** Labels (index = class id), or the path of a text file with one per line; overrides the model's. */
  labels?: readonly string[] | string;
  /** Default detection confidence (0.25), NMS IoU (0.45) and most detections (300). */
  confidence?: number;
  iou?: number;
  maxDetections?: number;
  /** `auto` (default): `batch*` calls run one batched inference when the model has a dynamic batch dim. */
  batch?: BatchMode;
  /** A manifest given inline instead of a `llama-pajamas.json` file (paths relative to the model's folder). */
  manifest?: VisionManifest;
  /** Image size limits (default 40 MP, 50 MiB). */
  limits?: ImageLimits;
  /** Id used in messages and results (default: the file or folder name). */
  modelId?: string;
  /** CLIP: multiplier of cosine similarity in zero-shot (default: measured from a combined graph, else 100). */
  logitScale?: number;
  /** CLIP zero-shot prompt, `{}` = label (default `'This is a photo of {}.'`). */
  hypothesisTemplate?: string;
}

interface Built {
  pipelines: VisionPipelines;
  modelType: VisionModelType;
  labels: readonly string[];
  capabilities: VisionCapabilities;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelNotFoundError(`Cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelUnrecognizedError(`${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    });
  }
}

async function readLabels(labels: readonly string[] | string, base: string): Promise<string[]> {
  if (typeof labels !== 'string') return [...labels];
  const path = resolve(base, labels);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelNotFoundError(`Cannot read the labels file ${path}: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    });
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function sessionOptions(options: LoadVisionModelOptions, name: string): OnnxSessionOptions {
  const { executionProviders, intraOpThreads, interOpThreads, graphOptimizationLevel, coreMlFlags } = options;
  return {
    name,
    ...(executionProviders ? { executionProviders } : {}),
    ...(intraOpThreads !== undefined ? { intraOpThreads } : {}),
    ...(interOpThreads !== undefined ? { interOpThreads } : {}),
    ...(graphOptimizationLevel ? { graphOptimizationLevel } : {}),
    ...(coreMlFlags !== undefined ? { coreMlFlags } : {}),
  };
}

function imageInput(session: InferenceSession, model: string, name?: string): TensorInfo {
  const info = name ? session.inputs.find((i) => i.name === name) : session.inputs.find((i) => i.dims.length === 4);
  if (!info) {
    throw new ModelOutputMismatchError(
      `Model '${model}' has no ${name ? `input '${name}'` : '4-D image input'}; its inputs are ${session.inputs
        .map((i) => `${i.name} [${i.dims.join(', ')}]`)
        .join(', ')}.`,
      { details: { model, inputs: session.inputs.map((i) => i.name) } },
    );
  }
  return info;
}

/** Input height/width from numeric dims (CHW or HWC), else undefined. */
function inputSize(info: TensorInfo, layout: 'chw' | 'hwc' = 'chw'): { width: number; height: number } | undefined {
  const [h, w] = layout === 'chw' ? [info.dims[2], info.dims[3]] : [info.dims[1], info.dims[2]];
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { width: w, height: h } : undefined;
}

function capabilities(p: Partial<VisionCapabilities>): VisionCapabilities {
  return { detect: false, classify: false, embedImage: false, embedText: false, ...p };
}

function singleSession(session: InferenceSession): () => Promise<void> {
  return () => session.dispose();
}

/** Recognises the head of a detector from its output dims and metadata; undefined when nothing fits. */
function recognizeHead(
  out: TensorInfo,
  size: { width: number; height: number },
  meta: Readonly<Record<string, string>>,
  nc: number | undefined,
): DetectionHead | undefined {
  const d = out.dims;
  const ultralytics = meta.stride !== undefined || meta.names !== undefined;
  if (
    d.length === 4 &&
    typeof d[1] === 'number' &&
    d[1] >= 6 &&
    d[2] === size.height / 16 &&
    d[3] === size.width / 16
  ) {
    return 'fastestdet';
  }
  if (d.length !== 3) return undefined;
  const a = typeof d[1] === 'number' ? d[1] : undefined;
  const b = typeof d[2] === 'number' ? d[2] : undefined;
  const cells = gridCellCount(size.width, size.height);
  if (ultralytics) {
    if (b === 6 && (/'nms':\s*True/.test(meta.args ?? '') || (a !== undefined && a !== 4 + (nc ?? -10))))
      return 'ultralytics-nms';
    if (a !== undefined && (nc === undefined ? a >= 5 : a === 4 + nc)) return 'ultralytics';
    if (b !== undefined && (nc === undefined ? b >= 6 : b === 5 + nc)) return 'yolov5';
    return undefined;
  }
  // No metadata: anchor-free heads have one row per grid cell; YOLOv5 has three.
  if (b !== undefined && b >= 6 && a === cells) return 'yolox';
  if (b !== undefined && b >= 6 && a === 3 * cells) return 'yolov5';
  if (a !== undefined && a >= 5 && b === cells) return 'ultralytics';
  return undefined;
}

/** Throws {@link ModelOutputMismatchError} when a (possibly forced) head cannot read this output. */
function checkHeadDims(
  head: DetectionHead,
  out: TensorInfo,
  size: { width: number; height: number },
  modelId: string,
): void {
  const d = out.dims;
  const n = (i: number): number | undefined => (typeof d[i] === 'number' ? d[i] : undefined);
  let ok: boolean;
  let expected: string;
  switch (head) {
    case 'ultralytics':
      expected = '[batch, 4 + classes, anchors]';
      ok = d.length === 3 && (n(1) === undefined || n(1)! >= 5) && n(2) !== 6;
      break;
    case 'yolov5':
      expected = '[batch, anchors, 5 + classes]';
      ok = d.length === 3 && (n(2) === undefined || n(2)! >= 6);
      break;
    case 'yolox':
      expected = `[batch, ${gridCellCount(size.width, size.height)}, 5 + classes]`;
      ok =
        d.length === 3 &&
        (n(2) === undefined || n(2)! >= 6) &&
        (n(1) === undefined || n(1) === gridCellCount(size.width, size.height));
      break;
    case 'ultralytics-nms':
      expected = '[batch, maxDetections, 6]';
      ok = d.length === 3 && (n(2) === undefined || n(2) === 6);
      break;
    case 'fastestdet':
      expected = '[batch, 5 + classes, gridH, gridW]';
      ok = d.length === 4 && (n(1) === undefined || n(1)! >= 6);
      break;
  }
  if (!ok) {
    throw new ModelOutputMismatchError(
      `Model '${modelId}' output '${out.name}' is [${d.join(', ')}] but a ${head} detector needs ${expected}. Check the family (option or manifest).`,
      { details: { model: modelId, head, dims: [...d], expected } },
    );
  }
}

async function buildDetector(
  session: InferenceSession,
  file: string,
  modelId: string,
  options: LoadVisionModelOptions,
  manifest: VisionManifest | undefined,
  base: string,
): Promise<Built> {
  const meta = session.metadata;
  const input = imageInput(session, modelId, manifest?.input?.name);
  const size =
    (manifest?.input?.width && manifest.input.height
      ? { width: manifest.input.width, height: manifest.input.height }
      : undefined) ??
    inputSize(input) ??
    parseUltralyticsImgsz(meta.imgsz);
  if (!size) {
    throw new ModelUnrecognizedError(
      `Cannot tell the input size of '${modelId}': its input '${input.name}' is [${input.dims.join(', ')}] and it has no 'imgsz' metadata. Give input.width/height in a ${VISION_MANIFEST_FILE} manifest.`,
      { details: { model: modelId } },
    );
  }
  const metaLabels = parseUltralyticsNames(meta.names);
  const outInfo = manifest?.output ? requireOutput(session, manifest.output, modelId) : session.outputs[0];
  if (!outInfo)
    throw new ModelOutputMismatchError(`Model '${modelId}' has no outputs.`, { details: { model: modelId } });
  const nc = metaLabels.length > 0 ? metaLabels.length : undefined;
  const head = options.family ?? manifest?.family ?? recognizeHead(outInfo, size, meta, nc);
  if (!head) {
    const looked =
      'Ultralytics [1, 4+nc, N] / [1, N, 5+nc] / [1, maxDet, 6] with names metadata; YOLOX [1, N, 5+nc] with N = grid cells at strides 8/16/32 ' +
      `(${gridCellCount(size.width, size.height)} for ${size.width}x${size.height}); YOLOv5 without metadata N = 3 x grid cells; FastestDet [1, 5+nc, H/16, W/16]`;
    const Err =
      meta.task === 'detect' || manifest?.task === 'detect' || options.task === 'detect'
        ? ModelOutputMismatchError
        : ModelUnrecognizedError;
    throw new Err(
      `Model '${modelId}' output '${outInfo.name}' [${outInfo.dims.join(', ')}] matches no detector layout. Looked for: ${looked}. ` +
        `If it is one of these, set "family" in a ${VISION_MANIFEST_FILE} manifest (or the family option).`,
      { details: { model: modelId, output: outInfo.name, dims: [...outInfo.dims] } },
    );
  }
  checkHeadDims(head, outInfo, size, modelId);
  const labelSource = options.labels ?? manifest?.labels;
  let labels = labelSource !== undefined ? await readLabels(labelSource, base) : metaLabels;
  const outNc =
    head === 'ultralytics-nms'
      ? undefined
      : (() => {
          const d = outInfo.dims;
          const v = head === 'ultralytics' ? d[1] : head === 'fastestdet' ? d[1] : d[2];
          return typeof v === 'number' ? v - (head === 'ultralytics' ? 4 : 5) : undefined;
        })();
  if (labels.length === 0 && (outNc === 80 || head === 'ultralytics-nms')) labels = [...COCO80_LABELS];
  const spec = mergeManifestInput(defaultPreprocess('detect', head, size.width, size.height), manifest?.input);
  const detector = new Detector(session, {
    head,
    outputName: outInfo.name,
    inputName: input.name,
    labels,
    preprocess: spec,
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
    pipelines: { detector, dispose: singleSession(session) },
    modelType: 'detection',
    labels,
    capabilities: capabilities({ detect: true }),
  };
}

async function buildImageModel(
  session: InferenceSession,
  modelId: string,
  options: LoadVisionModelOptions,
  task: 'classify' | 'embed',
  spec: ImagePreprocessSpec,
  inputName: string,
  labels: string[],
  outputName: string | undefined,
  embeddingOutput: string | undefined,
  activation: ClassActivation,
): Promise<Built> {
  if (outputName) requireOutput(session, outputName, modelId);
  if (embeddingOutput) requireOutput(session, embeddingOutput, modelId);
  const input = imageInput(session, modelId, inputName);
  const classifier = new ImageClassifier(session, {
    inputName: input.name,
    preprocess: spec,
    dynamicBatch: hasDynamicBatch(input),
    batch: options.batch ?? 'auto',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(outputName ? { outputName } : {}),
    ...(embeddingOutput ? { embeddingOutput } : {}),
    activation,
    labels,
    modelId,
  });
  return Promise.resolve({
    pipelines: { classifier, dispose: singleSession(session) },
    modelType: task === 'embed' ? 'embedding' : 'classification',
    labels,
    capabilities: capabilities({ classify: outputName !== undefined, embedImage: embeddingOutput !== undefined }),
  });
}

/** Builds from a manifest (file or inline) and the model file it names. */
async function buildFromManifest(
  file: string,
  manifest: VisionManifest,
  options: LoadVisionModelOptions,
  modelId: string,
): Promise<Built> {
  const base = dirname(file);
  const session = await OnnxSession.create(file, sessionOptions(options, basename(file)));
  try {
    const task = options.task ?? manifest.task;
    if (task === 'detect') return await buildDetector(session, file, modelId, options, manifest, base);
    if (task === 'zero-shot') {
      throw new ModelUnrecognizedError(
        `A ${VISION_MANIFEST_FILE} manifest cannot describe a zero-shot model; give a CLIP folder (config.json, onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer.json).`,
        { details: { model: modelId } },
      );
    }
    const input = imageInput(session, modelId, manifest.input?.name);
    const size =
      manifest.input?.width && manifest.input.height
        ? { width: manifest.input.width, height: manifest.input.height }
        : inputSize(input, manifest.input?.layout);
    if (!size) {
      throw new ModelUnrecognizedError(
        `Cannot tell the input size of '${modelId}' (input '${input.name}' is [${input.dims.join(', ')}]); set input.width and input.height in the manifest.`,
        { details: { model: modelId } },
      );
    }
    const spec = mergeManifestInput(defaultPreprocess(task, undefined, size.width, size.height), manifest.input);
    const labelSource = options.labels ?? manifest.labels;
    const labels = labelSource !== undefined ? await readLabels(labelSource, base) : [];
    const outputs = session.outputs.map((o) => o.name);
    const outputName = manifest.output ?? (task === 'classify' ? outputs[0] : undefined);
    const embeddingOutput =
      manifest.embeddingOutput ??
      (task === 'embed' ? (outputs.includes('embedding') ? 'embedding' : outputs[0]) : undefined);
    return await buildImageModel(
      session,
      modelId,
      options,
      task,
      spec,
      input.name,
      labels,
      outputName,
      embeddingOutput,
      manifest.activation ?? 'softmax',
    );
  } catch (e) {
    await session.dispose();
    throw e;
  }
}

/** Ultralytics classify export: shortest-edge resize + centre crop, /255, outputs probabilities. */
async function buildUltralyticsClassifier(
  session: InferenceSession,
  meta: Readonly<Record<string, string>>,
  modelId: string,
  options: LoadVisionModelOptions,
): Promise<Built> {
  const input = imageInput(session, modelId);
  const size = inputSize(input) ?? parseUltralyticsImgsz(meta.imgsz);
  if (!size)
    throw new ModelUnrecognizedError(`Cannot tell the input size of '${modelId}'.`, { details: { model: modelId } });
  const labels =
    options.labels !== undefined ? await readLabels(options.labels, process.cwd()) : parseUltralyticsNames(meta.names);
  const spec: ImagePreprocessSpec = {
    width: size.width,
    height: size.height,
    resize: 'shortest-edge-center-crop',
    shortestEdge: Math.min(size.width, size.height),
    resample: 'bilinear',
    channelOrder: 'rgb',
    layout: 'chw',
    scale: 1 / 255,
  };
  return buildImageModel(
    session,
    modelId,
    options,
    'classify',
    spec,
    input.name,
    labels,
    session.outputs[0]?.name,
    undefined,
    'none',
  );
}

/** Builds from a lone ONNX file: Ultralytics metadata, or a detector recognised by its output layout. */
async function buildFromFile(file: string, options: LoadVisionModelOptions, modelId: string): Promise<Built> {
  const session = await OnnxSession.create(file, sessionOptions(options, basename(file)));
  try {
    const meta = session.metadata;
    if (meta.task === 'classify' && options.task !== 'detect')
      return await buildUltralyticsClassifier(session, meta, modelId, options);
    if (meta.task !== undefined && meta.task !== 'detect' && meta.task !== 'classify') {
      throw new ModelUnrecognizedError(
        `Model '${modelId}' is an Ultralytics '${meta.task}' export; only 'detect' and 'classify' are supported.`,
        { details: { model: modelId, task: meta.task } },
      );
    }
    const wantsImageModel = options.task === 'classify' || options.task === 'embed';
    if (
      wantsImageModel ||
      (meta.task === undefined && !options.family && session.outputs.every((o) => o.dims.length === 2))
    ) {
      throw new ModelUnrecognizedError(
        `Model '${modelId}' has no metadata saying how to preprocess images or read its outputs ` +
          `(outputs ${session.outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')}). ` +
          `Looked for: Ultralytics metadata (names, imgsz, task), a YOLO/YOLOX/FastestDet output layout, or a ${VISION_MANIFEST_FILE} manifest next to the model. ` +
          `Write a ${VISION_MANIFEST_FILE} (task, input size, mean/std, labels; see docs/model-formats.md) or pass options.manifest.`,
        { details: { model: modelId } },
      );
    }
    return await buildDetector(session, file, modelId, options, undefined, dirname(file));
  } catch (e) {
    await session.dispose();
    throw e;
  }
}

interface HfConfig {
  model_type?: string;
  architectures?: string[];
  id2label?: Record<string, string>;
  problem_type?: string;
  logit_scale?: number;
  text_config?: { max_position_embeddings?: number; pad_token_id?: number; eos_token_id?: number };
}

async function firstExisting(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const n of names) if (await exists(join(dir, n))) return join(dir, n);
  return undefined;
}

async function buildHfClassifier(
  dir: string,
  config: HfConfig,
  options: LoadVisionModelOptions,
  modelId: string,
): Promise<Built> {
  const pre = (await readJson(join(dir, 'preprocessor_config.json'))) as HfImageProcessorConfig;
  const spec = hfPreprocessSpec(pre, join(dir, 'preprocessor_config.json'));
  const file = await firstExisting(dir, [
    'onnx/model.onnx',
    'model.onnx',
    'onnx/model_quantized.onnx',
    'model_quantized.onnx',
  ]);
  if (!file) {
    throw new ModelUnrecognizedError(
      `${dir} has config.json and preprocessor_config.json but no onnx/model.onnx or model.onnx.`,
      {
        details: { dir },
      },
    );
  }
  const session = await OnnxSession.create(file, sessionOptions(options, basename(file)));
  try {
    const input = session.inputs.find((i) => i.name === 'pixel_values') ?? imageInput(session, modelId);
    const output = session.outputs.find((o) => o.name === 'logits') ?? session.outputs[0];
    const labels = options.labels !== undefined ? await readLabels(options.labels, dir) : hfLabels(config);
    if (output && typeof output.dims[1] === 'number' && labels.length > 0 && output.dims[1] !== labels.length) {
      throw new ModelOutputMismatchError(
        `Model '${modelId}' outputs ${output.dims[1]} classes but config.json id2label has ${labels.length} labels.`,
        { details: { model: modelId, outputs: output.dims[1], labels: labels.length } },
      );
    }
    const activation = config.problem_type === 'multi_label_classification' ? 'sigmoid' : 'softmax';
    return await buildImageModel(
      session,
      modelId,
      options,
      'classify',
      spec,
      input.name,
      labels,
      output?.name,
      undefined,
      activation,
    );
  } catch (e) {
    await session.dispose();
    throw e;
  }
}

async function measureLogitScale(
  session: InferenceSession,
  spec: ImagePreprocessSpec,
  padId: number,
): Promise<number | undefined> {
  if (!session.outputs.some((o) => o.name === 'logits_per_image')) return undefined;
  const px = new Float32Array(3 * spec.width * spec.height).map((_, i) => Math.sin(i));
  const feeds = {
    pixel_values: createTensor('float32', px, [1, 3, spec.height, spec.width]),
    input_ids: createTensor('int64', new BigInt64Array([BigInt(padId)]), [1, 1]),
    attention_mask: createTensor('int64', new BigInt64Array([1n]), [1, 1]),
  };
  const out = await session.run(feeds, { outputNames: ['logits_per_image', 'image_embeds', 'text_embeds'] });
  const logit = out.logits_per_image?.data[0] as number | undefined;
  const a = out.image_embeds?.data as Float32Array | undefined;
  const b = out.text_embeds?.data as Float32Array | undefined;
  if (logit === undefined || !a || !b) return undefined;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = dot / Math.sqrt(na * nb);
  return Math.abs(cos) > 1e-3 ? logit / cos : undefined;
}

async function buildClip(
  dir: string,
  config: HfConfig,
  options: LoadVisionModelOptions,
  modelId: string,
): Promise<Built> {
  const pre = (await readJson(join(dir, 'preprocessor_config.json'))) as HfImageProcessorConfig;
  const spec = hfPreprocessSpec(pre, join(dir, 'preprocessor_config.json'));
  const visionFile = await firstExisting(dir, ['onnx/vision_model.onnx', 'vision_model.onnx']);
  const textFile = await firstExisting(dir, ['onnx/text_model.onnx', 'text_model.onnx']);
  const combinedFile = await firstExisting(dir, ['onnx/model.onnx', 'model.onnx']);
  const tokFile = await firstExisting(dir, ['tokenizer.json']);
  if (!visionFile && !combinedFile) {
    throw new ModelUnrecognizedError(
      `${dir} looks like a CLIP model (config.json) but has no onnx/vision_model.onnx or onnx/model.onnx.`,
      {
        details: { dir },
      },
    );
  }
  const tokenizer = tokFile
    ? createTokenizer(
        (await readJson(tokFile)) as object,
        (await exists(join(dir, 'tokenizer_config.json')))
          ? ((await readJson(join(dir, 'tokenizer_config.json'))) as object)
          : {},
      )
    : undefined;
  const padTokenId = config.text_config?.pad_token_id ?? config.text_config?.eos_token_id ?? 49407;
  const opened: InferenceSession[] = [];
  try {
    const combined = !visionFile;
    const imageSession = await OnnxSession.create(
      visionFile ?? combinedFile!,
      sessionOptions(options, basename(visionFile ?? combinedFile!)),
    );
    opened.push(imageSession);
    let textSession: InferenceSession | undefined;
    if (combined) textSession = imageSession;
    else if (textFile) {
      textSession = await OnnxSession.create(textFile, sessionOptions(options, basename(textFile)));
      opened.push(textSession);
    }
    const imageInfo = imageSession.inputs.find((i) => i.name === 'pixel_values') ?? imageInput(imageSession, modelId);
    requireOutput(imageSession, 'image_embeds', modelId);
    if (textSession) requireOutput(textSession, 'text_embeds', modelId);
    const idsInfo = textSession?.inputs.find((i) => i.name === 'input_ids');
    const maskInfo = textSession?.inputs.find((i) => i.name === 'attention_mask');
    const logitScale =
      options.logitScale ??
      config.logit_scale ??
      (combined ? await measureLogitScale(imageSession, spec, padTokenId) : undefined) ??
      100;
    const clip = new ClipModel(imageSession, textSession, tokenizer, {
      inputName: imageInfo.name,
      preprocess: spec,
      dynamicBatch: hasDynamicBatch(imageInfo),
      batch: options.batch ?? 'auto',
      ...(options.limits ? { limits: options.limits } : {}),
      imageOutput: 'image_embeds',
      ...(idsInfo
        ? {
            text: {
              inputIdsName: idsInfo.name,
              ...(maskInfo ? { attentionMaskName: maskInfo.name } : {}),
              outputName: 'text_embeds',
              dynamicBatch: hasDynamicBatch(idsInfo),
            },
          }
        : {}),
      combined,
      logitScale,
      maxTextLength: config.text_config?.max_position_embeddings ?? 77,
      padTokenId,
      ...(options.hypothesisTemplate ? { hypothesisTemplate: options.hypothesisTemplate } : {}),
      modelId,
    });
    return {
      pipelines: { clip, dispose: async () => void (await Promise.all(opened.map((s) => s.dispose()))) },
      modelType: clip.hasText ? 'zero-shot' : 'embedding',
      labels: [],
      capabilities: capabilities({ classify: clip.hasText, embedImage: true, embedText: clip.hasText }),
    };
  } catch (e) {
    await Promise.all(opened.map((s) => s.dispose()));
    throw e;
  }
}

async function loadManifestFile(path: string): Promise<VisionManifest> {
  return parseVisionManifest(await readJson(path), path);
}

async function build(path: string, options: LoadVisionModelOptions, modelId: string): Promise<Built> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new ModelNotFoundError(`No model file or folder at ${JSON.stringify(path)}.`, {
      cause: e,
      details: { path },
    });
  }
  if (info.isFile()) {
    const sibling = join(dirname(path), VISION_MANIFEST_FILE);
    let manifest = options.manifest ? parseVisionManifest(options.manifest, 'options.manifest') : undefined;
    if (!manifest && !path.endsWith('.json') && (await exists(sibling))) {
      const m = await loadManifestFile(sibling);
      if (m.model === undefined || basename(m.model) === basename(path)) manifest = m;
    }
    if (path.endsWith('.json')) {
      manifest = await loadManifestFile(path);
      if (!manifest.model) {
        throw new ModelUnrecognizedError(`${path}: a manifest loaded directly must name its "model" file.`, {
          details: { path },
        });
      }
      return buildFromManifest(resolve(dirname(path), manifest.model), manifest, options, modelId);
    }
    return manifest ? buildFromManifest(path, manifest, options, modelId) : buildFromFile(path, options, modelId);
  }
  if (!info.isDirectory()) {
    throw new ModelUnrecognizedError(`${path} is neither a file nor a folder.`, { details: { path } });
  }
  const manifestPath = join(path, VISION_MANIFEST_FILE);
  const manifest = options.manifest
    ? parseVisionManifest(options.manifest, 'options.manifest')
    : (await exists(manifestPath))
      ? await loadManifestFile(manifestPath)
      : undefined;
  const onnxFiles = async (): Promise<string[]> => (await readdir(path)).filter((f) => f.endsWith('.onnx')).sort();
  // A converted CLIP folder's manifest says zero-shot; the folder itself (config.json, onnx/) describes the towers.
  if (manifest && !(manifest.task === 'zero-shot' && (await exists(join(path, 'config.json'))))) {
    let file = manifest.model ? resolve(path, manifest.model) : undefined;
    if (!file) {
      const files = await onnxFiles();
      if (files.length !== 1) {
        throw new ModelUnrecognizedError(
          `${manifestPath}: "model" is not set and the folder has ${files.length} .onnx files (${files.join(', ')}); name one.`,
          { details: { path } },
        );
      }
      file = join(path, files[0]!);
    }
    return buildFromManifest(file, manifest, options, modelId);
  }
  if (await exists(join(path, 'config.json'))) {
    const config = (await readJson(join(path, 'config.json'))) as HfConfig;
    const isClip =
      /clip/i.test(config.model_type ?? '') ||
      (config.architectures ?? []).some((a) => /CLIP/i.test(a)) ||
      (await exists(join(path, 'onnx/vision_model.onnx')));
    if (isClip) return buildClip(path, config, options, modelId);
    if (await exists(join(path, 'preprocessor_config.json'))) return buildHfClassifier(path, config, options, modelId);
  }
  const files = await onnxFiles();
  if (files.length === 1) return buildFromFile(join(path, files[0]!), options, modelId);
  throw new ModelUnrecognizedError(
    `Cannot recognise the model in ${path}. Looked for: ${VISION_MANIFEST_FILE}; config.json + preprocessor_config.json + onnx/model.onnx ` +
      '(Hugging Face image classifier); config.json + onnx/vision_model.onnx (+ text_model.onnx, tokenizer.json) (CLIP); ' +
      `or exactly one .onnx file (found ${files.length}). See docs/model-formats.md.`,
    { details: { path, onnxFiles: files } },
  );
}

/**
 * Loads an image model for ONNX Runtime, recognising its family from the files: Ultralytics exports (metadata),
 * YOLOX/YOLOv5/FastestDet by output layout, Hugging Face classifier and CLIP folders, or a `llama-pajamas.json`
 * manifest. Sessions are opened once and shared; the backend is returned loaded.
 * Throws `ERR_RUN_MODEL_NOT_FOUND`, `ERR_RUN_MODEL_UNRECOGNIZED` (naming what was looked for) or
 * `ERR_RUN_MODEL_OUTPUT_MISMATCH`.
 * @example
 * const yolo = await loadVisionModel('models/yolov8n.onnx', { intraOpThreads: 2 });
 * const { detections } = await yolo.detect('dog.jpg');
 * // [{ label: 'dog', confidence: 0.96, classId: 16, box: { x1: 131, y1: 219, x2: 310, y2: 541 } }, ...]
 */
export async function loadVisionModel(
  path: string,
  options: LoadVisionModelOptions = {},
): Promise<FamilyVisionBackend> {
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidParameter('path', 'the path of a model file or folder', path);
  }
  const modelId = options.modelId ?? basename(path.replace(/[\\/]+$/, '')).replace(/\.onnx$/, '');
  const first = await build(path, options, modelId);
  return new FamilyVisionBackend({
    modelId,
    modelType: first.modelType,
    labels: first.labels,
    capabilities: first.capabilities,
    pipelines: first.pipelines,
    open: async () => (await build(path, options, modelId)).pipelines,
  });
}
