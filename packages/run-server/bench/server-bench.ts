/**
 * Server overhead, concurrency and memory on real models (loopback only, bounded loops). Each server config runs
 * in a child process of its own (`server-child.ts`); this process is the load client (fetch and autocannon), so
 * client and server never share an event loop.
 *
 * Run from packages/run-server: `pnpm bench`. Options:
 * --iterations N  latency samples per config, in-process and HTTP interleaved (default 40)
 * --seconds S     length of each autocannon run (default 8)
 * --requests N    requests of each memory run, after a warm-up of a fifth of that (default 5000; 0 = no memory run)
 * --memory-model  model of the memory run: mobilenet (default, faster; micro-batching on) or yolox (micro-batching
 *                 off: batch-1 model); `--memory-config` takes a full `model:cNtN[:nomb]` instead
 * --memory-settings LIST  comma-separated memory settings, one server process each, parts joined by `+`
 *                 (default `default,arena2`: glibc's default, then the recommended MALLOC_ARENA_MAX=2):
 *                 `default` | `arena2` (MALLOC_ARENA_MAX=2) | `jemalloc` (LD_PRELOAD of Debian's libjemalloc2) |
 *                 `nocache` (sharp.cache(false)), e.g. `default,arena2,jemalloc,nocache,jemalloc+nocache`
 * --snapshots DIR write V8 heap snapshots of each memory run's server after the warm-up and at the end (writing
 *                 them grows RSS by ~70 MiB: compare heaps with it, not RSS)
 * --configs none  skips the latency/throughput table (memory runs only)
 * --configs LIST  comma-separated configs `model:cNtN[:nomb]` (default: the table in docs/benchmarks.md), e.g.
 *                 `yolox:c1t2,yolox:c2t1:nomb` = YOLOX, concurrency 1, 2 intra-op threads, micro-batching on / off
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { ChildConfig, ChildMemory, ChildRequest } from './server-child.js';
import { asset } from '../../../tools/test/assets.js';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string' },
    seconds: { type: 'string' },
    requests: { type: 'string' },
    'memory-model': { type: 'string' },
    'memory-config': { type: 'string' },
    'memory-settings': { type: 'string' },
    snapshots: { type: 'string' },
    configs: { type: 'string' },
  },
});
const iterations = Number(values.iterations ?? 40);
const seconds = Number(values.seconds ?? 8);
const requests = Number(values.requests ?? 5000);
const DEFAULT_CONFIGS = 'yolox:c1t2,yolox:c2t1,yolox:c2t1:nomb,mobilenet:c1t2,mobilenet:c1t2:nomb,mobilenet:c2t1';

function parseConfig(s: string): ChildConfig {
  const m = /^(yolox|mobilenet):c(\d+)t(\d+)(:nomb)?$/.exec(s.trim());
  if (!m) throw new TypeError(`Bad config '${s}': expected model:cNtN[:nomb], e.g. yolox:c2t1`);
  return { model: m[1] as ChildConfig['model'], concurrency: Number(m[2]), threads: Number(m[3]), microBatch: !m[4] };
}
const configs = values.configs === 'none' ? [] : (values.configs ?? DEFAULT_CONFIGS).split(',').map(parseConfig);
const label = (c: ChildConfig): string => `${c.model} c${c.concurrency} t${c.threads} ${c.microBatch ? 'mb' : 'no-mb'}`;
const memoryConfig = parseConfig(
  values['memory-config'] ?? (values['memory-model'] === 'yolox' ? 'yolox:c1t2:nomb' : 'mobilenet:c1t2'),
);

/** One way to run the memory test's server process: environment, and image-cache setting. */
interface MemorySetting {
  name: string;
  env: Record<string, string>;
  imageCache?: boolean;
}
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
function parseSetting(s: string): MemorySetting | undefined {
  const setting: MemorySetting = { name: s.trim(), env: {} };
  for (const part of setting.name.split('+')) {
    if (part === 'default') continue;
    else if (part === 'arena2') setting.env.MALLOC_ARENA_MAX = '2';
    else if (part === 'jemalloc') {
      if (!existsSync(JEMALLOC)) {
        console.log(
          `memory setting '${setting.name}' skipped: ${JEMALLOC} is missing (apt-get install -y libjemalloc2)`,
        );
        return undefined;
      }
      setting.env.LD_PRELOAD = JEMALLOC;
    } else if (part === 'nocache') setting.imageCache = false;
    else throw new TypeError(`Bad memory setting '${part}': expected default, arena2, jemalloc or nocache`);
  }
  return setting;
}
const memorySettings = (values['memory-settings'] ?? 'default,arena2')
  .split(',')
  .map(parseSetting)
  .filter((s) => s !== undefined);

