import { join } from 'node:path';
import { ModelOutputMismatchError, ModelUnrecognizedError } from '../../errors.js';
import { findModelFile } from '../../loaders/files.js';
import { readJsonFile } from '../../loaders/json.js';
import { openSession } from '../../loaders/runtime.js';
import type { ImagePreprocessSpec } from '../../image/preprocess-spec.js';
import { cosineSimilarity } from '../../post/math.js';
import type { InferenceSession } from '../../session.js';
import { createTensor } from '../../tensor.js';
import { ClipModel, createTokenizer } from './clip.js';
import { hfLabels, hfPreprocessSpec, type HfImageProcessorConfig } from './hf-config.js';
import {
  capabilities,
  disposeOnError,
  imageInput,
  readLabels,
  type BuiltVisionModel,
  type VisionBuildContext,
} from './load-common.js';
import { buildImageModel } from './load-single-file.js';
import { requireOutput, hasDynamicBatch } from './run-images.js';

/** The fields of a Hugging Face `config.json` that the vision loader reads. */
export interface HfModelConfig {
  model_type?: string;
  architectures?: string[];
  id2label?: Record<string, string>;
  problem_type?: string;
  logit_scale?: number;
  text_config?: { max_position_embeddings?: number; pad_token_id?: number; eos_token_id?: number };
}

const MODEL_FOLDERS = ['onnx', ''];

async function preprocessOf(dir: string): Promise<ImagePreprocessSpec> {
  const path = join(dir, 'preprocessor_config.json');
  return hfPreprocessSpec((await readJsonFile(path)) as HfImageProcessorConfig, path);
}

/** True when a Hugging Face folder is a CLIP model (by config, or by its vision tower's file). */
export async function isClipFolder(dir: string, config: HfModelConfig, ctx: VisionBuildContext): Promise<boolean> {
  return (
    /clip/i.test(config.model_type ?? '') ||
    (config.architectures ?? []).some((a) => /CLIP/i.test(a)) ||
    (await findModelFile(dir, 'vision_model', ctx.runtime.files, { folders: ['onnx'], dtype: 'fp32' })) !== undefined
  );
}

/** A Hugging Face image classifier folder: config.json, preprocessor_config.json, (onnx/)model.<ext>. */
export async function buildHfClassifier(
  dir: string,
  config: HfModelConfig,
  ctx: VisionBuildContext,
): Promise<BuiltVisionModel> {
  const { modelId, options, runtime } = ctx;
  const preprocess = await preprocessOf(dir);
  const tried: string[] = [];
  const found = await findModelFile(dir, 'model', runtime.files, {
    folders: MODEL_FOLDERS,
    tried,
    ...(runtime.dtype ? { dtype: runtime.dtype } : {}),
  });
  if (!found) {
    throw new ModelUnrecognizedError(
      {
        model: modelId,
        found: `${dir} has config.json and preprocessor_config.json but no model file`,
        lookedFor: [...new Set(tried.map((t) => t.slice(dir.length + 1)))],
      },
      { details: { dir } },
    );
  }
  const session = await openSession(runtime, found.path);
  return disposeOnError([session], async () => {
    const input = session.inputs.find((i) => i.name === 'pixel_values') ?? imageInput(session, modelId);
    const output = session.outputs.find((o) => o.name === 'logits') ?? session.outputs[0];
    const labels = options.labels !== undefined ? await readLabels(options.labels, dir) : hfLabels(config);
    if (output && typeof output.dims[1] === 'number' && labels.length > 0 && output.dims[1] !== labels.length) {
      throw new ModelOutputMismatchError(
        {
          model: modelId,
          found: `it outputs ${output.dims[1]} classes`,
          expected: `the ${labels.length} labels of config.json id2label`,
        },
        { details: { outputs: output.dims[1], labels: labels.length } },
      );
    }
    return buildImageModel(session, ctx, {
      task: 'classify',
      preprocess,
      inputName: input.name,
      labels,
      outputName: output?.name,
      activation: config.problem_type === 'multi_label_classification' ? 'sigmoid' : 'softmax',
    });
  });
}

/** `logits_per_image / cosine(image_embeds, text_embeds)` of a combined CLIP graph on a fixed probe. */
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
  const cos = cosineSimilarity(a, b);
  return Math.abs(cos) > 1e-3 ? logit / cos : undefined;
}

/** A CLIP folder: vision (and text) towers or one combined graph, tokenizer.json, configs. */
export async function buildClip(
  dir: string,
  config: HfModelConfig,
  ctx: VisionBuildContext,
): Promise<BuiltVisionModel> {
  const { modelId, options, runtime } = ctx;
  const preprocess = await preprocessOf(dir);
  const find = (stem: string, dtype = runtime.dtype) =>
    findModelFile(dir, stem, runtime.files, { folders: MODEL_FOLDERS, ...(dtype ? { dtype } : {}) });
  const vision = await find('vision_model');
  const text = await find('text_model', vision?.dtype);
  const combinedFile = vision ? undefined : await find('model');
  const imageFile = vision?.path ?? combinedFile?.path;
  if (!imageFile) {
    throw new ModelUnrecognizedError(
      {
        model: modelId,
        found: `${dir} looks like a CLIP model (config.json) but has no vision tower`,
        lookedFor: ['onnx/vision_model', 'onnx/model (a combined graph)'],
      },
      { details: { dir } },
    );
  }
  const tokenizerJson = (await readJsonFile(join(dir, 'tokenizer.json'), { required: false })) as object | undefined;
  const tokenizerConfig = tokenizerJson
    ? ((await readJsonFile(join(dir, 'tokenizer_config.json'), { required: false })) as object | undefined)
    : undefined;
  const tokenizer = tokenizerJson ? createTokenizer(tokenizerJson, tokenizerConfig ?? {}) : undefined;
  const padTokenId = config.text_config?.pad_token_id ?? config.text_config?.eos_token_id ?? 49407;
  const combined = vision === undefined;
  const imageSession = await openSession(runtime, imageFile);
  const opened: InferenceSession[] = [imageSession];
  return disposeOnError(opened, async () => {
    let textSession: InferenceSession | undefined;
    if (combined) textSession = imageSession;
    else if (text) {
      textSession = await openSession(runtime, text.path);
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
      (combined ? await measureLogitScale(imageSession, preprocess, padTokenId) : undefined) ??
      100;
    const clip = new ClipModel(imageSession, textSession, tokenizer, {
      inputName: imageInfo.name,
      preprocess,
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
  });
}
