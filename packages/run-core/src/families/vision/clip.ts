import { Tokenizer } from '@huggingface/tokenizers';
import {
  InvalidArgumentError,
  TextTooLongError,
  UnsupportedOperationError,
  invalidParameter,
  throwIfAborted,
} from '../../errors.js';
import { l2Normalize, softmax, topK } from '../../post/math.js';
import type { InferenceSession } from '../../session.js';
import { createTensor } from '../../tensor.js';
import type { Tensor } from '../../tensor.js';
import type {
  ClassificationResult,
  ClassifyOptions,
  EmbeddingResult,
  EmbedOptions,
  ImageInput,
} from '../../types/vision.js';
import { batchRow } from './classifier.js';
import { pickOutput, runImages } from './run-images.js';
import type { ImageRunConfig } from './run-images.js';

/** What CLIP needs from a tokenizer: token ids with the start and end tokens. */
export interface TextTokenizer {
  encode(text: string): { ids: number[] };
}

/**
 * Builds a {@link TextTokenizer} from a Hugging Face `tokenizer.json` (and `tokenizer_config.json`) with
 * `@huggingface/tokenizers`.
 * @example
 * const tok = createTokenizer(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfigJson));
 * tok.encode('a photo of a cat').ids; // [49406, 320, 1125, 539, 320, 2368, 49407]
 */
export function createTokenizer(tokenizerJson: object, tokenizerConfig: object = {}): TextTokenizer {
  const t = new Tokenizer(tokenizerJson, tokenizerConfig);
  return { encode: (text: string) => ({ ids: t.encode(text).ids }) };
}

/** The text tower of a CLIP model (its own graph, or the text half of a combined graph). */
export interface ClipTextConfig {
  inputIdsName: string;
  /** Present when the graph takes an attention mask. */
  attentionMaskName?: string;
  outputName: string;
  dynamicBatch: boolean;
}

/** Everything a {@link ClipModel} needs besides its sessions and tokenizer. */
export interface ClipConfig extends ImageRunConfig {
  /** Output with the projected image embedding `[N, D]`. */
  imageOutput: string;
  text?: ClipTextConfig;
  /** Whether image and text share one graph (`onnx/model.onnx`), which then needs dummy feeds for the other half. */
  combined: boolean;
  /** Multiplier of cosine similarities before the zero-shot softmax (`exp(logit_scale)`, 100 for trained CLIP). */
  logitScale: number;
  /** Longest token sequence the text tower takes (default 77). */
  maxTextLength?: number;
  /** Token used to pad a batch of texts (CLIP: the end token). */
  padTokenId: number;
  /** Prompt for zero-shot labels; `{}` is replaced by the label (default `'This is a photo of {}.'`). */
  hypothesisTemplate?: string;
  modelId: string;
}

/** Options of {@link ClipModel.zeroShot}. */
export interface ZeroShotOptions extends ClassifyOptions {
  /** Candidate labels (at least one). */
  labels: readonly string[];
  /** Prompt with `{}` for the label (default the model's, `'This is a photo of {}.'`). */
  hypothesisTemplate?: string;
}

/** Most characters of one text accepted before tokenizing. */
const MAX_TEXT_CHARS = 10_000;
const MAX_CACHED_TEXTS = 1024;

/**
 * A CLIP-style dual encoder over {@link InferenceSession}s: image embeddings, text embeddings, and zero-shot
 * classification (softmax over `logitScale × cosine` against label prompts, whose embeddings are cached).
 * @example
 * const clip = new ClipModel(visionSession, textSession, tokenizer, config);
 * const [r] = await clip.zeroShot(['cat.jpg'], { labels: ['cat', 'dog'] });
 * // r.predictions = [{ classId: 0, label: 'cat', score: 0.97 }, { classId: 1, label: 'dog', score: 0.03 }]
 */
export class ClipModel {
  private readonly textCache = new Map<string, Float32Array>();

