import { UnsupportedOperationError } from '../errors.js';
import type {
  ClassificationResult,
  ClassifyOptions,
  DetectionResult,
  DetectOptions,
  EmbeddingResult,
  EmbedOptions,
  ImageInput,
  TextInput,
  VisionModelType,
} from '../types/vision.js';
import { ModelBackend } from './model-backend.js';

/** What a vision backend can do, so callers (and the server) can route without trying. */
export interface VisionCapabilities {
  detect: boolean;
  classify: boolean;
  embedImage: boolean;
  embedText: boolean;
}

/**
 * A vision model: detection, classification or embeddings. Methods the model cannot serve throw
 * `ERR_RUN_UNSUPPORTED_OPERATION`. The `batch*` defaults run one image at a time; backends whose model has a
 * dynamic batch dimension override them with one batched run.
 */
export abstract class VisionBackend extends ModelBackend {
  abstract readonly modelType: VisionModelType;
  abstract readonly capabilities: VisionCapabilities;
  /** Class names, index = class id (empty for pure embedding models). */
  abstract readonly labels: readonly string[];

  /** Finds objects; boxes are in source-image pixels. */
  detect(_image: ImageInput, _options?: DetectOptions): Promise<DetectionResult> {
    return Promise.reject(this.unsupported('detect'));
  }

  /** Returns the top classes of the image, or zero-shot scores when `options.labels` is given to a CLIP model. */
  classify(
    _image: ImageInput,
    _options?: ClassifyOptions & { labels?: readonly string[] },
  ): Promise<ClassificationResult> {
    return Promise.reject(this.unsupported('classify'));
  }

  /** Embeds an image, or text (`{ text }`) on CLIP-style models. */
  embed(_input: ImageInput | TextInput, _options?: EmbedOptions): Promise<EmbeddingResult> {
    return Promise.reject(this.unsupported('embed'));
  }

  /** Detects in several images; results are in input order. */
  async batchDetect(images: readonly ImageInput[], options?: DetectOptions): Promise<DetectionResult[]> {
    const out: DetectionResult[] = [];
    for (const image of images) out.push(await this.detect(image, options));
    return out;
  }

  /** Classifies several images; results are in input order. */
  async batchClassify(
    images: readonly ImageInput[],
    options?: ClassifyOptions & { labels?: readonly string[] },
  ): Promise<ClassificationResult[]> {
    const out: ClassificationResult[] = [];
    for (const image of images) out.push(await this.classify(image, options));
    return out;
  }

  /** Embeds several inputs; results are in input order. */
  async batchEmbed(inputs: readonly (ImageInput | TextInput)[], options?: EmbedOptions): Promise<EmbeddingResult[]> {
    const out: EmbeddingResult[] = [];
    for (const input of inputs) out.push(await this.embed(input, options));
    return out;
  }

  protected unsupported(operation: string): UnsupportedOperationError {
    return new UnsupportedOperationError(
      `Model '${this.modelId}' is a ${this.modelType} model and cannot ${operation}.`,
      { details: { model: this.modelId, operation, modelType: this.modelType } },
    );
  }
}
