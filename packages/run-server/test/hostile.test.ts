import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp, fetchUrlSafely, isAddressAllowed } from '../src/index.js';
import { loadTestBackends } from './fixtures/backends.js';
import { fixtures } from './fixtures/index.js';

const KEY = 'sk-hostile';
let app: FastifyInstance;
let base: string;
let imageServer: Server;
let imageBase: string;
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  const b = await loadTestBackends();
  app = await createMultimodalApp({
    vision: b.vision,
    stt: b.stt,
    tts: b.tts,
    // 127.0.0.1 is allowlisted so the loopback image server below can be reached; every other private range is not.
    options: {
      apiKey: KEY,
      allowUrlImages: true,
      urlAllowlist: ['127.0.0.1/32'],
      limits: { audioBytes: 1024 * 1024, bodyBytes: 2 * 1024 * 1024, imagesPerRequest: 4 },
    },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  const dog = readFileSync(fixtures.dog);
  imageServer = createServer((req, res) => {
    if (req.url === '/dog.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(dog);
    if (req.url === '/to-metadata')
      return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (req.url === '/to-ipv6-loopback') return res.writeHead(302, { location: 'http://[::1]:9/x.jpg' }).end();
    if (req.url === '/to-localhost') return res.writeHead(302, { location: 'http://localhost:9/x.jpg' }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 40 && res.write(chunk)) sent++;
        if (sent < 40) res.once('drain', pump);
        else res.end();
      };
      return pump();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imageServer.listen(0, '127.0.0.1', r));
  const addr = imageServer.address();
  imageBase = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await app?.close();
  imageServer?.close();
});

async function expectEnvelope(
  res: Response,
  status: number,
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

const json = (path: string, body: unknown, headers: Record<string, string> = auth): Promise<Response> =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const form = (path: string, build: (f: FormData) => void): Promise<Response> => {
  const f = new FormData();
  build(f);
  return fetch(`${base}${path}`, { method: 'POST', headers: auth, body: f });
};

describe('auth and routing', () => {
  it('401 without or with a wrong key; /health needs none', async () => {
    expect((await expectEnvelope(await fetch(`${base}/v1/models`), 401)).code).toBe('invalid_api_key');
    await expectEnvelope(await fetch(`${base}/v1/models`, { headers: { authorization: 'Bearer nope' } }), 401);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
  it('404 for unknown routes and unknown models', async () => {
    await expectEnvelope(await fetch(`${base}/v1/nothing`, { headers: auth }), 404);
    const e = await expectEnvelope(await json('/v1/images/detect', { model: 'no-such-model', image: 'AAAA' }), 404);
    expect(e.code).toBe('model_not_found');
  });
});

describe('bad JSON bodies', () => {
  it.each([
    ['invalid JSON', '{"image": '],
    ['wrong type', { image: 42 }],
    ['out of range', { image: 'AAAA', confidence: 7 }],
    ['wrong array item', { image: 'AAAA', classes: ['dog'] }],
    ['missing image', { confidence: 0.5 }],
    ['not base64', { image: '%%%not base64%%%' }],
    ['bad data URL', { image: 'data:image/png,rawbytes' }],
    ['corrupt image bytes', { image: Buffer.from('this is not a jpeg at all').toString('base64') }],
    ['too many images', { image: ['AAAA', 'AAAA', 'AAAA', 'AAAA', 'AAAA'] }],
  ])('detect: %s → 400', async (_name, body) => {
    const res = await json('/v1/images/detect', body);
    expect([400, 415]).toContain(res.status);
    await expectEnvelope(res, res.status);
  });
  it('413 for a body over the limit', async () => {
    await expectEnvelope(await json('/v1/images/detect', { image: 'A'.repeat(3 * 1024 * 1024) }), 413);
  });
  it('415 for a non-JSON content type', async () => {
    await expectEnvelope(
      await fetch(`${base}/v1/images/detect`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: 'hi',
      }),
      415,
    );
  });
  it.each([
    ['missing input', { voice: 'alloy' }],
    ['empty input', { input: '', voice: 'alloy' }],
    ['too long input', { input: 'a'.repeat(4097), voice: 'alloy' }],
    ['bad format', { input: 'hi', response_format: 'ogg-vorbis' }],
    ['speed too high', { input: 'hi', speed: 5 }],
    ['speed wrong type', { input: 'hi', speed: 'fast' }],
    ['unknown voice', { input: 'hi', voice: 'darth' }],
  ])('speech: %s → 400', async (_name, body) => {
    await expectEnvelope(await json('/v1/audio/speech', body), 400);
  });
  it('embeddings on a server without a text embedder: 501 or a working answer', async () => {
    const res = await json('/v1/embeddings', { input: 'a cat', model: 'text-embedding-3-small' });
    if (res.status !== 200) await expectEnvelope(res, 501);
  });
});

describe('bad uploads', () => {
  it('415 for a JSON body on a multipart endpoint', async () => {
    await expectEnvelope(await json('/v1/audio/transcriptions', { file: 'x' }), 415);
  });
  it('400 for a missing file', async () => {
    const e = await expectEnvelope(await form('/v1/audio/transcriptions', (f) => f.set('model', 'whisper-1')), 400);
    expect(e.param).toBe('file');
  });
  it('415 for a file type OpenAI does not take', async () => {
    await expectEnvelope(
      await form('/v1/audio/transcriptions', (f) => f.set('file', new Blob(['hello']), 'notes.txt')),
      415,
    );
  });
  it('4xx for corrupt audio', async () => {
    const res = await form('/v1/audio/transcriptions', (f) =>
      f.set('file', new Blob([Buffer.from('RIFF\u0000\u0000garbage')]), 'a.wav'),
    );
    expect([400, 415]).toContain(res.status);
    await expectEnvelope(res, res.status);
  });
  it('413 for a file over the limit', async () => {
    await expectEnvelope(
      await form('/v1/audio/transcriptions', (f) =>
        f.set('file', new Blob([Buffer.alloc(2 * 1024 * 1024)]), 'big.wav'),
      ),
      413,
    );
  });
  it('400 for bad fields', async () => {
    const wav = new Blob([readFileSync(fixtures.speech0880)]);
    for (const [k, v] of [
      ['response_format', 'docx'],
      ['temperature', 'hot'],
      ['language', 'klingon'],
      ['timestamp_granularities[]', 'word'],
      ['stream', 'maybe'],
    ] as const) {
      await expectEnvelope(
        await form('/v1/audio/transcriptions', (f) => {
          f.set('file', wav, 'a.wav');
          f.set(k, v);
        }),
        400,
      );
    }
    await expectEnvelope(
      await form('/v1/audio/translations', (f) => {
        f.set('file', wav, 'a.wav');
        f.set('language', 'en');
      }),
      400,
    );
  });
  it('400 for a broken multipart body', async () => {
    const res = await fetch(`${base}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('SSRF protection for image URLs', () => {
  it.each([
    'http://127.0.0.2/x.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/x.jpg',
    'http://10.0.0.1/x.jpg',
    'http://192.168.1.1/x.jpg',
    'http://[fd00::1]/x.jpg',
    'http://[::ffff:127.0.0.2]/x.jpg',
    'file:///etc/passwd',
    'http://user:pass@example.com/x.jpg',
  ])('refuses %s', async (url) => {
    const res = await json('/v1/images/detect', { image: url });
    expect(res.status).toBe(400);
    const e = await expectEnvelope(res, 400);
    expect(e.code === 'url_not_allowed' || e.code === 'invalid_value').toBe(true);
  });
  it('fetches an allowlisted URL', async () => {
    const res = await json('/v1/images/detect', { image: `${imageBase}/dog.jpg` });
    expect(res.status).toBe(200);
  });
  it.each(['/to-metadata', '/to-ipv6-loopback'])('refuses a redirect %s to a private address', async (path) => {
    const e = await expectEnvelope(await json('/v1/images/detect', { image: `${imageBase}${path}` }), 400);
    expect(e.code).toBe('url_not_allowed');
  });
  it('stops redirect loops and oversized bodies', async () => {
    await expectEnvelope(await json('/v1/images/detect', { image: `${imageBase}/loop` }), 400);
    await expectEnvelope(await json('/v1/images/detect', { image: `${imageBase}/huge` }), 413);
  });
  it('refuses a host name that resolves to loopback (localhost), checked after DNS', async () => {
    // The app above allowlists 127.0.0.1 for its loopback image server, so this is checked on the fetcher itself.
    await expect(
      fetchUrlSafely('http://localhost:9/x.jpg', { maxBytes: 1000, timeoutMs: 2000, maxRedirects: 1 }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'url_not_allowed',
    });
  });
  it('isAddressAllowed: public unicast only, unless allowlisted', () => {
    expect(isAddressAllowed('8.8.8.8')).toBe(true);
    expect(isAddressAllowed('2606:4700::1111')).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fc00::1',
      '0.0.0.0',
      '100.64.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isAddressAllowed(a), a).toBe(false);
    }
    expect(isAddressAllowed('10.1.2.3', ['10.1.2.0/24'])).toBe(true);
  });
});

it('stays healthy after all of that', async () => {
  const res = await fetch(`${base}/health`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; models: { loaded: boolean; queued: number }[] };
  expect(body.status).toBe('ok');
  for (const m of body.models) expect(m.queued).toBe(0);
});