  constructor(
    private readonly imageSession: InferenceSession,
    private readonly textSession: InferenceSession | undefined,
    private readonly tokenizer: TextTokenizer | undefined,
    readonly config: ClipConfig,
  ) {}

  /** Whether text can be embedded (a text tower and a tokenizer are present). */
  get hasText(): boolean {
    return this.textSession !== undefined && this.tokenizer !== undefined && this.config.text !== undefined;
  }

  /** Image embeddings (L2-normalized unless `normalize: false`). */
  async embedImages(images: readonly ImageInput[], options: EmbedOptions = {}): Promise<EmbeddingResult[]> {
    const normalize = options.normalize ?? true;
    const raw = await this.imageEmbeddings(images, options.signal);
    return raw.map((e) => ({
      embedding: normalize ? l2Normalize(e) : e,
      normalized: normalize,
      source: 'image' as const,
    }));
  }

  /** Text embeddings (L2-normalized unless `normalize: false`). */
  async embedTexts(texts: readonly string[], options: EmbedOptions = {}): Promise<EmbeddingResult[]> {
    const normalize = options.normalize ?? true;
    const raw = await this.textEmbeddings(texts, options.signal);
    return raw.map((e) => ({
      embedding: normalize ? l2Normalize(e) : e,
      normalized: normalize,
      source: 'text' as const,
    }));
  }

