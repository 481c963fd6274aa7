import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultAssetsDir,
  loadPlaygroundBundle,
  PlaygroundAssetsMissingError,
  playgroundPlugin,
} from '../src/index.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register(playgroundPlugin);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

describe('playgroundPlugin', () => {
  it('serves the page at / and /playground with revalidation, CSP and no third-party origin', async () => {
    for (const url of ['/', '/playground', '/playground/']) {
      const r = await app.inject(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers.etag).toMatch(/^"[0-9a-f]{16}"$/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
      expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(r.body).toContain('<title>llama-pajamas playground</title>');
      // Works offline: every URL in the page is on this origin.
      expect(r.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await app.inject('/playground');
    const again = await app.inject({ url: '/playground', headers: { 'if-none-match': first.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('links each asset by its content hash and serves it immutable under that URL', async () => {
    const page = (await app.inject('/playground')).body;
    const links = [...page.matchAll(/\/playground\/assets\/([\w.-]+)\?v=([0-9a-f]{16})/g)];
    expect(links.map((m) => m[1]).sort()).toEqual(['app.js', 'icon.svg', 'icon.svg', 'style.css']);
    const types: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'style.css': 'text/css; charset=utf-8',
      'icon.svg': 'image/svg+xml',
    };
    for (const [, file, hash] of links) {
      const r = await app.inject(`/playground/assets/${file}?v=${hash}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe(types[file!]);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers.etag).toBe(`"${hash}"`);
    }
    // Without (or with a stale) version the asset must be revalidated.
    const stale = await app.inject('/playground/assets/app.js?v=0000000000000000');
    expect(stale.headers['cache-control']).toBe('no-cache');
    const map = await app.inject('/playground/assets/app.js.map');
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('answers 404 for unknown assets and does not serve files outside its folder', async () => {
    expect((await app.inject('/playground/assets/nope.js')).statusCode).toBe(404);
    expect((await app.inject('/playground/assets/..%2Findex.js')).statusCode).toBe(404);
    expect((await app.inject('/playground/assets/index.html')).statusCode).toBe(404);
  });

  it('marks its routes public (no API key for the page) and hides them from OpenAPI', async () => {
    const seen: { url: string; apiKey: unknown; hide: unknown }[] = [];
    const other = Fastify();
    other.addHook('onRoute', (route) => {
      seen.push({ url: route.url, apiKey: route.config?.apiKey, hide: route.schema?.hide });
    });
    await other.register(playgroundPlugin);
    await other.ready();
    const gets = seen.filter((r) => !r.url.endsWith('*'));
    expect(gets.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/', '/playground', '/playground/', '/playground/assets/:file']),
    );
    for (const r of gets) expect(r).toMatchObject({ apiKey: false, hide: true });
    await other.close();
  });

  it('serves only /playground with root: false', async () => {
    const other = Fastify();
    await other.register(playgroundPlugin, { root: false });
    expect((await other.inject('/')).statusCode).toBe(404);
    expect((await other.inject('/playground')).statusCode).toBe(200);
    await other.close();
  });
});

describe('loadPlaygroundBundle', () => {
  it('throws a typed error naming the missing file when the page is not built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'playground-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      const error = await loadPlaygroundBundle(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlaygroundAssetsMissingError);
      expect((error as PlaygroundAssetsMissingError).code).toBe('ERR_RUN_PLAYGROUND_ASSETS_MISSING');
      expect((error as Error).message).toContain('app.js is missing from');
      const none = await loadPlaygroundBundle(join(dir, 'absent')).catch((e: unknown) => e);
      expect((none as PlaygroundAssetsMissingError).details).toMatchObject({ file: 'index.html' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults to the built dist/app folder', () => {
    expect(defaultAssetsDir().replace(/\\/g, '/')).toMatch(/packages\/playground\/dist\/app\/$/);
  });
});
