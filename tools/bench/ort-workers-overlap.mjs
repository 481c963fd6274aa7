/**
 * Do onnxruntime-node sessions in worker threads run at the same time? (prints figures; not a test). Each of N
 * worker threads opens its own session of the Whisper tiny.en int8 encoder (1 intra-op thread) and runs it K times
 * on the same input; the same N×K runs are also done by one worker alone. Rounds interleave the two; medians.
 * "overlap" = wall time of one worker doing N×K runs ÷ wall time of N workers doing K each (N = perfect overlap
 * on N free cores). Also: ticks of a 5 ms interval on the main thread while the workers run (the event loop stays
 * free), the CPU time each run cost its thread (/proc/thread-self/stat: more when runs slow each other down, as
 * on shared cores or caches), and the load average.
 * Run: node tools/bench/ort-workers-overlap.mjs   # BENCH_WORKERS=2, BENCH_RUNS=3 (per worker), BENCH_ROUNDS=3
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

/** CPU time of the calling thread in ms (utime + stime of /proc/thread-self/stat, in clock ticks of 10 ms). */
function threadCpuMs() {
  const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const ort = createRequire(`${root}packages/run-onnx/package.json`)('onnxruntime-node');
const model = `${root}tools/fixtures/models/whisper-tiny.en-int8/onnx/encoder_model_quantized.onnx`;
const input = () => ({
  input_features: new ort.Tensor('float32', new Float32Array(80 * 3000).fill(0.1), [1, 80, 3000]),
});

if (!isMainThread) {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  await session.run(input());
  parentPort.postMessage('ready');
  parentPort.on('message', async (runs) => {
    const c = threadCpuMs();
    for (let i = 0; i < runs; i++) await session.run(input());
    parentPort.postMessage(threadCpuMs() - c);
  });
} else {
  const n = Number(process.env.BENCH_WORKERS ?? 2);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const workers = Array.from({ length: n }, () => new Worker(new URL(import.meta.url)));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
  const go = (w, k) =>
    new Promise((r) => {
      w.once('message', r);
      w.postMessage(k);
    });
  const timed = async (jobs) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t = performance.now();
    const cpu = await Promise.all(jobs());
    const wall = performance.now() - t;
    clearInterval(timer);
    return { wall, ticks, cpu: cpu.reduce((a, b) => a + b, 0) };
  };
  const together = [];
  const alone = [];
  const cpuTogether = [];
  const cpuAlone = [];
  const ticks = [];
  const loads = [loadavg()[0]];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const a = () => timed(() => workers.map((w) => go(w, runs)));
    const b = () => timed(() => [go(workers[0], n * runs)]);
    // Side order alternates between rounds.
    const first = r % 2 === 0 ? await a() : await b();
    const second = r % 2 === 0 ? await b() : await a();
    const [xx, y] = r % 2 === 0 ? [first, second] : [second, first];
    together.push(xx.wall);
    alone.push(y.wall);
    cpuTogether.push(xx.cpu / (n * runs));
    cpuAlone.push(y.cpu / (n * runs));
    ticks.push(xx.ticks / (xx.wall / 5));
    loads.push(loadavg()[0]);
  }
  const cpu = process.cpuUsage(cpu0);
  for (const w of workers) await w.terminate();
  console.log(
    `${n} workers × ${runs} encoder runs vs 1 worker × ${n * runs} (tiny.en int8 encoder, 1 intra-op thread each, ${cpus().length} CPUs, ${rounds} rounds)`,
  );
  console.log(
    `together ${median(together).toFixed(0)} ms, alone ${median(alone).toFixed(0)} ms, overlap ${(median(alone) / median(together)).toFixed(2)}× (${n} = perfect); main-thread 5 ms ticks during the runs: ${(100 * median(ticks)).toFixed(0)} % of the expected`,
  );
  console.log(
    `CPU time per encoder run (the workers' own threads): together ${median(cpuTogether).toFixed(0)} ms, alone ${median(cpuAlone).toFixed(0)} ms`,
  );
  console.log(
    `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
  );
}
