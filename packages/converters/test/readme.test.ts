import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)));
    expect(out.trim().split('\n')).toEqual([
      'yolo --weights /models/yolov8n.pt --out /models/yolov8n --precision fp16 --onnx fp32,fp16 --imgsz 640',
      'true',
    ]);
  });
});
