import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAllBackends, unloadAll, type TestBackends } from './backends.js';
import { fixtures } from './fixtures.js';
import {
  ARTIFACTS,
  hasChromium,
  launchChromium,
  screenshots,
  startPlaygroundServer,
  VIEWPORTS,
  watchErrors,
} from './harness.js';

const KEY = 'sk-playground-test';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One axe-core finding, as the test reports it. */
interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}
declare const axe: {
  run(
    context: Document,
    options: object,
  ): Promise<{
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    passes: { id: string }[];
  }>;
};

/** The parts of the API's answers the tests compare with the page. */
interface DetectJson {
  data: {
    width: number;
    height: number;
    detections: { class_name: string; confidence: number; box: { x1: number; y1: number; x2: number; y2: number } }[];
  }[];
}
interface ClassifyJson {
  data: { predictions: { class_name: string; score: number }[] }[];
}
interface EmbedJson {
  data: { embedding: number[] }[];
}
type TranscriptLog = { state: string | undefined; text: string }[];
declare global {
  interface Window {
    transcriptLog?: TranscriptLog;
  }
}

/** A WAV file's duration in seconds, from its header (16-bit PCM). */
function wavSeconds(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let rate = 0;
  let channels = 1;
  while (at + 8 <= bytes.byteLength) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = v.getUint32(at + 4, true);
    if (id === 'fmt ') {
      channels = v.getUint16(at + 10, true);
      rate = v.getUint32(at + 12, true);
    }
    if (id === 'data') return Math.min(size, bytes.byteLength - at - 8) / (rate * 2 * channels);
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

describe.skipIf(!hasChromium)(
  'the playground in Chromium against a real server (skipped only without /usr/bin/chromium, which tools/test/setup-playground.sh installs in CI)',
  () => {
    let backends: TestBackends;
    let app: FastifyInstance;
    let base: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];

    const api = async (path: string, init: RequestInit = {}): Promise<Response> => {
      const r = await fetch(`${base}${path}`, init);
      expect(r.status, `${path}: ${r.status}`).toBe(200);
      return r;
    };
    const postJson = (path: string, body: unknown): Promise<Response> =>
      api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    beforeAll(async () => {
      backends = await loadAllBackends();
      ({ app, base } = await startPlaygroundServer({ ...backends }));
      browser = await launchChromium();
      context = await browser.newContext({ viewport: VIEWPORTS.desktop });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      page = await context.newPage();
      errors = watchErrors(page);
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready=true]');
    });
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await unloadAll(backends ?? {});
    });

    it('shows one tab per served task, and none for absent ones (no chat model here)', async () => {
      const tabs = await page
        .locator('main > [role=tablist] [role=tab]')
        .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.tab));
      expect(tabs).toEqual(['detect', 'classify', 'embed', 'transcribe', 'speak']);
      await expect(page.locator('[data-tab=chat]').count()).resolves.toBe(0);
      // Keyboard: arrows move the selection (WAI-ARIA tabs), only the selected tab is in the tab order.
      await page.locator('[role=tab][data-tab=detect]').focus();
      await page.keyboard.press('ArrowRight');
      await expect(page.locator('[role=tab][data-tab=classify]').getAttribute('aria-selected')).resolves.toBe('true');
      await expect(page.locator('[data-panel=classify]').isVisible()).resolves.toBe(true);
      await page.keyboard.press('End');
      await expect(page.locator('[role=tab][data-tab=speak]').getAttribute('aria-selected')).resolves.toBe('true');
      await page.keyboard.press('Home');
      await expect(page.locator('[role=tab][data-tab=detect]').getAttribute('tabindex')).resolves.toBe('0');
    });

    it('detect: a photo → labelled boxes drawn where the API puts them; the slider re-filters without a request', async () => {
      const photo = readFileSync(fixtures.dog);
      const reference = (await (
        await postJson('/v1/images/detect', { image: photo.toString('base64'), confidence: 0.05 })
      ).json()) as DetectJson;
      const all = reference.data[0]!.detections;
      let detectRequests = 0;
      page.on('request', (r) => {
        if (r.url().endsWith('/v1/images/detect')) detectRequests += 1;
      });
      await page.click('[role=tab][data-tab=detect]');
      await page.setInputFiles('[data-panel=detect] input[type=file]', fixtures.dog);
      await page.waitForSelector('[data-panel=detect] svg g.detection');
      await page.waitForFunction(() =>
        document.querySelector('[data-testid=timing]')?.textContent?.includes('Answered'),
      );

      const drawn = () =>
        page.evaluate(() => {
          const img = document.querySelector<HTMLImageElement>('[data-panel=detect] .stage-image')!;
          const r = img.getBoundingClientRect();
          return [...document.querySelectorAll<SVGGElement>('[data-panel=detect] g.detection')].map((g) => {
            const box = g.querySelector('rect.box')!.getBoundingClientRect();
            return {
              label: g.dataset.label,
              text: g.querySelector('text')?.textContent,
              x1: Number(g.dataset.x1),
              y1: Number(g.dataset.y1),
              x2: Number(g.dataset.x2),
              y2: Number(g.dataset.y2),
              screen: {
                left: box.left - r.left,
                top: box.top - r.top,
                right: box.right - r.left,
                bottom: box.bottom - r.top,
              },
              img: { width: r.width, height: r.height, naturalWidth: img.naturalWidth },
            };
          });
        });

      const atDefault = await drawn();
      const expected = all.filter((d) => d.confidence >= 0.25);
      expect(atDefault.length).toBe(expected.length);
      expect(atDefault.map((d) => d.label).sort()).toEqual(expected.map((d) => d.class_name).sort());
      expect(atDefault.some((d) => d.label === 'dog')).toBe(true);
      const { width: W, height: H } = reference.data[0]!;
      for (const d of atDefault) {
        const match = expected.find((e) => e.class_name === d.label && Math.abs(e.box.x1 - d.x1) < 0.01)!;
        expect(match, d.label).toBeDefined();
        expect(d.text).toMatch(new RegExp(`^${d.label} \\d+%$`));
        // The drawn rectangle sits where the API's box is, scaled to the image as shown (1.5 px for the stroke).
        const sx = d.img.width / W;
        const sy = d.img.height / H;
        expect(Math.abs(d.screen.left - match.box.x1 * sx)).toBeLessThan(2.5);
        expect(Math.abs(d.screen.top - match.box.y1 * sy)).toBeLessThan(2.5);
        expect(Math.abs(d.screen.right - match.box.x2 * sx)).toBeLessThan(2.5);
        expect(Math.abs(d.screen.bottom - match.box.y2 * sy)).toBeLessThan(2.5);
      }
      const json = JSON.parse((await page.locator('[data-panel=detect] pre.json').textContent()) ?? '{}');
      expect((json as DetectJson).data[0]!.detections).toEqual(all);

      const before = detectRequests;
      await page.locator('#detect-confidence').fill('0.8');
      const high = await drawn();
      expect(high.map((d) => d.label).sort()).toEqual(
        all
          .filter((d) => d.confidence >= 0.8)
          .map((d) => d.class_name)
          .sort(),
      );
      expect(high.length).toBeLessThan(atDefault.length);
      expect(detectRequests).toBe(before);
      await page.locator('#detect-confidence').fill('0.25');

      // The request's code, copyable.
      await page.click('[data-panel=detect] .code-panel summary');
      const curl = await page.locator('[data-panel=detect] .snippet code').textContent();
      expect(curl).toContain(`${base}/v1/images/detect`);
      expect(curl).toContain('base64 -w0 dog.jpg');
      await page.click('[data-panel=detect] .code-head button:text("Copy")');
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(curl);
      await page.click('[data-panel=detect] .code-head [role=tab]:text("Python SDK")');
      await expect(page.locator('[data-panel=detect] .snippet code').textContent()).resolves.toContain(
        'client.post("/images/detect", cast_to=httpx.Response',
      );
      await screenshots(page, 'detect');
    });

    it('classify: top-k bars match the API', async () => {
      const reference = (await (
        await postJson('/v1/images/classify', { image: readFileSync(fixtures.dog).toString('base64'), top_k: 5 })
      ).json()) as ClassifyJson;
      await page.click('[role=tab][data-tab=classify]');
      await page.setInputFiles('[data-panel=classify] input[type=file]', fixtures.dog);
      await page.waitForSelector('[data-panel=classify] .bars li');
      const shown = await page
        .locator('[data-panel=classify] .bars li')
        .evaluateAll((els) =>
          els.map((e) => [(e as HTMLElement).dataset.label, Number((e as HTMLElement).dataset.value)]),
        );
      expect(shown).toEqual(reference.data[0]!.predictions.map((p) => [p.class_name, p.score]));
      await screenshots(page, 'classify');

      // CLIP: the labels field appears, and the bars score the image against the typed labels.
      await expect(page.locator('[data-panel=classify] textarea').isVisible()).resolves.toBe(false);
      await page.selectOption('[data-panel=classify] select', 'clip');
      await page.fill('[data-panel=classify] textarea', 'a dog\na bicycle\na bird');
      await page.click('[data-panel=classify] button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('[data-panel=classify] .bars li').length === 3);
      const zeroShot = await page
        .locator('[data-panel=classify] .bars li')
        .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.label).sort());
      expect(zeroShot).toEqual(['a bicycle', 'a bird', 'a dog']);
    });

    it('embed: two images → their cosine, as computed from the API’s embeddings', async () => {
      const reference = (await (
        await postJson('/v1/images/embed', {
          model: 'clip',
          image: [readFileSync(fixtures.dog).toString('base64'), readFileSync(fixtures.eagle).toString('base64')],
        })
      ).json()) as EmbedJson;
      const [a, b] = reference.data.map((d) => d.embedding) as [number[], number[]];
      const dot = a.reduce((sum, x, i) => sum + x * b[i]!, 0);
      await page.click('[role=tab][data-tab=embed]');
      await page.selectOption('[data-panel=embed] select', 'clip');
      await page.fill('[data-panel=embed] textarea', 'a photo of a dog\na bird');
      const inputs = page.locator('[data-panel=embed] input[type=file]');
      await inputs.nth(0).setInputFiles(fixtures.dog);
      await inputs.nth(1).setInputFiles(fixtures.eagle);
      await page.waitForFunction(() => document.querySelectorAll('[data-panel=embed] .bars li').length === 3);
      const cosine = Number(
        await page.locator('[data-panel=embed] [data-testid=cosine] li').getAttribute('data-value'),
      );
      expect(cosine).toBeCloseTo(dot, 4);
      await screenshots(page, 'embed');
    });

    it('transcribe: the transcript streams in, matches the API, and its segments seek the player', async () => {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(fixtures.speech0880)], { type: 'audio/wav' }), 'speech.wav');
      form.append('model', 'whisper');
      const reference = (await (await api('/v1/audio/transcriptions', { method: 'POST', body: form })).json()) as {
        text: string;
      };
      expect(reference.text.trim().length).toBeGreaterThan(10);

      await page.click('[role=tab][data-tab=transcribe]');
      // Record every change of the transcript with the state it had (streaming, then done).
      await page.evaluate(() => {
        const el = document.querySelector<HTMLElement>('[data-panel=transcribe] .transcript')!;
        const log: TranscriptLog = [];
        window.transcriptLog = log;
        new MutationObserver(() => log.push({ state: el.dataset.state, text: el.textContent ?? '' })).observe(el, {
          childList: true,
          characterData: true,
          subtree: true,
          attributes: true,
        });
      });
      await page.setInputFiles('[data-panel=transcribe] input[type=file]', fixtures.speech0880);
      await page.waitForSelector('[data-panel=transcribe] button.segment', { timeout: 120_000 });
      const log = await page.evaluate(() => window.transcriptLog ?? []);
      expect(log.some((e) => e.state === 'streaming' && e.text.trim().length > 0)).toBe(true);
      const final = await page.locator('[data-panel=transcribe] .transcript').textContent();
      expect(final?.trim()).toBe(reference.text.trim());

      // A segment seeks the player to its start.
      const segment = page.locator('[data-panel=transcribe] button.segment').first();
      const start = Number(await segment.getAttribute('data-start'));
      await page.evaluate(() => {
        const audio = document.querySelector<HTMLAudioElement>('[data-panel=transcribe] audio')!;
        return new Promise<void>((resolve) => {
          if (audio.readyState >= 1) resolve();
          else audio.addEventListener('loadedmetadata', () => resolve(), { once: true });
        }).then(() => {
          audio.currentTime = 2.5;
        });
      });
      await segment.click();
      const at = await page.evaluate(
        () => document.querySelector<HTMLAudioElement>('[data-panel=transcribe] audio')!.currentTime,
      );
      expect(Math.abs(at - start)).toBeLessThan(0.3);

      // The subtitle downloads hold the segments.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('[data-panel=transcribe] .downloads a[download$=".srt"]'),
      ]);
      expect(download.suggestedFilename()).toBe('sense_and_sensibility_01_austen_64kb-0880.srt');
      const srt = readFileSync(await download.path(), 'utf8');
      expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\S/);
      await screenshots(page, 'transcribe');
    });

    it('speak: an audio element with a playable source as long as the API’s audio (wav, then streamed pcm)', async () => {
      const input = 'Hello from the playground test.';
      const wav = new Uint8Array(
        await (await postJson('/v1/audio/speech', { input, response_format: 'wav', voice: 'alloy' })).arrayBuffer(),
      );
      const seconds = wavSeconds(wav);
      expect(seconds).toBeGreaterThan(0.3);

      await page.click('[role=tab][data-tab=speak]');
      await page.fill('[data-panel=speak] textarea', input);
      await page.selectOption('[data-panel=speak] select >> nth=1', 'wav');
      await page.uncheck('#speak-stream');
      const duration = async (): Promise<number> => {
        await page.waitForSelector('[data-panel=speak] .downloads a', { timeout: 60_000 });
        const audio = '[data-testid=speech-audio]';
        await page.waitForFunction(
          (sel) => {
            const a = document.querySelector<HTMLAudioElement>(sel)!;
            return a.readyState >= 1 && Number.isFinite(a.duration) && a.duration > 0;
          },
          audio,
          { timeout: 30_000 },
        );
        return page.evaluate((sel) => document.querySelector<HTMLAudioElement>(sel)!.duration, audio);
      };
      await page.click('[data-panel=speak] button[type=submit]');
      expect(await duration()).toBeCloseTo(seconds, 2);
      await expect(page.locator('[data-panel=speak] .downloads a').getAttribute('download')).resolves.toBe(
        'speech.wav',
      );

      // Streamed raw PCM (24 kHz s16le) plays while it arrives, then sits in the player as a WAV.
      const pcm = await (
        await postJson('/v1/audio/speech', { input, response_format: 'pcm', voice: 'alloy' })
      ).arrayBuffer();
      await page.selectOption('[data-panel=speak] select >> nth=1', 'pcm');
      await page.check('#speak-stream');
      await page.evaluate(() => document.querySelector('[data-panel=speak] .downloads')!.replaceChildren());
      await page.click('[data-panel=speak] button[type=submit]');
      expect(await duration()).toBeCloseTo(pcm.byteLength / 2 / 24_000, 2);
      await expect(page.locator('[data-panel=speak] .status').textContent()).resolves.toMatch(/^First audio after/);

      // mp3 streams through Media Source Extensions where the browser has them (else it plays when complete).
      await page.selectOption('[data-panel=speak] select >> nth=1', 'mp3');
      await page.evaluate(() => document.querySelector('[data-panel=speak] .downloads')!.replaceChildren());
      await page.click('[data-panel=speak] button[type=submit]');
      expect(Math.abs((await duration()) - pcm.byteLength / 2 / 24_000)).toBeLessThan(0.2);
      const mse = await page.evaluate(
        () => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg'),
      );
      await expect(page.locator('[data-panel=speak] .status').textContent()).resolves.toMatch(
        mse ? /^First audio after/ : /KiB of mp3 in/,
      );
      await screenshots(page, 'speak');
    });

    it('camera and microphone (Chromium fake devices): a photo is detected, a recording is transcribed', async () => {
      await context.grantPermissions(['camera', 'microphone'], { origin: base });
      await page.click('[role=tab][data-tab=detect]');
      await page.click('[data-panel=detect] button:text("Use camera")');
      await page.waitForFunction(() => {
        const v = document.querySelector<HTMLVideoElement>('[data-panel=detect] .camera video');
        return v !== null && v.videoWidth > 0;
      });
      await page.click('[data-panel=detect] button:text("Take photo")');
      await page.waitForFunction(
        () =>
          document.querySelector('[data-panel=detect] .stage-image')?.getAttribute('alt')?.startsWith('camera.jpg') &&
          document.querySelector('[data-testid=timing]')?.textContent?.startsWith('Answered'),
      );
      await expect(page.locator('[data-panel=detect] .stage-image').getAttribute('alt')).resolves.toContain(
        'camera.jpg',
      );
      await expect(page.locator('[data-panel=detect] .camera video').count()).resolves.toBe(0);

      await page.click('[role=tab][data-tab=transcribe]');
      const record = page.locator('[data-panel=transcribe] button:text("Record")');
      await record.click();
      await page.waitForSelector('[data-panel=transcribe] button[aria-pressed=true]');
      await page.waitForTimeout(1500);
      const upload = page.waitForRequest((r) => r.url().endsWith('/v1/audio/transcriptions'));
      await page.click('[data-panel=transcribe] button:text("Stop recording")');
      expect((await upload).headers()['content-type']).toMatch(/^multipart\/form-data/);
      // The server decodes the browser's WebM/Opus recording and answers (the fake microphone plays a tone).
      await page.waitForFunction(
        () => {
          const state = document.querySelector<HTMLElement>('[data-panel=transcribe] .transcript')?.dataset.state;
          return state === 'done' || state === 'error';
        },
        undefined,
        { timeout: 120_000 },
      );
      await expect(
        page.locator('[data-panel=transcribe] .transcript').getAttribute('data-state'),
        (await page.locator('[data-panel=transcribe] .status').textContent()) ?? '',
      ).resolves.toBe('done');
      await expect(page.locator('[data-panel=transcribe] .snippet code').textContent()).resolves.toContain(
        'file=@recording.webm',
      );
    });

    it('passes axe-core (WCAG 2 A and AA: labels, names, contrast) on every tab: desktop, phone, dark scheme', async () => {
      // DevTools evaluation is not subject to the page's CSP, so axe can be injected without loosening it.
      await page.evaluate(axeSource);
      const findings: Record<string, AxeFinding[]> = {};
      const modes = [
        ['desktop', VIEWPORTS.desktop, 'light'],
        ['phone', VIEWPORTS.phone, 'light'],
        ['desktop-dark', VIEWPORTS.desktop, 'dark'],
      ] as const;
      for (const [label, size, colorScheme] of modes) {
        await page.setViewportSize(size);
        await page.emulateMedia({ colorScheme });
        for (const tab of ['detect', 'classify', 'embed', 'transcribe', 'speak']) {
          await page.click(`[role=tab][data-tab=${tab}]`);
          const found = await page.evaluate(async () => {
            const result = await axe.run(document, {
              runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] },
            });
            return {
              passed: result.passes.map((p) => p.id),
              violations: result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target.join(' ')),
              })),
            };
          });
          // axe really checked the things that matter here.
          expect(found.passed).toEqual(expect.arrayContaining(['label', 'color-contrast', 'button-name']));
          if (found.violations.length > 0) findings[`${tab}@${label}`] = found.violations;
        }
      }
      await page.click('[role=tab][data-tab=transcribe]');
      await page.screenshot({ path: `${ARTIFACTS}transcribe-dark-desktop.png`, fullPage: true });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize(VIEWPORTS.desktop);
      expect(findings).toEqual({});
    });

    it('raised no page errors', () => {
      expect(errors).toEqual([]);
    });
  },
);

