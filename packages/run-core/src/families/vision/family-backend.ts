import { invalidParameter } from '../../errors.js';
import { ModelLifecycle } from '../../backends/lifecycle.js';
import { VisionBackend } from '../../backends/vision-backend.js';
import type { VisionCapabilities } from '../../backends/vision-backend.js';
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
} from '../../types/vision.js';
import type { ImageClassifier } from './classifier.js';
import type { ClipModel } from './clip.js';
import type { Detector } from './detector.js';

/** The family pipelines of one loaded model, and how to free their sessions. */
export interface VisionPipelines {
  detector?: Detector;
  classifier?: ImageClassifier;
  clip?: ClipModel;
  /** Disposes the sessions behind the pipelines. */
  dispose(): Promise<void>;
}

/** How a {@link FamilyVisionBackend} is built: what it is, and how to (re)open its pipelines. */
export interface FamilyVisionBackendInit {
  modelId: string;
  modelType: VisionModelType;
  labels: readonly string[];
  capabilities: VisionCapabilities;
  /** Opens sessions and builds the pipelines (called by `load()` after `unload()`). */
  open: () => Promise<VisionPipelines>;
  /** Pipelines already open (the loader opened them to recognise the model). */
  pipelines?: VisionPipelines;
}

/** `classify` options, with `labels` for zero-shot on CLIP-style models. */
export type FamilyClassifyOptions = ClassifyOptions & { labels?: readonly string[]; hypothesisTemplate?: string };

function isTextInput(v: unknown): v is TextInput {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && typeof (v as TextInput).text === 'string';
}

function checkImages(images: unknown): asserts images is readonly ImageInput[] {
  if (!Array.isArray(images)) throw invalidParameter('images', 'an array of images', images);
}

/**
 * A {@link VisionBackend} made of run-core family pipelines (YOLO detectors, image classifiers, CLIP) over any
 * runtime's sessions. Runtimes (run-onnx, run-coreml) recognise the model and hand the pipelines in.
 * @example
 * const backend = new FamilyVisionBackend({ modelId: 'yolox', modelType: 'detection', labels, capabilities, open });
 * await backend.load();
 * (await backend.detect('dog.jpg')).detections.map((d) => d.label); // ['dog', 'bicycle', 'car']
 */
export class FamilyVisionBackend extends VisionBackend {
  readonly modelId: string;
  readonly modelType: VisionModelType;
  readonly labels: readonly string[];
  readonly capabilities: VisionCapabilities;
  private readonly lifecycle: ModelLifecycle<VisionPipelines>;

  constructor(init: FamilyVisionBackendInit) {
    super();
    this.modelId = init.modelId;
    this.modelType = init.modelType;
    this.labels = init.labels;
    this.capabilities = init.capabilities;
    this.lifecycle = new ModelLifecycle({
      open: init.open,
      close: (p) => p.dispose(),
      ...(init.pipelines ? { initial: init.pipelines } : {}),
    });
  }

  get isLoaded(): boolean {
    return this.lifecycle.isLoaded;
  }

  load(): Promise<void> {
    return this.lifecycle.load();
  }

  unload(): Promise<void> {
    return this.lifecycle.unload();
  }

  private get loaded(): VisionPipelines {
    this.assertLoaded();
    return this.lifecycle.value as VisionPipelines;
  }

  override async detect(image: ImageInput, options?: DetectOptions): Promise<DetectionResult> {
    return (await this.batchDetect([image], options))[0] as DetectionResult;
  }

  override async batchDetect(images: readonly ImageInput[], options?: DetectOptions): Promise<DetectionResult[]> {
    checkImages(images);
    const { detector } = this.loaded;
    if (!detector) throw this.unsupported('detect');
    if (images.length === 0) return [];
    return detector.detect(images, options);
  }

  override async classify(image: ImageInput, options?: FamilyClassifyOptions): Promise<ClassificationResult> {
    return (await this.batchClassify([image], options))[0] as ClassificationResult;
  }

  override async batchClassify(
    images: readonly ImageInput[],
    options: FamilyClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    checkImages(images);
    const { classifier, clip } = this.loaded;
    if (images.length === 0) return [];
    if (options.labels !== undefined) {
      if (!clip) throw this.unsupported('classify with free-form labels (zero-shot needs a CLIP-style model)');
      return clip.zeroShot(images, { ...options, labels: options.labels });
    }
    if (classifier?.config.outputName !== undefined) return classifier.classify(images, options);
    if (clip) throw this.unsupported('classify without `labels` (pass candidate labels for zero-shot)');
    throw this.unsupported('classify');
  }

  override async embed(input: ImageInput | TextInput, options?: EmbedOptions): Promise<EmbeddingResult> {
    return (await this.batchEmbed([input], options))[0] as EmbeddingResult;
  }

  override async batchEmbed(
    inputs: readonly (ImageInput | TextInput)[],
    options?: EmbedOptions,
  ): Promise<EmbeddingResult[]> {
    if (!Array.isArray(inputs)) throw invalidParameter('inputs', 'an array of images or { text } objects', inputs);
    const { classifier, clip } = this.loaded;
    const imageIdx: number[] = [];
    const textIdx: number[] = [];
    inputs.forEach((x, i) => (isTextInput(x) ? textIdx.push(i) : imageIdx.push(i)));
    const out = new Array<EmbeddingResult>(inputs.length);
    if (textIdx.length > 0) {
      if (!clip) throw this.unsupported('embed text (it has no text tower)');
      const r = await clip.embedTexts(
        textIdx.map((i) => (inputs[i] as TextInput).text),
        options,
      );
      textIdx.forEach((i, k) => (out[i] = r[k] as EmbeddingResult));
    }
    if (imageIdx.length > 0) {
      const images = imageIdx.map((i) => inputs[i] as ImageInput);
      let r: EmbeddingResult[];
      if (clip) r = await clip.embedImages(images, options);
      else if (classifier?.config.embeddingOutput !== undefined) r = await classifier.embed(images, options);
      else throw this.unsupported('embed images (it has no embedding output)');
      imageIdx.forEach((i, k) => (out[i] = r[k] as EmbeddingResult));
    }
    return out;
  }
}
