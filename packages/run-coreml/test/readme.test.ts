import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/test/readme-example.js';
import { fixtures, golden } from './fixtures/index.js';

describe('README example', () => {
  it('runs against the built package and prints what it says', () => {
    const out = runReadmeExample(fileURLToPath(new URL('..', import.meta.url)), {
      'linear.mlpackage': fixtures.linear,
      'linear_fp32.mlpackage': fixtures.linearFp32,
      'linear.onnx': fixtures.linearOnnx,
    });
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'input x float16 [1,4]',
      'task test-linear',
      `runtime ${process.platform === 'darwin' ? 'coreml' : 'onnx'}`,
    ]);
    // relu(x W + b) with the fixture's weights (golden.json), for the x the README feeds.
    const x = [0.5, -1, 2, 0.25];
    const { W, B } = golden.linear;
    const y = B.map((b, j) =>
      Math.max(
        0,
        x.reduce((sum, xi, i) => sum + xi * W[i]![j]!, b),
      ),
    );
    expect(lines[3]).toBe(`y ${y.map((v) => v.toFixed(3)).join(' ')}`);
  });
});