describe.skipIf(!hasChromium)(
  'the playground on a server that needs an API key (skipped only without /usr/bin/chromium, which tools/test/setup-playground.sh installs in CI)',
  () => {
    let app: FastifyInstance;
    let base: string;
    let browser: Browser;
    let backends: Pick<TestBackends, 'tts'>;

    beforeAll(async () => {
      const all = await loadAllBackends();
      await unloadAll({ vision: all.vision, stt: all.stt });
      backends = { tts: all.tts };
      ({ app, base } = await startPlaygroundServer({ tts: backends.tts, options: { apiKey: KEY } }));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await unloadAll(backends ?? {});
    });

    it('serves the page without the key, asks for it, refuses a wrong one, then shows only the served task', async () => {
      const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
      const errors = watchErrors(page);
      const res = await page.goto(`${base}/playground`);
      expect(res?.status()).toBe(200);
      const key = page.locator('#api-key');
      await key.waitFor({ state: 'visible' });
      await expect(key.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
      await expect(page.locator('#key-message').textContent()).resolves.toContain('needs an API key');
      await expect(page.locator('[role=tab]').count()).resolves.toBe(0);
      await screenshots(page, 'api-key');

      await key.fill('sk-wrong');
      await page.click('#key-form button[type=submit]');
      await page.waitForFunction(() => document.querySelector('#key-message')?.textContent?.includes('refused'));

      await key.fill(KEY);
      await page.click('#key-form button[type=submit]');
      await page.waitForSelector('body[data-ready=true]');
      const tabs = await page.locator('main > [role=tablist] [role=tab]').allTextContents();
      expect(tabs).toEqual(['Speak']);
      // The key lives in the page only.
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      );
      expect(stored).not.toContain(KEY);
      // Requests from the page carry it; the snippets name the variable, never the key itself.
      await page.click('[data-panel=speak] button[type=submit]');
      await page.waitForSelector('[data-panel=speak] .downloads a', { timeout: 60_000 });
      await page.click('[data-panel=speak] .code-panel summary');
      const curl = (await page.locator('[data-panel=speak] .snippet code').textContent()) ?? '';
      expect(curl).toContain('Authorization: Bearer $LLAMA_PAJAMAS_API_KEY');
      expect(curl).not.toContain(KEY);
      await screenshots(page, 'speak-with-key');
      expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
      await page.close();
    });
  },
);