const shared = asset;
const body = JSON.stringify({ image: readFileSync(shared('media/images/dog.jpg')).toString('base64') });
const route = (c: ChildConfig): string => (c.model === 'yolox' ? '/v1/images/detect' : '/v1/images/classify');

interface Child {
  url: string;
  ask: <T>(m: ChildRequest) => Promise<T>;
  proc: ChildProcess;
  /** The malloc the server process runs on (`libc`, or `jemalloc` when preloaded). */
  allocator: string;
}

async function startChild(config: ChildConfig, env: Record<string, string> = {}): Promise<Child> {
  const proc = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [JSON.stringify(config)], {
    execArgv: ['--expose-gc', '--conditions=@llama-pajamas/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  let pending: ((m: unknown) => void) | undefined;
  let allocator = '?';
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    proc.on('message', (m: { type: string; url?: string; allocator?: string }) => {
      if (m.type === 'ready') {
        allocator = m.allocator ?? '?';
        resolve(m.url ?? '');
      } else pending?.(m);
    });
  });
  const ask = <T>(m: ChildRequest): Promise<T> =>
    new Promise<T>((resolve) => {
      pending = (r) => resolve(r as T);
      proc.send(m);
    });
  return { url, ask, proc, allocator };
}

async function stopChild(child: Child): Promise<void> {
  const exited = new Promise((r) => child.proc.once('exit', r));
  await child.ask({ type: 'close' });
  await exited;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const min = (xs: number[]): number => Math.min(...xs);

// The latency client: node:http on a keep-alive socket with the body encoded once (fetch/undici adds ~0.3 ms).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const bodyBytes = Buffer.from(body);
function post(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': bodyBytes.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(bodyBytes);
  });
}

const cannon = (
  url: string,
  connections: number,
  opts: { duration?: number; amount?: number },
): Promise<autocannon.Result> =>
  autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, ...opts });

interface Row {
  config: string;
  inproc: number;
  http: number;
  inprocMin: number;
  httpMin: number;
  one: number;
  eight: number;
  eightP50: number;
  non2xx: number;
}

const rows: Row[] = [];
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const config of configs) {
  const child = await startChild(config);
  const url = `${child.url}${route(config)}`;
  // 1. In-process vs HTTP latency: sequential, warmed up, the two interleaved so that load changes hit both alike.
  for (let i = 0; i < 5; i++) await post(url);
  const inproc: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < iterations; i++) {
    inproc.push((await child.ask<{ ms: number }>({ type: 'inproc' })).ms);
    const t = performance.now();
    await post(url);
    http.push(performance.now() - t);
  }
  // 2. Throughput: 1 client, then 8 concurrent clients.
  const one = await cannon(url, 1, { duration: seconds });
  const eight = await cannon(url, 8, { duration: seconds });
  const row: Row = {
    config: label(config),
    inproc: median(inproc),
    http: median(http),
    inprocMin: min(inproc),
    httpMin: min(http),
    one: one.requests.average,
    eight: eight.requests.average,
    eightP50: eight.latency.p50,
    non2xx: one.non2xx + eight.non2xx + one.errors + eight.errors,
  };
  rows.push(row);
  console.log(
    `${row.config}: p50 in-process ${row.inproc.toFixed(1)} ms, HTTP ${row.http.toFixed(1)} ms (${(row.http / row.inproc).toFixed(3)}); ` +
      `1 client ${row.one.toFixed(1)} req/s, 8 clients ${row.eight.toFixed(1)} req/s (${(row.eight / row.one).toFixed(2)}x); load ${loadavg()[0]?.toFixed(2)}`,
  );
  await stopChild(child);
}

if (rows.length > 0) {
  console.log(
    '\n| config | in-process p50 (min) ms | HTTP p50 (min) ms | HTTP ÷ in-process | 1 client req/s | 8 clients req/s | 8 ÷ 1 | 8-client p50 ms | errors |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.config} | ${r.inproc.toFixed(1)} (${r.inprocMin.toFixed(1)}) | ${r.http.toFixed(1)} (${r.httpMin.toFixed(1)}) | ` +
        `**${(r.http / r.inproc).toFixed(3)}** (${(r.httpMin / r.inprocMin).toFixed(3)}) | ${r.one.toFixed(1)} | ${r.eight.toFixed(1)} | ` +
        `**${(r.eight / r.one).toFixed(2)}x** | ${r.eightP50.toFixed(0)} | ${r.non2xx} |`,
    );
  }
  console.log('targets: HTTP ÷ in-process <= 1.10, 8 ÷ 1 clients >= 1.5x');
}

