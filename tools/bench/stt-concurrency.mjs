/**
 * Concurrent transcription throughput on one server (prints figures; not a test). A real run-server on loopback
 * per side (tools/bench/stt-concurrency-server.ts, one process each, the same model and thread settings), N = 1, 2
 * and 4 clients using the official `openai` SDK, each client sending its requests one after the other
 * (`BENCH_PER_CLIENT`, default 4, cycling through the five LibriVox clips of .cache/test-media/speech,
 * response_format verbose_json). Per side and N: aggregate audio-seconds per wall second, audio-seconds per
 * server CPU-second, and whether every response equals the same request sent alone (the reference: N = 1 on the
 * `off` side). Rounds interleave the sides with their order rotated; medians are printed.
 * Sides (BENCH_SIDES, default in1,in2,w2x1): `in<T>` = in-process (micro-batching on, as `serve` runs by default)
 * with T intra-op threads; `w<N>x<T>` = the model hosted in N worker threads of T intra-op threads each (`serve
 * --workers N --threads T`); `off` = in-process, microBatch false, BENCH_THREADS threads; `on` = in-process with
 * micro-batching (batchTranscribe's default check: batches only what equals single runs bit for bit); `always` =
 * micro-batching with `batchMode: 'always'` (no check: responses may differ).
 * Besides the table it prints the load average and each server process's CPU time (all its threads); "server cores
 * used" = server CPU seconds ÷ wall seconds during the trial (what the side got of the machine); "server threads
 * waiting for a CPU" = the time its threads were runnable but not running (/proc/self/task/<tid>/schedstat) ÷ wall
 * seconds: above ~0.1 the machine was too busy for the wall-clock columns to compare the sides.
 * Run:
 *   node tools/bench/stt-concurrency.mjs     # BENCH_MODEL (default the int8 tiny.en fixture), BENCH_DTYPE,
 *                                            # BENCH_SIDES, BENCH_THREADS=2 (off/on/always), BENCH_ROUNDS=3,
 *                                            # BENCH_CLIENTS=1,2,4, BENCH_VAD=on
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { median, startWorker } from './peers/workers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(`${root}packages/run-server/package.json`);
const { default: OpenAI, toFile } = await import(require.resolve('openai'));
const threads = process.env.BENCH_THREADS ?? '2';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const perClient = Number(process.env.BENCH_PER_CLIENT ?? 4);
const clientCounts = (process.env.BENCH_CLIENTS ?? '1,2,4').split(',').map(Number);
const sideNames = (process.env.BENCH_SIDES ?? 'in1,in2,w2x1').split(',');
const model = process.env.BENCH_MODEL ?? `${root}tools/fixtures/models/whisper-tiny.en-int8`;
const dtype = process.env.BENCH_DTYPE ?? (process.env.BENCH_MODEL ? '' : 'int8');
const media = `${root}.cache/test-media/speech/`;
const files = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .map((f) => ({ name: f, bytes: readFileSync(media + f) }));
/** Seconds of a 16-bit PCM WAV (data chunk size / byte rate). */
function wavSeconds(b) {
  const byteRate = b.readUInt32LE(28);
  let o = 12;
  while (o + 8 <= b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'data') return size / byteRate;
    o += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}
for (const f of files) f.seconds = wavSeconds(f.bytes);

const fixedSides = {
  off: { BENCH_MICROBATCH: 'off' },
  on: {},
  always: { BENCH_BATCH_MODE: 'always' },
};
/** The server's env for a side name (see the top of the file). */
function sideEnv(name) {
  if (fixedSides[name]) return { BENCH_THREADS: threads, ...fixedSides[name] };
  const inProcess = /^in(\d+)$/.exec(name);
  if (inProcess) return { BENCH_THREADS: inProcess[1] };
  const workers = /^w(\d+)x(\d+)$/.exec(name);
  if (workers) return { BENCH_WORKERS: workers[1], BENCH_THREADS: workers[2] };
  throw new Error(`Unknown side '${name}': use in<threads>, w<workers>x<threads>, off, on or always.`);
}
const sides = [];
for (const name of sideNames) {
  const w = await startWorker(
    name,
    process.execPath,
    ['--conditions=@llama-pajamas/source', '--import', 'tsx', `${root}tools/bench/stt-concurrency-server.ts`],
    {
      cwd: `${root}packages/run-server`,
      env: {
        ...process.env,
        BENCH_MODEL: model,
        BENCH_DTYPE: dtype,
        ...(process.env.BENCH_VAD === 'off' ? { BENCH_VAD: 'off' } : {}),
        ...sideEnv(name),
      },
    },
  );
  const client = new OpenAI({ apiKey: 'x', baseURL: `${w.ready.url}/v1`, maxRetries: 0, timeout: 600_000 });
  sides.push({ name, w, client, wall: {}, cpu: {}, cores: {}, waiting: {}, identical: {} });
}

