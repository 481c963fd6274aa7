import { ModelOutputMismatchError, throwIfAborted } from '../../errors.js';
import type { ImageLimits } from '../../image/decode.js';
import { preprocessImage, preprocessImages } from '../../image/preprocess.js';
import type { ImagePreprocessSpec } from '../../image/preprocess-spec.js';
import type { ImageTransform } from '../../image/geometry.js';
import type { InferenceSession } from '../../session.js';
import { createTensor } from '../../tensor.js';
import type { Tensor, TensorInfo } from '../../tensor.js';
import type { ImageInput } from '../../types/vision.js';

/** How a family runs several images. */
export type BatchMode = 'auto' | 'single';

/** Where one image of a run landed: its index in the output batch and its geometry. */
export interface ImageSlot {
  /** Index of the image in the output tensors' batch dimension. */
  batchIndex: number;
  sourceWidth: number;
  sourceHeight: number;
  transform: ImageTransform;
}

/** Settings shared by the families that feed one image tensor. */
export interface ImageRunConfig {
  /** Name of the image input. */
  inputName: string;
  preprocess: ImagePreprocessSpec;
  /** Whether the model's batch dimension is symbolic (so N images can run as one call). */
  dynamicBatch: boolean;
  /** `auto` (default) batches when the model allows it; `single` always runs one image per call. */
  batch?: BatchMode;
  limits?: ImageLimits;
  /** Extra fixed feeds (e.g. dummy text inputs of a combined CLIP graph), built per batch size. */
  extraFeeds?: (batchSize: number) => Record<string, Tensor>;
}

/** True when the first dim of `info` is symbolic (a dynamic batch). */
export function hasDynamicBatch(info: TensorInfo | undefined): boolean {
  return info !== undefined && info.dims.length > 0 && typeof info.dims[0] !== 'number';
}

/** Checks that `name` is among the session outputs; throws {@link ModelOutputMismatchError}. */
export function requireOutput(session: InferenceSession, name: string, model: string): TensorInfo {
  const info = session.outputs.find((o) => o.name === name);
  if (!info) {
    const outputs = session.outputs.map((o) => o.name);
    throw new ModelOutputMismatchError(
      { model, found: `its outputs are [${outputs.join(', ')}]`, expected: `an output '${name}'` },
      { details: { output: name, outputs } },
    );
  }
  return info;
}

/**
 * Preprocesses `images` and runs the session: one call with an `[N,...]` tensor when the model has a dynamic
 * batch (and `batch` is `auto`), else one call per image. `consume` is called once per run with the outputs and
 * the slots of the images in it, so results can be decoded while the next image is prepared.
 */
export async function runImages<R>(
  session: InferenceSession,
  config: ImageRunConfig,
  images: readonly ImageInput[],
  outputNames: readonly string[],
  consume: (outputs: Record<string, Tensor>, slots: readonly ImageSlot[]) => R[],
  signal?: AbortSignal,
): Promise<R[]> {
  throwIfAborted(signal);
  const spec = config.preprocess;
  const batched = images.length > 1 && config.dynamicBatch && (config.batch ?? 'auto') === 'auto';
  if (batched) {
    const { tensor, images: info } = await preprocessImages(images, spec, { limits: config.limits, signal });
    const feeds: Record<string, Tensor> = { ...config.extraFeeds?.(images.length), [config.inputName]: tensor };
    const outputs = await session.run(feeds, { outputNames, signal });
    return consume(
      outputs,
      info.map((im, i) => ({ batchIndex: i, ...im })),
    );
  }
  // One image per call: prepare image i+1 (decode and resize on libuv's threads) while image i runs, so a
  // micro-batch on a fixed-batch model keeps both the decoder and the runtime busy.
  const prepare = (image: ImageInput) => {
    const pending = preprocessImage(image, spec, { limits: config.limits, signal });
    pending.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled
    return pending;
  };
  const results: R[] = [];
  let next = images.length > 0 ? prepare(images[0]!) : undefined;
  for (let i = 0; i < images.length; i++) {
    const p = await next!;
    next = i + 1 < images.length ? prepare(images[i + 1]!) : undefined;
    const feeds: Record<string, Tensor> = {
      ...config.extraFeeds?.(1),
      [config.inputName]: createTensor('float32', p.data, p.dims),
    };
    const outputs = await session.run(feeds, { outputNames, signal });
    results.push(
      ...consume(outputs, [
        { batchIndex: 0, sourceWidth: p.sourceWidth, sourceHeight: p.sourceHeight, transform: p.transform },
      ]),
    );
  }
  return results;
}

/** Returns the named output or throws {@link ModelOutputMismatchError}. */
export function pickOutput(outputs: Record<string, Tensor>, name: string, model: string): Tensor {
  const t = outputs[name];
  if (!t) {
    throw new ModelOutputMismatchError(
      { model, found: `it returned [${Object.keys(outputs).join(', ')}]`, expected: `output '${name}'` },
      { details: { output: name, returned: Object.keys(outputs) } },
    );
  }
  return t;
}
