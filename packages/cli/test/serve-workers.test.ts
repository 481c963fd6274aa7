import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

// `llama-pajamas serve --workers N`: real models in worker threads behind the real command, from source (the parent
// under tsx, the workers through tsx's tsImport) and from the tsup build (dist/worker-entry.js of run-core).

const root = fileURLToPath(new URL('..', import.meta.url));
const yolox = asset('models/detection/yolox_nano.onnx');
const whisper = fileURLToPath(new URL('../../../tools/fixtures/models/whisper-tiny.en-int8', import.meta.url));
const clip = readFileSync(
  fileURLToPath(
    new URL('../../../.cache/test-media/speech/sense_and_sensibility_01_austen_64kb-0880.wav', import.meta.url),
  ),
);
const dog = asset('media/images/dog.jpg');

interface Health {
  models: { model: string; workers?: { count: number; busy: number }; running: number }[];
}

/** Starts the command, runs `check` against its URL, then stops it with SIGTERM (exit 0). */
async function serve(args: string[], check: (url: string, output: () => string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, env: process.env });
  let out = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`exited with ${String(code)}:\n${out}`)));
    });
    await check(url, () => out);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('llama-pajamas serve --workers', () => {
  it('serves Whisper and YOLOX in worker threads from source; /health shows the workers', async () => {
    const args = ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'];
    await serve(
      [...args, '--stt', `whisper=${whisper}`, '--detect', `yolox=${yolox}`, '--workers', '2', '--threads', '1'],
      async (url, output) => {
        const form = new FormData();
        form.append('file', new Blob([clip], { type: 'audio/wav' }), 'clip.wav');
        form.append('model', 'whisper');
        const [transcript, detection] = await Promise.all([
          fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form }).then((r) => r.json()),
          fetch(`${url}/v1/images/detect`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ image: readFileSync(dog).toString('base64') }),
          }).then((r) => r.json()),
        ]);
        expect((transcript as { text: string }).text).toMatch(/young man/i);
        expect(output()).toMatch(/loaded stt model 'whisper' from .* on onnx in 2 worker threads in \d+ ms/);
        expect(JSON.stringify(detection)).toContain('"dog"');
        const health = (await (await fetch(`${url}/health`)).json()) as Health;
        for (const name of ['whisper', 'yolox']) {
          expect(health.models.find((m) => m.model === name)?.workers).toMatchObject({ count: 2, busy: 0 });
        }
      },
    );
  });

  const dist = ['dist/cli.js', '../run-core/dist/worker-entry.js', '../run-onnx/dist/index.js'].every((f) =>
    existsSync(`${root}${f}`),
  );
  it.runIf(dist)('serves in worker threads from the tsup build as well [runs once `pnpm build` has run]', async () => {
    await serve(
      ['dist/cli.js', 'serve', '--port', '0', '--detect', `yolox=${yolox}`, '--workers', '2'],
      async (url) => {
        const health = (await (await fetch(`${url}/health`)).json()) as Health;
        expect(health.models[0]?.workers).toMatchObject({ count: 2 });
        const r = await fetch(`${url}/v1/images/detect`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image: readFileSync(dog).toString('base64') }),
        });
        expect(JSON.stringify(await r.json())).toContain('"dog"');
      },
    );
  });

  it('takes workers and threads per model in the config file, and refuses a bad count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-workers-'));
    const file = join(dir, 'serve.json');
    writeFileSync(
      file,
      JSON.stringify({ workers: 1, models: [{ task: 'detect', path: yolox, workers: 2, threads: 1 }] }),
    );
    expect(await readConfigFile(file)).toMatchObject({
      workers: 1,
      models: [{ task: 'detect', workers: 2, threads: 1 }],
    });
    for (const bad of [
      { models: [{ task: 'detect', path: yolox, workers: -1 }] },
      { models: [{ task: 'detect', path: yolox, threads: 0 }] },
      { models: [{ task: 'detect', path: yolox, threads: 1.5 }] },
      { threads: 65, models: [] },
      { threads: '2', models: [] },
      { workers: 65, models: [] },
    ]) {
      writeFileSync(file, JSON.stringify(bad));
      await expect(readConfigFile(file), JSON.stringify(bad)).rejects.toMatchObject({
        code: 'ERR_RUN_INVALID_ARGUMENT',
        message: expect.stringContaining(file),
      });
    }
  });
});
