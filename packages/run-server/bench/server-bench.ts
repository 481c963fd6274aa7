/**
 * Server overhead, concurrency and memory on the real YOLOX-Nano (loopback only, bounded loops).
 * Run from packages/run-server: `pnpm bench` (node --conditions=@llama-pajamas/source --import tsx bench/server-bench.ts).
 * Options: --iterations N (latency samples, default 60), --seconds S (autocannon run length, default 8),
 * --requests N (memory run, default 5000).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import { createMultimodalApp } from '../src/index.js';

const { values } = parseArgs({ allowPositionals: true, options: { iterations: { type: 'string' }, seconds: { type: 'string' }, requests: { type: 'string' } } });
const iterations = Number(values.iterations ?? 60);
const seconds = Number(values.seconds ?? 8);
const requests = Number(values.requests ?? 5000);
const shared = (p: string): string => fileURLToPath(new URL(`../../../../shared/${p}`, import.meta.url));

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const image = readFileSync(shared('media/images/dog.jpg'));
const body = JSON.stringify({ image: image.toString('base64') });

const backend = await loadVisionModel(shared('models/detection/yolox_nano.onnx'), { labels: shared('models/detection/coco80.txt') });
const app = await createMultimodalApp({ vision: { yolox: backend }, options: { maxQueue: 64 } });
const url = await app.listen({ port: 0, host: '127.0.0.1' });

// 1. In-process vs HTTP latency (sequential, warmed up).
for (let i = 0; i < 5; i++) await backend.detect(image);
const inproc: number[] = [];
for (let i = 0; i < iterations; i++) {
  const t = performance.now();
  await backend.detect(new Uint8Array(image));
  inproc.push(performance.now() - t);
}
const post = (): Promise<Response> => fetch(`${url}/v1/images/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
for (let i = 0; i < 5; i++) await (await post()).arrayBuffer();
const http: number[] = [];
for (let i = 0; i < iterations; i++) {
  const t = performance.now();
  const res = await post();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  http.push(performance.now() - t);
}
console.log(`detect p50 in-process ${p50(inproc).toFixed(2)} ms, HTTP ${p50(http).toFixed(2)} ms, ratio ${(p50(http) / p50(inproc)).toFixed(3)} (target <= 1.10)`);

// 2. Throughput: 1 client vs 8 concurrent clients.
const cannon = (connections: number, opts: { duration?: number; amount?: number }): Promise<autocannon.Result> =>
  autocannon({ url: `${url}/v1/images/detect`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, ...opts });
const one = await cannon(1, { duration: seconds });
const eight = await cannon(8, { duration: seconds });
console.log(
  `throughput 1 client ${one.requests.average.toFixed(1)} req/s, 8 clients ${eight.requests.average.toFixed(1)} req/s, ratio ${(eight.requests.average / one.requests.average).toFixed(2)} (target >= 1.5); non-2xx: ${one.non2xx + eight.non2xx}`,
);

// 3. Memory: RSS before and after N requests.
global.gc?.();
const before = process.memoryUsage().rss;
const mem = await cannon(8, { amount: requests });
global.gc?.();
const after = process.memoryUsage().rss;
console.log(
  `RSS before ${(before / 2 ** 20).toFixed(1)} MiB, after ${requests} requests ${(after / 2 ** 20).toFixed(1)} MiB, growth ${(((after - before) / before) * 100).toFixed(2)}% (target < 5%); non-2xx: ${mem.non2xx}, errors: ${mem.errors}`,
);
await app.close();
await backend.unload();
