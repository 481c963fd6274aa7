import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '@llama-pajamas/run-server';
import { parseModelSpec, startServer } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Real pretrained YOLOX-Nano from /work/shared/models (provenance: its MANIFEST.json). */
const yolox = fileURLToPath(new URL('../../../../shared/models/detection/yolox_nano.onnx', import.meta.url));

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

async function serveAndStop(args: string[]): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, LLAMA_PAJAMAS_API_KEY: 'sk-cli' } });
  try {
    await waitFor(child, /loaded detect model 'yolox'/);
    const [, url] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { models: { model: string; loaded: boolean }[] };
    expect(body.models).toEqual([expect.objectContaining({ model: 'yolox', loaded: true })]);
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

  it('fails with a clear message and exit 1 when no model is given', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', 'serve'],
      { cwd: root },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/No models to serve/);
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
