import type { ClassificationResult, DetectionResult, EmbeddingResult } from '@llama-pajamas/run-core';

function round(n: number, d = 4): number {
  const p = 10 ** d;
  return Math.round(n * p) / p;
}

/** Encodes a float vector as OpenAI's base64 (little-endian float32 bytes). */
export function embeddingToBase64(v: Float32Array): string {
  const le = new Float32Array(v);
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

/** An embedding vector as the response's `encoding_format` asks for it. */
export function encodeEmbedding(v: Float32Array, format: 'float' | 'base64'): number[] | string {
  return format === 'base64' ? embeddingToBase64(v) : Array.from(v);
}

/** The fields every per-image result object starts with. */
function imageObject(
  object: string,
  index: number,
  result: { imageWidth: number; imageHeight: number },
): Record<string, unknown> {
  return { object, index, width: result.imageWidth, height: result.imageHeight };
}

/** The `image.detection` object of one image. */
export function toDetection(result: DetectionResult, index: number): Record<string, unknown> {
  return {
    ...imageObject('image.detection', index, result),
    detections: result.detections.map((d) => ({
      class_id: d.classId,
      class_name: d.label,
      confidence: round(d.confidence),
      box: { x1: round(d.box.x1, 2), y1: round(d.box.y1, 2), x2: round(d.box.x2, 2), y2: round(d.box.y2, 2) },
    })),
  };
}

/** The `image.classification` object of one image. */
export function toClassification(result: ClassificationResult, index: number): Record<string, unknown> {
  return {
    ...imageObject('image.classification', index, result),
    predictions: result.predictions.map((p) => ({
      class_id: p.classId,
      class_name: p.label,
      score: round(p.score, 6),
    })),
  };
}

/** The `embedding` object of one image or text of `/v1/images/embed`. */
export function toEmbedding(
  result: EmbeddingResult,
  index: number,
  format: 'float' | 'base64',
): Record<string, unknown> {
  return {
    object: 'embedding',
    index,
    source: result.source,
    normalized: result.normalized,
    embedding: encodeEmbedding(result.embedding, format),
  };
}
