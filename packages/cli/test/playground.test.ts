import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseModelSpec, startServer } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Real pretrained YOLOX-Nano the repository carries (provenance: tools/models/MANIFEST.json). */
const yolox = asset('models/detection/yolox_nano.onnx');

describe('llama-pajamas serve and the playground', () => {
  it('serves the playground at / and /playground by default, without the API key; the API keeps needing it', async () => {
    const lines: string[] = [];
    const server = await startServer(
      { models: [parseModelSpec('detect', `yolox=${yolox}`)], port: 0, apiKey: 'sk-cli' },
      (l) => lines.push(l),
    );
    try {
      for (const path of ['/', '/playground']) {
        const page = await fetch(`${server.address}${path}`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await page.text()).toContain('llama-pajamas playground');
      }
      expect((await fetch(`${server.address}/v1/models`)).status).toBe(401);
      expect(lines).toContain(`playground: ${server.address}/`);
    } finally {
      await server.close();
    }
  });

  it('serves no page with playground: false (--no-playground)', async () => {
    const server = await startServer({
      models: [parseModelSpec('detect', `yolox=${yolox}`)],
      port: 0,
      playground: false,
    });
    try {
      expect((await fetch(`${server.address}/`)).status).toBe(404);
      expect((await fetch(`${server.address}/playground`)).status).toBe(404);
      expect((await fetch(`${server.address}/v1/models`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('turns it off from the command line with --no-playground', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@llama-pajamas/source',
        '--import',
        'tsx',
        'src/cli.ts',
        'serve',
        '--detect',
        `yolox=${yolox}`,
        '--port',
        '0',
        '--no-playground',
      ],
      { cwd: root },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited with ${String(code)}: ${out}`)));
      });
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('has a --no-playground flag', () => {
    const help = spawnSync(
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', 'src/cli.ts', 'serve', '--help'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(help.stdout).toMatch(/--no-playground\s+do not serve the web playground/);
  });
});