// 3. Memory: the server process's `process.memoryUsage()` (after two GCs) before and after N requests (8 clients),
// after a warm-up of the same load (allocator arenas, onnxruntime's arena for batched shapes and libvips grow to a
// plateau first; the cold figure is printed too), with a checkpoint every fifth of the run; once per memory setting
// (allocator, libvips cache), each in a fresh server process.
interface MemoryRow {
  setting: string;
  allocator: string;
  cold: ChildMemory;
  before: ChildMemory;
  after: ChildMemory;
  checkpoints: number[];
  seconds: number;
  failed: number;
}
const memoryRows: MemoryRow[] = [];
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const pct = (a: number, b: number): string => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;
if (requests > 0) {
  const config = memoryConfig;
  if (values.snapshots) mkdirSync(values.snapshots, { recursive: true });
  for (const setting of memorySettings) {
    const child = await startChild({ ...config, imageCache: setting.imageCache }, setting.env);
    const url = `${child.url}${route(config)}`;
    const mem = (): Promise<ChildMemory> => child.ask<ChildMemory>({ type: 'mem' });
    const snapshot = async (tag: string): Promise<void> => {
      if (!values.snapshots) return;
      const path = join(values.snapshots, `${setting.name}-${tag}.heapsnapshot`);
      await child.ask({ type: 'snapshot', path });
    };
    const cold = await mem();
    const warmup = Math.max(8, Math.round(requests / 5));
    let failed = (await cannon(url, 8, { amount: warmup })).non2xx;
    const before = await mem();
    await snapshot('warm');
    const checkpoints: number[] = [];
    const t = performance.now();
    for (let done = 0; done < requests;) {
      const n = Math.min(Math.max(8, Math.round(requests / 5)), requests - done);
      const r = await cannon(url, 8, { amount: n });
      failed += r.non2xx + r.errors;
      done += n;
      const m = await mem();
      checkpoints.push(m.rss);
      console.log(
        `  [${setting.name}] ${done}: rss ${mib(m.rss)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} ` +
          `arrayBuffers ${mib(m.arrayBuffers)} MiB; load ${loadavg()[0]?.toFixed(2)}`,
      );
    }
    const after = await mem();
    await snapshot('end');
    const row: MemoryRow = {
      setting: setting.name,
      allocator: child.allocator,
      cold,
      before,
      after,
      checkpoints,
      seconds: (performance.now() - t) / 1000,
      failed,
    };
    memoryRows.push(row);
    console.log(
      `memory [${row.setting}, malloc ${row.allocator}] (${label(config)}, ${route(config)}, 8 clients): RSS cold ${mib(cold.rss)} MiB, ` +
        `after ${warmup} warm-up requests ${mib(before.rss)} MiB, after ${requests} more ${mib(after.rss)} MiB: ` +
        `${pct(before.rss, after.rss)} (target < 5%; from cold ${pct(cold.rss, after.rss)}); heapUsed ${mib(before.heapUsed)} → ` +
        `${mib(after.heapUsed)}, external ${mib(before.external)} → ${mib(after.external)} MiB. ` +
        `${row.seconds.toFixed(0)} s; failed: ${failed}; load ${loadavg()[0]?.toFixed(2)}`,
    );
    await stopChild(child);
  }
  console.log(
    `\nmemory: ${label(config)}, ${route(config)}, 8 clients, ${Math.max(8, Math.round(requests / 5))} warm-up + ${requests} requests; MiB after two GCs`,
  );
  console.log(
    '| setting | malloc | RSS cold | RSS warm | RSS end | growth after warm-up | RSS checkpoints | heapUsed warm → end | external warm → end | failed |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of memoryRows) {
    console.log(
      `| ${r.setting} | ${r.allocator} | ${mib(r.cold.rss)} | ${mib(r.before.rss)} | ${mib(r.after.rss)} | ` +
        `**${pct(r.before.rss, r.after.rss)}** | ${r.checkpoints.map(mib).join(', ')} | ${mib(r.before.heapUsed)} → ${mib(r.after.heapUsed)} | ` +
        `${mib(r.before.external)} → ${mib(r.after.external)} | ${r.failed} |`,
    );
  }
  console.log('target: RSS growth after warm-up < 5%');
}
