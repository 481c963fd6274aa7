import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coreMLSpecPath, decodeCoreMLSpec, readCoreMLSpec } from '../src/index.js';
import { coremlPython, fixtures, golden, hasCoremlPython, toolsDir } from './fixtures/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'run-coreml-spec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readCoreMLSpec on real coremltools packages', () => {
  it('describes the fp16 ML Program: float16 I/O, user metadata and the about fields', async () => {
    const spec = await readCoreMLSpec(fixtures.linear);
    expect(spec.modelType).toBe('mlProgram');
    expect(spec.specificationVersion).toBe(7);
    expect(spec.inputs).toEqual([{ name: 'x', kind: 'multiArray', type: 'float16', dims: [1, 4], optional: false }]);
    expect(spec.outputs).toEqual([{ name: 'y', kind: 'multiArray', type: 'float16', dims: [1, 3], optional: false }]);
    expect(spec.states).toEqual([]);
    expect(spec.metadata).toMatchObject(golden.linear.metadata);
    expect(spec.metadata['com.github.apple.coremltools.version']).toBe(golden.coremltools);
    expect(spec.about).toEqual({
      description: 'y = relu(x W + b), fp16',
      author: 'llama-pajamas test fixtures',
      license: 'Apache-2.0',
      version: '1.0',
    });
  });

  it('tells fp32 from fp16 I/O', async () => {
    const spec = await readCoreMLSpec(fixtures.linearFp32);
    expect(spec.inputs.map((i) => i.type)).toEqual(['float32']);
    expect(spec.outputs.map((o) => o.type)).toEqual(['float32']);
  });

  it('reads enumerated shapes and shape ranges', async () => {
    const spec = await readCoreMLSpec(fixtures.flexible);
    const [a, b] = spec.inputs;
    expect(a).toMatchObject({
      name: 'a',
      dims: [1, 4],
      shapes: [
        [1, 4],
        [2, 4],
        [4, 4],
      ],
    });
    expect(a!.ranges).toBeUndefined();
    expect(b).toMatchObject({
      name: 'b',
      dims: [2, 4],
      ranges: [
        { min: 1, max: 16 },
        { min: 4, max: 4 },
      ],
    });
  });

  it('reads the states of a stateful model (specification 9, macOS 15)', async () => {
    const spec = await readCoreMLSpec(fixtures.stateful);
    expect(spec.specificationVersion).toBe(9);
    expect(spec.states).toEqual([{ name: 'acc', kind: 'state', type: 'float16', dims: [1, 4], optional: false }]);
  });

  it('reads a neural-network classifier .mlmodel: string and dictionary outputs, predicted feature names', async () => {
    const spec = await readCoreMLSpec(fixtures.classifier);
    expect(spec.modelType).toBe('neuralNetworkClassifier');
    expect(spec.inputs).toEqual([
      { name: 'features', kind: 'multiArray', type: 'float64', dims: [4], optional: false },
    ]);
    expect(spec.outputs.map((o) => [o.name, o.kind])).toEqual([
      ['probs', 'dictionary'],
      ['label', 'string'],
    ]);
    expect(spec.predictedFeatureName).toBe('label');
    expect(spec.predictedProbabilitiesName).toBe('probs');
  });

  it('reads image constraints, with an unbounded range as max -1', async () => {
    const spec = await readCoreMLSpec(fixtures.imageInput);
    expect(spec.inputs[0]).toEqual({
      name: 'image',
      kind: 'image',
      type: 'unknown',
      dims: [],
      optional: false,
      image: {
        width: 8,
        height: 8,
        colorSpace: 'RGB',
        widthRange: { min: 8, max: 32 },
        heightRange: { min: 8, max: -1 },
      },
    });
  });

  it.skipIf(!hasCoremlPython)(
    'agrees with coremltools load_spec on every fixture, field by field (skipped only without .cache/coreml-venv, which tools/test/setup-coreml.sh makes in CI)',
    async () => {
      const paths = Object.values(fixtures).filter((p) => !p.endsWith('.onnx'));
      const out = execFileSync(coremlPython, [join(toolsDir, 'describe.py'), ...paths], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const reference = JSON.parse(out) as Record<string, unknown>;
      for (const path of paths) {
        expect(JSON.parse(JSON.stringify(await readCoreMLSpec(path))), path).toEqual(reference[path]);
      }
    },
  );
});

describe('readCoreMLSpec errors', () => {
  it('finds the root model item through Manifest.json', async () => {
    expect(await coreMLSpecPath(fixtures.linear)).toMatch(
      /linear\.mlpackage\/Data\/com\.apple\.CoreML\/model\.mlmodel$/,
    );
  });

  it('rejects a package without Manifest.json, a non-model extension and garbage bytes with ERR_RUN_COREML_SPEC_INVALID', async () => {
    const broken = join(tmp, 'broken.mlpackage');
    cpSync(fixtures.linear, broken, { recursive: true });
    rmSync(join(broken, 'Manifest.json'));
    await expect(readCoreMLSpec(broken)).rejects.toMatchObject({
      code: 'ERR_RUN_COREML_SPEC_INVALID',
      message: expect.stringContaining('Manifest.json is missing'),
    });
    await expect(readCoreMLSpec(fixtures.linearOnnx)).rejects.toMatchObject({ code: 'ERR_RUN_COREML_SPEC_INVALID' });
    const garbage = join(tmp, 'garbage.mlmodel');
    writeFileSync(garbage, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    await expect(readCoreMLSpec(garbage)).rejects.toMatchObject({ code: 'ERR_RUN_COREML_SPEC_INVALID' });
  });

  it('rejects a truncated specification and a manifest that points outside the package', async () => {
    const bytes = readFileSync(await coreMLSpecPath(fixtures.linear));
    expect(() => decodeCoreMLSpec(bytes.subarray(0, bytes.length - 7), 'cut')).toThrow(
      expect.objectContaining({ code: 'ERR_RUN_COREML_SPEC_INVALID' }),
    );
    const escape = join(tmp, 'escape.mlpackage');
    cpSync(fixtures.linear, escape, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(escape, 'Manifest.json'), 'utf8')) as {
      rootModelIdentifier: string;
      itemInfoEntries: Record<string, { path: string }>;
    };
    manifest.itemInfoEntries[manifest.rootModelIdentifier]!.path = '../../../etc/passwd';
    writeFileSync(join(escape, 'Manifest.json'), JSON.stringify(manifest));
    await expect(readCoreMLSpec(escape)).rejects.toMatchObject({
      code: 'ERR_RUN_COREML_SPEC_INVALID',
      message: expect.stringContaining('names no root model item'),
    });
  });
});
