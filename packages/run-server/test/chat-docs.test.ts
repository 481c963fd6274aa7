import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadLlamaModel, type LlamaChatBackend } from '@llama-pajamas/run-llama';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { noChatModel, smolLm2 } from './fixtures/chat.js';

const run = promisify(execFile);
const pkg = fileURLToPath(new URL('..', import.meta.url));
const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');
/** The chat examples are fenced ```sh chat / ```js chat / ```python chat (docs.test.ts runs the others). */
const blocks = [...doc.matchAll(/```(sh|js|python) chat\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
const python = join(pkg, '.venv/bin/python');

describe.skipIf(noChatModel)(
  'docs/api.md chat examples run against a real chat server (skipped only without the GGUF of tools/test/setup-llm.sh, which CI installs)',
  () => {
    let app: FastifyInstance;
    let env: NodeJS.ProcessEnv;
    let llm: LlamaChatBackend;
    beforeAll(async () => {
      llm = await loadLlamaModel(smolLm2, { modelId: 'smollm2', parallel: 2, contextSize: 1024 });
      app = await createMultimodalApp({ llm, options: { apiKey: 'sk-chat-docs' } });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      env = { ...process.env, LLAMA_PAJAMAS_URL: url, LLAMA_PAJAMAS_API_KEY: 'sk-chat-docs' };
    });
    afterAll(async () => {
      await app?.close();
      await llm?.unload();
    });

    it('has curl, JS and Python examples for both endpoints', () => {
      for (const route of ['/v1/chat/completions', '/v1/completions']) {
        expect(
          blocks.some((b) => b.lang === 'sh' && b.code.includes(`$LLAMA_PAJAMAS_URL${route}`)),
          route,
        ).toBe(true);
      }
      expect(blocks.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(2);
      expect(blocks.filter((b) => b.lang === 'python').length).toBeGreaterThanOrEqual(1);
    });

    it('runs every example and gets what its comment says', async () => {
      for (const [i, b] of blocks.entries()) {
        let stdout: string;
        if (b.lang === 'sh') {
          ({ stdout } = await run('bash', ['-euo', 'pipefail', '-c', b.code], { env }));
        } else if (b.lang === 'js') {
          const file = join(pkg, `.chat-docs-example-${i}.mjs`); // inside the package: `openai` resolves
          writeFileSync(file, b.code);
          try {
            ({ stdout } = await run(process.execPath, [file], { env }));
          } finally {
            rmSync(file, { force: true });
          }
        } else {
          if (!existsSync(python)) continue; // the Python SDK test says why when the venv is missing
          ({ stdout } = await run(python, ['-c', b.code], { env }));
        }
        expect(stdout.length, b.code).toBeGreaterThan(0);
        expect(stdout, b.code).not.toMatch(/"error"/);
        if (b.code.includes('capital of France')) expect(stdout).toMatch(/Paris/);
        if (b.code.includes('[DONE]')) expect(stdout).toMatch(/data: \[DONE\]/);
        if (b.code.includes('get_weather')) expect(stdout).toMatch(/^tool_calls get_weather \{"city":/);
        if (b.lang === 'python') expect(stdout.trim()).toBe("['age', 'name']");
      }
    }, 240_000);
  },
);
