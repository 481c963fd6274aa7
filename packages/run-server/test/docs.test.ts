import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { loadTestBackends } from './fixtures/backends.js';
import { fixtures } from './fixtures/index.js';

const run = promisify(execFile);
const pkg = fileURLToPath(new URL('..', import.meta.url));
const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');
const blocks = [...doc.matchAll(/```(sh|js|python)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
const python = join(pkg, '.venv/bin/python');

let app: FastifyInstance;
let env: NodeJS.ProcessEnv;
let work: string;

beforeAll(async () => {
  const b = await loadTestBackends();
  app = await createMultimodalApp({ vision: b.vision, stt: b.stt, tts: b.tts, options: { apiKey: 'sk-docs' } });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  env = { ...process.env, LLAMA_PAJAMAS_URL: url, LLAMA_PAJAMAS_API_KEY: 'sk-docs' };
  work = mkdtempSync(join(tmpdir(), 'lp-docs-'));
  copyFileSync(fixtures.speech0880, join(work, 'speech.wav'));
  copyFileSync(fixtures.dog, join(work, 'dog.jpg'));
});
afterAll(async () => {
  await app?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docs/api.md examples run against a real server', () => {
  it('has curl and SDK examples for every endpoint', () => {
    for (const route of [
      '/health',
      '/v1/models',
      '/v1/audio/transcriptions',
      '/v1/audio/translations',
      '/v1/audio/speech',
      '/v1/images/detect',
      '/v1/images/classify',
      '/v1/images/embed',
      '/v1/embeddings',
      '/openapi.json',
    ]) {
      expect(
        blocks.some((b) => b.lang === 'sh' && b.code.includes(`$LLAMA_PAJAMAS_URL${route}`)),
        route,
      ).toBe(true);
    }
    expect(blocks.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(5);
  });

  blocks
    .filter((b) => b.lang === 'sh' && b.code.includes('curl'))
    .forEach((b, i) => {
      it(`curl example ${i + 1}: ${/\$LLAMA_PAJAMAS_URL(\S+?)"/.exec(b.code)?.[1] ?? ''}`, async () => {
        const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', b.code], {
          cwd: work,
          env,
          maxBuffer: 64 * 1024 * 1024,
        });
        expect(stdout.length + (existsSync(join(work, 'hello.wav')) ? 1 : 0)).toBeGreaterThan(0);
      });
    });

  blocks
    .filter((b) => b.lang === 'js')
    .forEach((b, i) => {
      it(`SDK example ${i + 1}`, async () => {
        // Written inside the package so that `openai` resolves from its node_modules; run in the work folder.
        const file = join(pkg, `.docs-example-${i}.mjs`);
        writeFileSync(file, b.code);
        try {
          const { stdout } = await run(process.execPath, [file], { cwd: work, env });
          expect(stdout.length + (existsSync(join(work, 'hello.mp3')) ? 1 : 0)).toBeGreaterThan(0);
        } finally {
          rmSync(file, { force: true });
        }
      });
    });

  it.runIf(existsSync(python))(
    'Python example (needs packages/run-server/.venv from test/python/setup.sh)',
    async () => {
      const b = blocks.find((x) => x.lang === 'python')!;
      const { stdout } = await run(python, ['-c', b.code], { cwd: work, env });
      expect(typeof stdout).toBe('string');
    },
  );
});
