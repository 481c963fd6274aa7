import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { placeLocalModel } from '@llama-pajamas/models';
import { SERVE_FLAGS } from '@llama-pajamas/run-server';
import { parseModelSpec, startServer } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Real pretrained YOLOX-Nano the repository carries (provenance: tools/models/MANIFEST.json). */
const yolox = asset('models/detection/yolox_nano.onnx');

function waitFor(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${out}`)),
      ms,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${String(code)} before ${String(pattern)}:\n${out}`)));
  });
}

async function serveAndStop(args: string[], env: Record<string, string> = {}, model = 'yolox'): Promise<void> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LLAMA_PAJAMAS_API_KEY: 'sk-cli', ...env },
  });
  try {
    await waitFor(child, new RegExp(`loaded detect model '${model}'`));
    const [, url] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { models: { model: string; loaded: boolean }[] };
    expect(body.models).toEqual([expect.objectContaining({ model, loaded: true })]);
    // The env var API key is in force.
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer sk-cli' } })).status).toBe(200);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('llama-pajamas serve', () => {
  it('parses [name=]path model specs', () => {
    expect(parseModelSpec('detect', 'yolox=/m/yolox_nano.onnx')).toEqual({
      task: 'detect',
      name: 'yolox',
      path: '/m/yolox_nano.onnx',
    });
    expect(parseModelSpec('stt', '/m/whisper-tiny')).toMatchObject({ name: 'whisper-tiny' });
  });

  it('serves a real model from source, answers /health, and exits 0 on SIGTERM', async () => {
    await serveAndStop([
      '--conditions=@llama-pajamas/source',
      '--import',
      'tsx',
      'src/cli.ts',
      'serve',
      '--detect',
      `yolox=${yolox}`,
      '--port',
      '0',
    ]);
  });

  const dist =
    existsSync(`${root}dist/cli.js`) &&
    existsSync(`${root}../run-onnx/dist/index.js`) &&
    existsSync(`${root}../run-server/dist/index.js`);
  it.runIf(dist)(
    'serves from the tsup build (dist/cli.js) as well [runs once `pnpm --filter llama-pajamas... build` has run]',
    async () => {
      await serveAndStop(['dist/cli.js', 'serve', '--detect', `yolox=${yolox}`, '--port', '0']);
    },
  );

  it('with no model flags and an empty model cache: says what to pull, exit 1', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'lp-serve-empty-'));
    const child = spawn(
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', 'serve'],
      { cwd: root, env: { ...process.env, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' } },
    );
    let all = '';
    child.stdout.on('data', (d: Buffer) => (all += d.toString()));
    child.stderr.on('data', (d: Buffer) => (all += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(all).toContain('not serving detect: yolox-nano is not in the cache (`llama-pajamas pull yolox-nano`)');
    expect(all).toMatch(/No models to serve/);
  });

  it('serves a model by its catalog name from the model cache, offline (the local namespace)', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'lp-serve-cache-'));
    await placeLocalModel({
      name: 'yolox-nano',
      files: [{ path: 'yolox_nano.onnx', from: yolox }],
      entry: 'yolox_nano.onnx',
      source: { kind: 'repository', origin: 'tools/models/detection/yolox_nano.onnx', license: 'Apache-2.0' },
      hub: { cacheDir: cache },
    });
    expect(parseModelSpec('detect', 'yolox-nano')).toEqual({ task: 'detect', name: 'yolox-nano', path: 'yolox-nano' });
    expect(parseModelSpec('stt', 'hf:Xenova/whisper-tiny.en@main')).toMatchObject({ name: 'whisper-tiny.en' });
    await serveAndStop(
      [
        '--conditions=@llama-pajamas/source',
        '--import',
        'tsx',
        'src/cli.ts',
        'serve',
        '--detect',
        'yolox-nano',
        '--port',
        '0',
      ],
      { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' },
      'yolox-nano',
    );
  });

  it('has one model flag per serve flag of the task table', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', 'serve', '--help'],
      { cwd: root },
    );
    let help = '';
    child.stdout.on('data', (d: Buffer) => (help += d.toString()));
    expect(await new Promise<number | null>((r) => child.on('exit', r))).toBe(0);
    const flags = [...help.matchAll(/^\s+--([a-z]+) <model>\s+(.+)$/gm)].map((m) => [m[1], m[2]]);
    expect(flags).toEqual(SERVE_FLAGS.map((f) => [f.flag, f.help]));
    expect(flags.map(([f]) => f)).toEqual(['detect', 'classify', 'embed', 'stt', 'tts', 'chat']);
  });

  it('refuses two models with one name before loading any', async () => {
    await expect(
      startServer({ models: [parseModelSpec('detect', 'm=/nowhere/a.onnx'), parseModelSpec('stt', 'm=/nowhere/b')] }),
    ).rejects.toThrow("Two models are named 'm' (--detect /nowhere/a.onnx and --stt /nowhere/b)");
  });
});
