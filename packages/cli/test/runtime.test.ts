import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COREML_ERROR_CODES } from '@llama-pajamas/run-coreml';
import { RUN_ERROR_STATUS } from '@llama-pajamas/run-server';
import { describe, expect, it } from 'vitest';
import { readConfigFile, startServer } from '../src/index.js';
import { pickRuntime } from '../src/runtime.js';
import { asset } from '../../../tools/test/assets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Real pretrained YOLOX-Nano the repository carries (provenance: tools/models/MANIFEST.json). */
const yolox = asset('models/detection/yolox_nano.onnx');
const dog = asset('media/images/dog.jpg');
const tmp = mkdtempSync(join(tmpdir(), 'lp-runtime-'));

/** Runs the cli from source; resolves with its exit code and everything it printed. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', ...args],
    {
      cwd: root,
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

interface HealthModel {
  model: string;
  loaded: boolean;
  runtime?: string;
  execution_providers?: string[];
  compute_units?: string;
  compiling?: boolean;
}

describe('--runtime and /health (real server on loopback, real YOLOX-Nano)', () => {
  it('auto serves an ONNX model on onnx and /health says so', async () => {
    const s = await startServer({
      models: [{ task: 'detect', name: 'yolox', path: yolox }],
      port: 0,
      playground: false,
    });
    try {
      const health = (await (await fetch(`${s.address}/health`)).json()) as { status: string; models: HealthModel[] };
      expect(health.status).toBe('ok');
      // The existing fields are run-server's (its health-runtime test); here: what the cli's loading adds.
      expect(health.models).toEqual([
        expect.objectContaining({ model: 'yolox', loaded: true, runtime: 'onnx', execution_providers: ['cpu'] }),
      ]);
      expect(Object.keys(health.models[0]!)).not.toContain('compute_units');
    } finally {
      await s.close();
    }
  });

  it('the config file takes "runtime" for the server and per model, and "computeUnits"; bad values are refused', async () => {
    const file = join(tmp, 'serve.json');
    writeFileSync(
      file,
      JSON.stringify({
        runtime: 'coreml',
        computeUnits: 'cpuOnly',
        models: [{ task: 'detect', path: yolox, runtime: 'onnx' }],
      }),
    );
    const config = await readConfigFile(file);
    expect(config).toMatchObject({ runtime: 'coreml', computeUnits: 'cpuOnly' });
    expect(config.models[0]).toMatchObject({ name: 'yolox_nano', runtime: 'onnx' });
    // The model's own runtime wins over the server's: it loads on onnx even though the server says coreml.
    const s = await startServer({ ...config, port: 0, playground: false });
    try {
      const health = (await (await fetch(`${s.address}/health`)).json()) as { models: HealthModel[] };
      expect(health.models[0]).toMatchObject({ model: 'yolox_nano', runtime: 'onnx', execution_providers: ['cpu'] });
    } finally {
      await s.close();
    }
    writeFileSync(file, JSON.stringify({ runtime: 'metal', models: [] }));
    await expect(readConfigFile(file)).rejects.toThrow('"runtime" must be one of auto, coreml, onnx; got "metal"');
    writeFileSync(file, JSON.stringify({ models: [{ task: 'detect', path: yolox, runtime: 3 }] }));
    await expect(readConfigFile(file)).rejects.toThrow('"runtime" must be one of auto, coreml, onnx; got 3');
    writeFileSync(file, JSON.stringify({ computeUnits: 'neuralEngine', models: [] }));
    await expect(readConfigFile(file)).rejects.toThrow('"computeUnits" must be one of all, cpuAndNeuralEngine');
  });

  it.runIf(process.platform !== 'darwin')(
    'auto picks onnx off macOS even when the folder holds a converted CoreML model [off macOS only; on macOS run-coreml test/darwin runs the real addon instead]',
    async () => {
      const dir = join(tmp, 'yolox-both');
      mkdirSync(join(dir, 'yolox_nano.mlpackage', 'Data'), { recursive: true });
      expect(await pickRuntime('auto', dir)).toBe('onnx');
      expect(await pickRuntime('onnx', dir)).toBe('onnx');
    },
  );

  it.runIf(process.platform !== 'darwin')(
    'coreml off macOS: serve and detect exit 8 with the typed error that names run-onnx, and the cli flag to use [off macOS only; on macOS run-coreml test/darwin runs the real addon instead]',
    async () => {
      await expect(
        startServer({ models: [{ task: 'detect', name: 'y', path: yolox }], runtime: 'coreml', port: 0 }),
      ).rejects.toMatchObject({ code: 'ERR_RUN_COREML_UNSUPPORTED_PLATFORM' });
      for (const args of [
        ['serve', '--runtime', 'coreml', '--detect', yolox, '--port', '0'],
        ['detect', dog, '--runtime', 'coreml', '--model', yolox],
      ]) {
        const r = await cli(args);
        expect(r.code).toBe(8);
        expect(r.out).not.toContain('listening on');
        expect(r.err).toContain(
          `llama-pajamas: CoreML runs only on macOS 13 or newer, but this is ${process.platform}-`,
        );
        expect(r.err).toContain('@llama-pajamas/run-onnx');
        expect(r.err).toContain('use --runtime onnx');
        expect(r.err).not.toMatch(/\n\s+at /); // a message, not a stack trace
      }
    },
  );

  it('an unknown --runtime or --compute-units is a usage error (exit 2)', async () => {
    const r = await cli(['detect', dog, '--runtime', 'metal', '--model', yolox]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Expected one of auto, coreml, onnx.');
    const u = await cli(['serve', '--compute-units', 'ane', '--detect', yolox]);
    expect(u.code).toBe(2);
    expect(u.err).toContain('Expected one of all, cpuAndNeuralEngine, cpuAndGpu, cpuOnly.');
  });
});

describe("run-server's status table for run-coreml's codes", () => {
  it('has every CoreML code: missing platform, addon or feature is 501, a failed compile, load or run 500', () => {
    const rows = Object.fromEntries(COREML_ERROR_CODES.map((code) => [code, RUN_ERROR_STATUS[code]?.status]));
    expect(rows).toEqual({
      ERR_RUN_COREML_UNSUPPORTED_PLATFORM: 501,
      ERR_RUN_COREML_BINDING_NOT_FOUND: 501,
      ERR_RUN_COREML_UNSUPPORTED_FEATURE: 501,
      ERR_RUN_COREML_COMPILE: 500,
      ERR_RUN_COREML_LOAD: 500,
      ERR_RUN_COREML_PREDICTION: 500,
      ERR_RUN_COREML_SPEC_INVALID: 500,
    });
  });
});

describe('what /health says about a CoreML model while it compiles', () => {
  // run-coreml's real compiled-model cache (ensureCompiled, compilingModels) with its compile step handed in, as
  // its API takes it, since CoreML's compiler exists only on macOS; the session comes from a test Backend at the
  // registry seam, shaped as run-coreml's sessions are (`computeUnits`).
  it('is compiling while a first compile of one of its files runs, then reports the session’s compute units', async () => {
    const { ensureCompiled } = await import('@llama-pajamas/run-coreml');
    const { RecordingBackend, describeRecorded } = await import('../src/runtime.js');
    const pkg = join(tmp, 'slow.mlpackage');
    mkdirSync(join(pkg, 'Data'), { recursive: true });
    writeFileSync(join(pkg, 'Manifest.json'), '{}');
    let finish: () => void = () => undefined;
    const compiled = new Promise<void>((resolve) => (finish = resolve));
    const seam = {
      files: {
        extensions: ['.mlpackage'],
        dtypeSuffixes: { fp16: [''], fp32: [], int8: [] },
        dtypePreference: ['fp16'],
      },
      init: () => Promise.resolve(),
      createSession: async (model: unknown) => {
        await ensureCompiled(String(model), {
          cacheDir: join(tmp, 'cache'),
          osBuild: 'test',
          compile: async (_source, destination) => {
            await compiled;
            mkdirSync(destination, { recursive: true });
            return destination;
          },
        });
        return {
          computeUnits: 'cpuAndGpu',
          inputs: [],
          outputs: [],
          metadata: {},
          run: () => Promise.resolve({}),
          dispose: () => Promise.resolve(),
        };
      },
    } as unknown as ConstructorParameters<typeof RecordingBackend>[0];
    const compiles: string[] = [];
    const recorder = new RecordingBackend(seam, (file) => compiles.push(file));
    const opening = recorder.createSession(pkg);
    const session = { computeUnits: 'cpuAndGpu' as const };
    await expect.poll(() => describeRecorded(recorder, 'coreml', session).compiling, { timeout: 10_000 }).toBe(true);
    expect(describeRecorded(recorder, 'coreml', session)).toEqual({
      runtime: 'coreml',
      computeUnits: 'cpuAndGpu',
      compiling: true,
    });
    await expect.poll(() => compiles, { timeout: 10_000 }).toEqual([pkg]);
    finish();
    await opening;
    expect(describeRecorded(recorder, 'coreml', {})).toEqual({
      runtime: 'coreml',
      computeUnits: 'cpuAndGpu',
      compiling: false,
    });
  });
});
