import { ModelOutputMismatchError, UnsupportedOperationError, invalidParameter } from '../../errors.js';
import { l2Normalize, sigmoid, softmax, topK } from '../../post/math.js';
import type { InferenceSession } from '../../session.js';
import type { Tensor } from '../../tensor.js';
import type {
  ClassificationResult,
  ClassifyOptions,
  EmbeddingResult,
  EmbedOptions,
  ImageInput,
} from '../../types/vision.js';
import { pickOutput, runImages } from './run-images.js';
import type { ImageRunConfig, ImageSlot } from './run-images.js';

/** How raw class outputs become probabilities: `softmax` (logits), `sigmoid` (multi-label) or `none` (already). */
export type ClassActivation = 'softmax' | 'sigmoid' | 'none';

/** Everything an {@link ImageClassifier} needs besides its session. */
export interface ImageClassifierConfig extends ImageRunConfig {
  /** Output with class scores `[N, classes]`; absent for embedding-only models. */
  outputName?: string;
  activation?: ClassActivation;
  labels: readonly string[];
  /** Output with the image embedding `[N, D]` (or `[N, D, 1, 1]`); absent for classification-only models. */
  embeddingOutput?: string;
  modelId: string;
}

/** Row `b` of an `[N, ...]` float output, flattened. */
export function batchRow(t: Tensor, b: number, model: string, output: string): Float32Array {
  if (t.type !== 'float32' || t.dims.length < 2) {
    throw new ModelOutputMismatchError(
      {
        model,
        found: `output '${output}' is ${t.type} [${t.dims.join(', ')}]`,
        expected: 'a float32 [batch, ...] tensor',
      },
      { details: { output, dims: [...t.dims] } },
    );
  }
  const batch = t.dims[0] as number;
  const per = t.data.length / batch;
  if (b >= batch) {
    throw new ModelOutputMismatchError(
      { model, found: `output '${output}' has batch ${batch}`, expected: `row ${b}` },
      { details: { output, dims: [...t.dims] } },
    );
  }
  return (t.data as Float32Array).subarray(b * per, (b + 1) * per);
}

/**
 * An image classifier (and/or image embedder) over any {@link InferenceSession}: preprocess per spec, run,
 * softmax/sigmoid, top-k with labels; or read an embedding output and L2-normalize it.
 * @example
 * const clf = new ImageClassifier(session, { outputName: 'output', labels, inputName: 'input', ... });
 * const [r] = await clf.classify(['grace_hopper.jpg'], { topK: 1 });
 * // r.predictions = [{ classId: 652, label: 'military uniform', score: 0.6 }]
 */
export class ImageClassifier {
  constructor(
    private readonly session: InferenceSession,
    readonly config: ImageClassifierConfig,
  ) {}

  /** Top-k classes of each image, best first. */
  async classify(images: readonly ImageInput[], options: ClassifyOptions = {}): Promise<ClassificationResult[]> {
    const output = this.config.outputName;
    if (output === undefined) {
      throw new UnsupportedOperationError(`Model '${this.config.modelId}' has no classification output.`, {
        details: { model: this.config.modelId },
      });
    }
    const k = options.topK ?? 5;
    if (!Number.isInteger(k) || k < 1) throw invalidParameter('options.topK', 'a positive integer', k);
    const activation = this.config.activation ?? 'softmax';
    const labels = this.config.labels;
    return this.runRows(images, output, options.signal, (row, slot) => {
      const probs = activation === 'softmax' ? softmax(row) : activation === 'sigmoid' ? row.map(sigmoid) : row;
      return {
        predictions: topK(probs, k).map(({ index, score }) => ({
          classId: index,
          label: labels[index] ?? String(index),
          score,
        })),
        imageWidth: slot.sourceWidth,
        imageHeight: slot.sourceHeight,
      };
    });
  }

  /** Embeds each image (the configured embedding output), L2-normalized unless `normalize: false`. */
  async embed(images: readonly ImageInput[], options: EmbedOptions = {}): Promise<EmbeddingResult[]> {
    const output = this.config.embeddingOutput;
    if (output === undefined) {
      throw new UnsupportedOperationError(
        `Model '${this.config.modelId}' has no embedding output. Name one as "embeddingOutput" in its llama-pajamas.json manifest.`,
        { details: { model: this.config.modelId } },
      );
    }
    const normalize = options.normalize ?? true;
    return this.runRows(images, output, options.signal, (row) => ({
      embedding: normalize ? l2Normalize(row) : row.slice(),
      normalized: normalize,
      source: 'image' as const,
    }));
  }

  /** Runs the images and maps each image's row of `output` (a view into the batch tensor) to a result. */
  private runRows<R>(
    images: readonly ImageInput[],
    output: string,
    signal: AbortSignal | undefined,
    map: (row: Float32Array, slot: ImageSlot) => R,
  ): Promise<R[]> {
    return runImages(
      this.session,
      this.config,
      images,
      [output],
      (outputs, slots) => {
        const t = pickOutput(outputs, output, this.config.modelId);
        return slots.map((slot) => map(batchRow(t, slot.batchIndex, this.config.modelId, output), slot));
      },
      signal,
    );
  }
}
