/**
 * An image: its encoded bytes, the path of an image file (a string is always a path, as in sharp), or encoded
 * text marked as such: `{ base64 }` (standard or URL-safe) or `{ dataUrl }` (`data:image/<type>;base64,…`).
 * @example
 * await backend.detect('photos/dog.jpg');
 * await backend.detect({ base64: request.body.image });
 */
export type ImageInput = Uint8Array | string | { readonly base64: string } | { readonly dataUrl: string };

/** Text to embed with a CLIP-style model: `{ text }` keeps it apart from a file path or base64 string. */
export interface TextInput {
  readonly text: string;
}

/** An axis-aligned box in source-image pixels: (x1, y1) top-left, (x2, y2) bottom-right. */
export interface BoundingBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One detected object. */
export interface Detection {
  box: BoundingBox;
  classId: number;
  /** The class name from the model's labels (the class id as text when it has none). */
  label: string;
  confidence: number;
}

/** What `detect` returns for one image. */
export interface DetectionResult {
  detections: Detection[];
  /** Size of the source image after EXIF orientation. */
  imageWidth: number;
  imageHeight: number;
}

/** One class and its probability. */
export interface Classification {
  classId: number;
  label: string;
  score: number;
}

/** What `classify` returns for one image: the top classes, best first. */
export interface ClassificationResult {
  predictions: Classification[];
  imageWidth: number;
  imageHeight: number;
}

/** What `embed` returns for one image or text. */
export interface EmbeddingResult {
  embedding: Float32Array;
  /** Whether `embedding` has unit L2 norm. */
  normalized: boolean;
  source: 'image' | 'text';
}

/** Options of `detect`. */
export interface DetectOptions {
  /** Minimum confidence kept (default 0.25). */
  confidence?: number;
  /** IoU above which the lower-scored box is suppressed (default 0.45). */
  iou?: number;
  /** At most this many detections, best first (default 300). */
  maxDetections?: number;
  /** Keep only these class ids. */
  classes?: readonly number[];
  /** Suppress across classes instead of per class (default false). */
  agnostic?: boolean;
  signal?: AbortSignal;
}

/** Options of `classify`. */
export interface ClassifyOptions {
  /** How many classes to return (default 5). */
  topK?: number;
  signal?: AbortSignal;
}

/** Options of `embed`. */
export interface EmbedOptions {
  /** L2-normalize the embedding (default true). */
  normalize?: boolean;
  signal?: AbortSignal;
}

/** The task a vision model performs. */
export type VisionModelType = 'detection' | 'classification' | 'embedding' | 'zero-shot';
