import { invalidParameter } from '../../errors.js';
import { toSourceBox } from '../../image/geometry.js';
import { filterDetections } from '../../post/nms.js';
import type { InferenceSession } from '../../session.js';
import type { Detection, DetectionResult, DetectOptions, ImageInput } from '../../types/vision.js';
import { decodeDetections } from './detection-heads.js';
import type { DetectionHead } from './head-layouts.js';
import { pickOutput, runImages } from './run-images.js';
import type { ImageRunConfig } from './run-images.js';

/** Default thresholds of a detector (each `detect` call may override them). */
export interface DetectionDefaults {
  /** Minimum confidence (default 0.25). */
  confidence?: number;
  /** NMS IoU threshold (default 0.45). */
  iou?: number;
  /** Most detections per image (default 300). */
  maxDetections?: number;
}

/** Everything a {@link Detector} needs besides its session. */
export interface DetectorConfig extends ImageRunConfig {
  head: DetectionHead;
  /** Name of the output to decode. */
  outputName: string;
  /** Class names, index = class id. */
  labels: readonly string[];
  /** Strides of a YOLOX grid (default 8, 16, 32). */
  strides?: readonly number[];
  defaults?: DetectionDefaults;
  /** Name used in error messages. */
  modelId: string;
}

function checkUnit(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalidParameter(name, 'a number from 0 to 1', v);
  return v;
}

/**
 * A YOLO-family detector over any {@link InferenceSession}: preprocess (letterbox etc.), one run per image or per
 * batch, decode the head, confidence filter, NMS, and map boxes back to source pixels (clipped).
 * @example
 * const det = new Detector(session, { head: 'ultralytics', outputName: 'output0', inputName: 'images', ... });
 * const [r] = await det.detect(['dog.jpg']);
 * // r.detections[0] = { label: 'dog', confidence: 0.96, box: { x1: 130, y1: 220, x2: 310, y2: 540 }, classId: 16 }
 */
export class Detector {
  constructor(
    private readonly session: InferenceSession,
    readonly config: DetectorConfig,
  ) {}

  /** Detects objects in each image; results are in input order. */
  async detect(images: readonly ImageInput[], options: DetectOptions = {}): Promise<DetectionResult[]> {
    const d = this.config.defaults ?? {};
    const confidence = checkUnit('options.confidence', options.confidence ?? d.confidence ?? 0.25);
    const iou = checkUnit('options.iou', options.iou ?? d.iou ?? 0.45);
    const maxDetections = options.maxDetections ?? d.maxDetections ?? 300;
    if (!Number.isInteger(maxDetections) || maxDetections < 0) {
      throw invalidParameter('options.maxDetections', 'a non-negative integer', maxDetections);
    }
    const labels = this.config.labels;
    let classMask: Uint8Array | undefined;
    if (options.classes !== undefined) {
      const classes: readonly number[] = options.classes;
      if (!Array.isArray(classes)) throw invalidParameter('options.classes', 'an array of class ids', classes);
      classMask = new Uint8Array(Math.max(labels.length, 1) + 1024);
      for (const c of classes as readonly unknown[]) {
        if (typeof c !== 'number') throw invalidParameter('options.classes', 'class ids (integers)', c);
        if (!Number.isInteger(c) || c < 0 || c >= classMask.length) {
          throw invalidParameter('options.classes', `class ids from 0 to ${labels.length - 1}`, c);
        }
        classMask[c] = 1;
      }
    }
    const { width, height } = this.config.preprocess;
    return runImages(
      this.session,
      this.config,
      images,
      [this.config.outputName],
      (outputs, slots) => {
        const out = pickOutput(outputs, this.config.outputName, this.config.modelId);
        return slots.map((slot): DetectionResult => {
          const c = decodeDetections(this.config.head, out, slot.batchIndex, {
            inputWidth: width,
            inputHeight: height,
            confidence,
            classMask,
            ...(this.config.strides ? { strides: this.config.strides } : {}),
            modelId: this.config.modelId,
          });
          const keep =
            this.config.head === 'ultralytics-nms'
              ? [...c.scores.keys()]
                  .sort((a, b) => (c.scores[b] as number) - (c.scores[a] as number))
                  .slice(0, maxDetections)
              : filterDetections(c.boxes, c.scores, c.classIds, {
                  confidence,
                  iou,
                  maxDetections,
                  agnostic: options.agnostic ?? false,
                });
          const detections: Detection[] = [];
          for (const i of keep) {
            const o = i * 4;
            const box = toSourceBox(
              {
                x1: c.boxes[o] as number,
                y1: c.boxes[o + 1] as number,
                x2: c.boxes[o + 2] as number,
                y2: c.boxes[o + 3] as number,
              },
              slot.transform,
            );
            if (!(box.x2 > box.x1 && box.y2 > box.y1)) continue;
            const classId = c.classIds[i] as number;
            detections.push({
              box,
              classId,
              label: labels[classId] ?? String(classId),
              confidence: c.scores[i] as number,
            });
          }
          return { detections, imageWidth: slot.sourceWidth, imageHeight: slot.sourceHeight };
        });
      },
      options.signal,
    );
  }
}
