import { existsSync } from 'node:fs';
import { loadLlamaModel, type LlamaChatBackend } from '@llama-pajamas/run-llama';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smolLm2 } from './fixtures.js';
import { hasChromium, launchChromium, screenshots, startPlaygroundServer, VIEWPORTS, watchErrors } from './harness.js';

type ChatLog = { state: string | undefined; text: string }[];
declare global {
  interface Window {
    chatLog?: ChatLog;
  }
}

const noChatModel = existsSync(smolLm2) ? false : 'run bash tools/test/setup-llm.sh to fetch SmolLM2-135M';

describe.skipIf(!hasChromium || noChatModel)(
  'the Chat tab with a real GGUF (SmolLM2-135M; skipped only without Chromium or the model: setup-playground.sh and setup-llm.sh, which CI runs)',
  () => {
    let llm: LlamaChatBackend;
    let app: FastifyInstance;
    let base: string;
    let browser: Browser;

    beforeAll(async () => {
      llm = await loadLlamaModel(smolLm2, { modelId: 'smollm2', contextSize: 1024 });
      ({ app, base } = await startPlaygroundServer({ llm: { smollm2: llm } }));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await llm?.unload();
    });

    it('shows only the Chat tab and streams the answer in', async () => {
      const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
      const errors = watchErrors(page);
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready=true]');
      await expect(page.locator('main > [role=tablist] [role=tab]').allTextContents()).resolves.toEqual(['Chat']);
      await page.fill('[data-panel=chat] textarea', 'Name three colours.');
      await page.evaluate(() => {
        const log: ChatLog = [];
        window.chatLog = log;
        const list = document.querySelector('[data-panel=chat] .chat-log')!;
        new MutationObserver(() => {
          const last = list.querySelector<HTMLElement>('.chat-assistant .chat-text');
          if (last) log.push({ state: last.dataset.state, text: last.textContent ?? '' });
        }).observe(list, { childList: true, characterData: true, subtree: true, attributes: true });
      });
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-panel=chat] .chat-assistant .chat-text[data-state=done]', { timeout: 120_000 });
      const log = await page.evaluate(() => window.chatLog ?? []);
      const streamed = log.filter((e) => e.state === 'streaming' && e.text.length > 0).map((e) => e.text);
      // Several growing prefixes of the answer arrived before it was done.
      expect(new Set(streamed).size).toBeGreaterThan(1);
      const answer = (await page.locator('[data-panel=chat] .chat-assistant .chat-text').textContent()) ?? '';
      expect(answer.trim().length).toBeGreaterThan(0);
      for (const prefix of streamed) expect(answer.startsWith(prefix)).toBe(true);
      await expect(page.locator('[data-panel=chat] .chat-user').textContent()).resolves.toContain(
        'Name three colours.',
      );
      await page.click('[data-panel=chat] .code-panel summary');
      await expect(page.locator('[data-panel=chat] .snippet code').textContent()).resolves.toContain(
        `${base}/v1/chat/completions`,
      );
      await screenshots(page, 'chat');
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