  /** Zero-shot classification of each image against `options.labels`. */
  async zeroShot(images: readonly ImageInput[], options: ZeroShotOptions): Promise<ClassificationResult[]> {
    const labels = options.labels;
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l.length > 0)) {
      throw invalidParameter('options.labels', 'a non-empty array of non-empty strings', labels);
    }
    const k = options.topK ?? labels.length;
    if (!Number.isInteger(k) || k < 1) throw invalidParameter('options.topK', 'a positive integer', k);
    const template = options.hypothesisTemplate ?? this.config.hypothesisTemplate ?? 'This is a photo of {}.';
    const prompts = labels.map((l: string) => template.replace('{}', l));
    const textEmb = await this.cachedTextEmbeddings(prompts, options.signal);
    const imgs = await this.imageEmbeddings(images, options.signal, true);
    return imgs.map(({ embedding, width, height }) => {
      const img = l2Normalize(embedding);
      const logits = new Float32Array(labels.length);
      for (let j = 0; j < labels.length; j++) {
        const t = textEmb[j] as Float32Array;
        let dot = 0;
        for (let d = 0; d < t.length; d++) dot += (img[d] as number) * (t[d] as number);
        logits[j] = this.config.logitScale * dot;
      }
      const probs = softmax(logits);
      return {
        predictions: topK(probs, k).map(({ index, score }) => ({
          classId: index,
          label: labels[index] as string,
          score,
        })),
        imageWidth: width,
        imageHeight: height,
      };
    });
  }

  private imageEmbeddings(images: readonly ImageInput[], signal?: AbortSignal): Promise<Float32Array[]>;
  private imageEmbeddings(
    images: readonly ImageInput[],
    signal: AbortSignal | undefined,
    withSize: true,
  ): Promise<{ embedding: Float32Array; width: number; height: number }[]>;
  private async imageEmbeddings(
    images: readonly ImageInput[],
    signal?: AbortSignal,
    withSize?: boolean,
  ): Promise<Float32Array[] | { embedding: Float32Array; width: number; height: number }[]> {
    const output = this.config.imageOutput;
    const model = this.config.modelId;
    const results = await runImages(
      this.imageSession,
      { ...this.config, extraFeeds: this.config.combined ? (n) => this.dummyTextFeeds(n) : undefined },
      images,
      [output],
      (outputs, slots) => {
        const t = pickOutput(outputs, output, model);
        return slots.map((s) => ({
          embedding: batchRow(t, s.batchIndex, model, output).slice(),
          width: s.sourceWidth,
          height: s.sourceHeight,
        }));
      },
      signal,
    );
    return withSize ? results : results.map((r) => r.embedding);
  }

  private async cachedTextEmbeddings(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((t) => !this.textCache.has(t)))];
    if (missing.length > 0) {
      const emb = await this.textEmbeddings(missing, signal);
      if (this.textCache.size + missing.length > MAX_CACHED_TEXTS) this.textCache.clear();
      missing.forEach((t, i) => this.textCache.set(t, l2Normalize(emb[i] as Float32Array)));
    }
    return texts.map((t) => this.textCache.get(t) as Float32Array);
  }

  private tokenize(text: string): number[] {
    if (typeof text !== 'string') throw invalidParameter('text', 'a string', text);
    if (text.length > MAX_TEXT_CHARS) {
      throw new TextTooLongError(
        `The text is ${text.length} characters but at most ${MAX_TEXT_CHARS} are accepted for a CLIP text embedding (which reads only the first ${this.config.maxTextLength ?? 77} tokens).`,
        { details: { length: text.length, maxChars: MAX_TEXT_CHARS } },
      );
    }
    const ids = this.tokenizer!.encode(text).ids;
    const max = this.config.maxTextLength ?? 77;
    if (ids.length <= max) return ids;
    // Keep the end token last, as HF truncation with special tokens does.
    return [...ids.slice(0, max - 1), ids[ids.length - 1] as number];
  }

  private async textEmbeddings(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const text = this.config.text;
    if (!this.hasText || text === undefined) {
      throw new UnsupportedOperationError(
        `Model '${this.config.modelId}' has no text tower or tokenizer, so it cannot embed text. Give a folder with onnx/text_model.onnx (or onnx/model.onnx) and tokenizer.json.`,
        { details: { model: this.config.modelId } },
      );
    }
    if (texts.length === 0)
      throw new InvalidArgumentError('Expected at least one text to embed.', { details: { param: 'texts' } });
    const tokenized = texts.map((t) => this.tokenize(t));
    const groups = text.dynamicBatch ? [tokenized] : tokenized.map((t) => [t]);
    const out: Float32Array[] = [];
    for (const group of groups) {
      throwIfAborted(signal);
      const len = Math.max(...group.map((g) => g.length));
      const ids = new BigInt64Array(group.length * len).fill(BigInt(this.config.padTokenId));
      const mask = new BigInt64Array(group.length * len);
      group.forEach((g, i) => {
        for (let j = 0; j < g.length; j++) {
          ids[i * len + j] = BigInt(g[j] as number);
          mask[i * len + j] = 1n;
        }
      });
      const feeds: Record<string, Tensor> = {
        ...(this.config.combined ? this.dummyImageFeeds() : {}),
        [text.inputIdsName]: createTensor('int64', ids, [group.length, len]),
      };
      if (text.attentionMaskName) feeds[text.attentionMaskName] = createTensor('int64', mask, [group.length, len]);
      const outputs = await this.textSession!.run(feeds, { outputNames: [text.outputName], signal });
      const t = pickOutput(outputs, text.outputName, this.config.modelId);
      for (let i = 0; i < group.length; i++) out.push(batchRow(t, i, this.config.modelId, text.outputName).slice());
    }
    return out;
  }

  private dummyTextFeeds(batch: number): Record<string, Tensor> {
    void batch;
    const text = this.config.text;
    if (!text) return {};
    const feeds: Record<string, Tensor> = {
      [text.inputIdsName]: createTensor('int64', new BigInt64Array([BigInt(this.config.padTokenId)]), [1, 1]),
    };
    if (text.attentionMaskName) feeds[text.attentionMaskName] = createTensor('int64', new BigInt64Array([1n]), [1, 1]);
    return feeds;
  }

  private dummyImageFeeds(): Record<string, Tensor> {
    const { width, height } = this.config.preprocess;
    return {
      [this.config.inputName]: createTensor('float32', new Float32Array(3 * width * height), [1, 3, height, width]),
    };
  }
}
