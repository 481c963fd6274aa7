/**
 * Browser test harness: a real llama-pajamas server (run-server's plugin + the playground) on loopback, and Debian's
 * Chromium driven by playwright-core (Playwright's own browser download cannot work offline).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { multimodalFastifyOptions, multimodalPlugin, type MultimodalAppConfig } from '@llama-pajamas/run-server';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { playgroundPlugin } from '../src/index.js';

/** Where Chromium is: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium` (tools/test/setup-playground.sh). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether the browser tests can run here. */
export const hasChromium = existsSync(CHROMIUM);
/** Screenshots land here (git-ignored); CI keeps them as artifacts. */
export const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url));

/** The viewports every tab is photographed at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

/** Serves the API and the playground from one Fastify instance, as `llama-pajamas serve` does. */
export async function startPlaygroundServer(
  config: MultimodalAppConfig,
): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify(multimodalFastifyOptions(config.options));
  await app.register(multimodalPlugin, config);
  await app.register(playgroundPlugin);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base };
}

/** Launches headless Chromium with fake media devices (camera, microphone) and autoplay allowed. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

/** Collects the page's console errors and uncaught exceptions (a test asserts there are none). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Saves one full-page screenshot per viewport as `<name>-desktop.png` and `<name>-phone.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // Let layout (and the detection overlay's ResizeObserver) settle.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: `${ARTIFACTS}${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}