async function send(side, f) {
  const r = await side.client.audio.transcriptions.create({
    file: await toFile(f.bytes, f.name, { type: 'audio/wav' }),
    model: 'whisper',
    response_format: 'verbose_json',
  });
  return JSON.stringify(r);
}

const reference = new Map();
/** N clients, each sending `perClient` requests in turn; returns audio s per wall s and per server CPU s. */
async function trial(side, n) {
  const { cpuMs: cpu0, waitMs: wait0 } = await side.w.request({});
  const t = performance.now();
  let audio = 0;
  let same = true;
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let k = 0; k < perClient; k++) {
        const f = files[(c * perClient + k) % files.length];
        const body = await send(side, f);
        audio += f.seconds;
        if (!reference.has(f.name)) reference.set(f.name, body);
        else if (reference.get(f.name) !== body) same = false;
      }
    }),
  );
  const wall = (performance.now() - t) / 1000;
  const end = await side.w.request({});
  const cpu = (end.cpuMs - cpu0) / 1000;
  return {
    perWall: audio / wall,
    perCpu: audio / cpu,
    cores: cpu / wall,
    waiting: (end.waitMs - wait0) / 1000 / wall,
    same,
  };
}

const load0 = loadavg();
// Warm-up (and the reference responses): every clip alone on the first side, then once on each side.
for (const f of files) reference.set(f.name, await send(sides[0], f));
for (const s of sides) for (const f of files) if ((await send(s, f)) !== reference.get(f.name)) s.warmDiffers = true;
const loads = [];
for (let r = 0; r < rounds; r++) {
  for (const n of clientCounts) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length]);
    for (const s of order) {
      const { perWall, perCpu, cores, waiting, same } = await trial(s, n);
      (s.waiting[n] ??= []).push(waiting);
      (s.wall[n] ??= []).push(perWall);
      (s.cpu[n] ??= []).push(perCpu);
      (s.cores[n] ??= []).push(cores);
      s.identical[n] = (s.identical[n] ?? true) && same;
    }
    loads.push(loadavg()[0]);
  }
}
const verdicts = [];
const cpuTotals = [];
for (const s of sides) {
  const state = await s.w.request({});
  verdicts.push(`${s.name}: ${JSON.stringify(state.verdict)}`);
  cpuTotals.push(`${s.name} ${(state.cpuMs / 1000).toFixed(1)} s`);
}
const load1 = loadavg();
console.log(
  `model ${model.replace(root, '')}${dtype ? ` (${dtype})` : ''}, VAD ${process.env.BENCH_VAD === 'off' ? 'off' : 'on'}, sides ${sideNames.join(',')} (inter-op 1), ${rounds} rounds, ${perClient} requests per client, clips ${files.map((f) => f.seconds.toFixed(1)).join('/')} s, ${cpus().length} CPUs`,
);
console.log(
  `load average (1 min) during the rounds: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (1/5/15 min at the start ${load0.map((l) => l.toFixed(2)).join('/')}, at the end ${load1.map((l) => l.toFixed(2)).join('/')}); batch check: ${verdicts.join('; ')}`,
);
console.log(`server process CPU time (all threads, warm-up included): ${cpuTotals.join(', ')}`);
console.log(
  '| side | clients | audio s / wall s | × 1 client | audio s / server CPU s | server cores used | server threads waiting for a CPU | responses = alone |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const s of sides) {
  const one = median(s.wall[clientCounts[0]]);
  for (const n of clientCounts) {
    const w = median(s.wall[n]);
    console.log(
      `| ${s.name} | ${n} | ${w.toFixed(2)} | ${(w / one).toFixed(2)} | ${median(s.cpu[n]).toFixed(2)} | ${median(s.cores[n]).toFixed(2)} | ${median(s.waiting[n]).toFixed(2)} | ${s.identical[n] && !s.warmDiffers ? 'yes' : 'NO'} |`,
    );
  }
}
for (const s of sides) s.w.stop();
