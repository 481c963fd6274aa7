import { describe, expect, it } from 'vitest';
import { createTensor } from '@llama-pajamas/run-core';
import {
  acceptsShape,
  describeAcceptedShapes,
  prepareFeed,
  readCoreMLSpec,
  resolveComputeUnits,
} from '../src/index.js';
import { fixtures } from './fixtures/index.js';

const f32 = (dims: number[]) => createTensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

describe('feeds checked against real model descriptions', () => {
  it('accepts enumerated shapes and ranges, and rejects anything else with the accepted shapes named', async () => {
    const [a, b] = (await readCoreMLSpec(fixtures.flexible)).inputs;
    expect(acceptsShape(a!, [2, 4])).toBe(true);
    expect(acceptsShape(a!, [3, 4])).toBe(false);
    expect(acceptsShape(b!, [16, 4])).toBe(true);
    expect(acceptsShape(b!, [17, 4])).toBe(false);
    expect(acceptsShape(b!, [3, 4, 1])).toBe(false);
    expect(describeAcceptedShapes(b!)).toBe('[1..16, 4]');
    expect(() => prepareFeed(a!, f32([3, 4]), 'flexible')).toThrowErrorMatchingInlineSnapshot(
      `[TensorShapeError: Input 'a' of 'flexible' accepts one of [1, 4], [2, 4], [4, 4] but the feed has [3, 4].]`,
    );
    expect(prepareFeed(b!, f32([9, 4]))).toMatchObject({ type: 'float32', dims: [9, 4] });
  });

  it('converts float32 feeds for a float16 model and keeps the data otherwise', async () => {
    const [x] = (await readCoreMLSpec(fixtures.linear)).inputs;
    const t = createTensor('float32', new Float32Array([1, -2, 0.5, 65504]), [1, 4]);
    expect(prepareFeed(x!, t)).toEqual({
      type: 'float16',
      dims: [1, 4],
      data: new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff]),
    });
    const [x32] = (await readCoreMLSpec(fixtures.linearFp32)).inputs;
    expect(prepareFeed(x32!, t)).toBe(t); // no copy when the type already matches
  });

  it('converts float32 to float64 for the classifier and int64 to int32 with a range check', async () => {
    const [features] = (await readCoreMLSpec(fixtures.classifier)).inputs;
    const out = prepareFeed(features!, createTensor('float32', new Float32Array([0.5, 1, 2, 3]), [4]));
    expect(out).toEqual({ type: 'float64', dims: [4], data: new Float64Array([0.5, 1, 2, 3]) });
    const ids = { name: 'ids', kind: 'multiArray' as const, type: 'int32' as const, dims: [2], optional: false };
    expect(prepareFeed(ids, createTensor('int64', new BigInt64Array([1n, -2n]), [2]))).toEqual({
      type: 'int32',
      dims: [2],
      data: new Int32Array([1, -2]),
    });
    expect(() => prepareFeed(ids, createTensor('int64', new BigInt64Array([1n, 2n ** 40n]), [2]))).toThrow(
      /holds 1099511627776, which does not fit the int32/,
    );
    expect(() => prepareFeed(ids, createTensor('uint8', new Uint8Array(2), [2]))).toThrow(
      /holds int32 but the feed is uint8/,
    );
  });

  it('refuses image inputs with a clear message', async () => {
    const [image] = (await readCoreMLSpec(fixtures.imageInput)).inputs;
    expect(() => prepareFeed(image!, f32([1, 3, 8, 8]), 'image_input')).toThrow(
      /Input 'image' of 'image_input' is an image feature; this binding feeds multi-arrays only/,
    );
  });

  it('maps compute units and execution-provider names', () => {
    expect(resolveComputeUnits()).toBe('all');
    expect(resolveComputeUnits({ computeUnits: 'cpuOnly' })).toBe('cpuOnly');
    expect(resolveComputeUnits({ executionProviders: ['ane'] })).toBe('cpuAndNeuralEngine');
    expect(resolveComputeUnits({ executionProviders: ['gpu', 'cpu'] })).toBe('cpuAndGpu');
    expect(() => resolveComputeUnits({ executionProviders: ['cuda'] })).toThrow(/for executionProviders\[0\]/);
    expect(() => resolveComputeUnits({ computeUnits: 'npu' as never })).toThrow(/one of all, cpuAndNeuralEngine/);
  });
});
