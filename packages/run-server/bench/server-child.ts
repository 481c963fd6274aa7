/**
 * The server side of `server-bench.ts`: one backend and its app in a process of their own, so that the load client
 * does not share their event loop. Started by the bench with the config as JSON in argv[2]; talks over IPC:
 * `ready` (with the URL and the malloc in use) once listening; answers `inproc` (one in-process call on the same
 * backend, timed here), `rss` / `mem` (`process.memoryUsage()` after two GCs), `snapshot` (a V8 heap snapshot to a
 * file) and `close`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import type { VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import { createMultimodalApp } from '../src/index.js';
import { asset } from '../../../tools/test/assets.js';

/** What one bench server runs. */
export interface ChildConfig {
  model: 'yolox' | 'mobilenet';
  /** Requests that run at once (the queue's concurrency). */
  concurrency: number;
  /** onnxruntime intra-op threads of the session. */
  threads: number;
  microBatch: boolean;
  /** `false` turns libvips' operation cache off (`sharp.cache(false)`) before the first image; default: sharp's. */
  imageCache?: boolean;
}

/** Messages the child answers. */
export type ChildRequest =
  { type: 'inproc' } | { type: 'rss' } | { type: 'mem' } | { type: 'snapshot'; path: string } | { type: 'close' };

/** The answer to `mem`: `process.memoryUsage()` after two full GCs. */
export type ChildMemory = NodeJS.MemoryUsage;

const shared = asset;
const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const send = (m: unknown): void => {
  process.send?.(m);
};

// The child's libc malloc or a preloaded one (LD_PRELOAD=…libjemalloc.so.2), read from the mapped libraries.
const maps = ((): string => {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '';
  }
})();
const allocator = /libjemalloc/.test(maps) ? 'jemalloc' : /libtcmalloc/.test(maps) ? 'tcmalloc' : 'libc';
if (config.imageCache === false) {
  // sharp is run-core's dependency, not ours: resolve it from there (the setting is libvips-wide).
  const sharp = createRequire(fileURLToPath(new URL('../../run-core/package.json', import.meta.url)))('sharp') as {
    cache: (on: boolean) => unknown;
  };
  sharp.cache(false);
}

const image = new Uint8Array(readFileSync(shared('media/images/dog.jpg')));
let backend: VisionBackend;
if (config.model === 'yolox') {
  backend = await loadVisionModel(shared('models/detection/yolox_nano.onnx'), {
    labels: shared('models/detection/coco80.txt'),
    intraOpThreads: config.threads,
    interOpThreads: 1,
  });
} else {
  // ImageNet preprocessing as shared/models/MANIFEST.json says (the ONNX file carries no metadata).
  const input = {
    width: 224,
    height: 224,
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406] as const,
    std: [0.229, 0.224, 0.225] as const,
  };
  backend = await loadVisionModel(shared('models/classification/mobilenetv2-12-w8.onnx'), {
    manifest: { task: 'classify', labels: shared('models/classification/imagenet1k.txt'), input },
    intraOpThreads: config.threads,
    interOpThreads: 1,
  });
}
const app = await createMultimodalApp({
  vision: { [config.model]: backend },
  options: { maxQueue: 64, concurrency: config.concurrency, microBatch: config.microBatch, openapi: false },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// The in-process call: the same decoded bytes the HTTP route gets after base64, the same call the route makes.
const call = (): Promise<unknown> =>
  config.model === 'yolox' ? backend.batchDetect([image]) : backend.batchClassify([image]);
for (let i = 0; i < 3; i++) await call();

process.on('message', (m: ChildRequest) => {
  void (async () => {
    if (m.type === 'inproc') {
      const t = performance.now();
      await call();
      send({ type: 'inproc', ms: performance.now() - t });
    } else if (m.type === 'rss' || m.type === 'mem') {
      global.gc?.();
      global.gc?.();
      const mem = process.memoryUsage();
      send(m.type === 'rss' ? { type: 'rss', rss: mem.rss } : { type: 'mem', ...mem });
    } else if (m.type === 'snapshot') {
      global.gc?.();
      send({ type: 'snapshot', path: writeHeapSnapshot(m.path) });
    } else {
      await app.close();
      await backend.unload();
      send({ type: 'closed' });
      process.disconnect();
    }
  })();
});
send({ type: 'ready', url, allocator, env: { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } });
