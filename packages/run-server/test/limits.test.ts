import { readFileSync } from 'node:fs';
import type { VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultimodalApp } from '../src/index.js';
import { fixtures } from './fixtures/index.js';

let yolox: VisionBackend;
const body = JSON.stringify({ image: readFileSync(fixtures.dog).toString('base64') });

beforeAll(async () => {
  yolox = await loadVisionModel(fixtures.yolox, { labels: fixtures.coco80 });
});
afterAll(async () => {
  await yolox?.unload();
});

const detect = (base: string): Promise<Response> =>
  fetch(`${base}/v1/images/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('queue, timeout, shutdown, micro-batching (real YOLOX-Nano)', () => {
  it('refuses past the bounded queue with 429 + Retry-After, then recovers', async () => {
    const app = await createMultimodalApp({
      vision: { yolox },
      options: { concurrency: 1, maxQueue: 1, microBatch: false },
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await Promise.all(Array.from({ length: 6 }, () => detect(base)));
      const codes = res.map((r) => r.status);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2);
      const refused = res.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const r of refused) {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const e = (await r.json()) as { error: { type: string; code: string } };
        expect(e.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      }
      expect((await detect(base)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('answers 504 past the request time limit and stays healthy', async () => {
    const app = await createMultimodalApp({ vision: { yolox }, options: { requestTimeoutMs: 1 } });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const r = await detect(base);
      expect(r.status).toBe(504);
      expect(((await r.json()) as { error: { type: string } }).error.type).toBe('timeout_error');
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('close() finishes in-flight requests', async () => {
    const app = await createMultimodalApp({ vision: { yolox }, options: { microBatch: false } });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const inflight = Promise.all([detect(base), detect(base), detect(base)]);
    // Wait until all three have been received (one running, two queued), then close.
    let received = 0;
    for (const until = Date.now() + 30_000; Date.now() < until && received < 3;) {
      const h = (await app.inject({ url: '/health' })).json<{ models: { running: number; queued: number }[] }>();
      received = h.models[0]!.running + h.models[0]!.queued;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(received).toBe(3);
    await app.close();
    const res = await inflight;
    expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
  }, 120_000);

  it('micro-batches concurrent single-image requests into batchDetect calls', async () => {
    let calls = 0;
    let images = 0;
    const original = yolox.batchDetect.bind(yolox);
    // Count calls on the real backend (a spy that forwards, not a mock).
    yolox.batchDetect = (xs, o) => {
      calls++;
      images += xs.length;
      return original(xs, o);
    };
    const app = await createMultimodalApp({ vision: { yolox } });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await Promise.all(Array.from({ length: 6 }, () => detect(base)));
      expect(res.every((r) => r.status === 200)).toBe(true);
      const bodies = (await Promise.all(res.map((r) => r.json()))) as {
        data: { detections: { class_name: string }[] }[];
      }[];
      for (const b of bodies) expect(b.data[0]!.detections.map((d) => d.class_name)).toContain('dog');
      expect(images).toBe(6);
      expect(calls).toBeLessThan(6);
    } finally {
      await app.close();
      delete (yolox as { batchDetect?: unknown }).batchDetect;
    }
  });
});
