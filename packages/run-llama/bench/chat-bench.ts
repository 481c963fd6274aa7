/**
 * Chat throughput and time to first token on the real SmolLM2-135M GGUF, on one shared context:
 * - peer: node-llama-cpp's own `LlamaChatSession` (its own context, 1 sequence, same threads);
 * - in-process: `LlamaChatBackend.chatStream`;
 * - HTTP: `POST /v1/chat/completions` with `stream: true` through run-server on loopback (fetch + SSE parsing);
 * - 4 concurrent HTTP streams vs 1 (aggregate tokens/s).
 * Runs are interleaved (peer, in-process, HTTP, …) so that load from other processes hits all alike; medians of
 * `--reps` (default 5). Greedy decoding, the same prompt, so every run generates the same tokens.
 *
 * Run from packages/run-llama: `pnpm bench` (needs `bash tools/test/setup-llm.sh`). Options: --reps N,
 * --tokens N (default 96), --threads N (default 1), --parallel N (default 4).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getLlama, LlamaChatSession } from 'node-llama-cpp';
// run-server is not a dependency of run-llama (it depends on run-llama for its tests): its source is imported here.
import { createMultimodalApp } from '../../run-server/src/index.js';
import { loadLlamaModel } from '../src/index.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string' },
    tokens: { type: 'string' },
    threads: { type: 'string' },
    parallel: { type: 'string' },
  },
});
const reps = Number(values.reps ?? 5);
const maxTokens = Number(values.tokens ?? 96);
const threads = Number(values.threads ?? 1);
const parallel = Number(values.parallel ?? 4);
const gguf = fileURLToPath(new URL('../../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf', import.meta.url));
if (!existsSync(gguf)) throw new Error(`No model at ${gguf}: run bash tools/test/setup-llm.sh`);
const question = 'Write a short story about a cat who learns to sail.';

interface Run {
  ttftMs: number;
  tokens: number;
  /** Decode rate: tokens after the first / time after the first. */
  tokPerS: number;
  totalMs: number;
}

function run(t0: number, tFirst: number, tEnd: number, tokens: number): Run {
  return { ttftMs: tFirst - t0, tokens, tokPerS: ((tokens - 1) * 1000) / (tEnd - tFirst), totalMs: tEnd - t0 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const llm = await loadLlamaModel(gguf, { modelId: 'smollm2', parallel, contextSize: 2048, threads });
const app = await createMultimodalApp({ llm, options: { maxQueue: 64 } });
const base = await app.listen({ port: 0, host: '127.0.0.1' });

// The peer: node-llama-cpp's own chat session, on its own context with the same threads.
const llama = await getLlama({ gpu: false, build: 'never' });
const peerModel = await llama.loadModel({ modelPath: gguf });
const peerContext = await peerModel.createContext({ sequences: 1, contextSize: 2048, threads });
const peerSequence = peerContext.getSequence();

async function peer(): Promise<Run> {
  const session = new LlamaChatSession({ contextSequence: peerSequence });
  let tokens = 0;
  let tFirst = 0;
  const t0 = performance.now();
  await session.prompt(question, {
    maxTokens,
    temperature: 0,
    onToken: (t) => {
      if (tokens === 0) tFirst = performance.now();
      tokens += t.length;
    },
  });
  const tEnd = performance.now();
  session.dispose();
  return run(t0, tFirst, tEnd, tokens);
}

async function inProcess(): Promise<Run> {
  let tFirst = 0;
  let tokens = 0;
  const t0 = performance.now();
  for await (const d of llm.chatStream([{ role: 'user', content: question }], { maxTokens })) {
    if (d.type === 'text' && tFirst === 0) tFirst = performance.now();
    if (d.type === 'done') tokens = d.usage.completionTokens;
  }
  return run(t0, tFirst, performance.now(), tokens);
}

async function http(): Promise<Run> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: question }],
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  let tFirst = 0;
  let tokens = 0;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body!) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const chunk = JSON.parse(line.slice(6)) as {
        choices: { delta: { content?: string } }[];
        usage?: { completion_tokens: number } | null;
      };
      if (tFirst === 0 && chunk.choices[0]?.delta.content) tFirst = performance.now();
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  return run(t0, tFirst, performance.now(), tokens);
}

async function concurrent(n: number): Promise<{ aggregate: number; perStream: number }> {
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: n }, () => http()));
  const wall = performance.now() - t0;
  const total = runs.reduce((a, r) => a + r.tokens, 0);
  return { aggregate: (total * 1000) / wall, perStream: median(runs.map((r) => r.tokPerS)) };
}

// Warm-up (first-use costs: grammar-free paths, sockets, page cache).
await peer();
await inProcess();
await http();

const results: Record<'peer' | 'inProcess' | 'http', Run[]> = { peer: [], inProcess: [], http: [] };
const conc: Record<'one' | 'four', { aggregate: number; perStream: number }[]> = { one: [], four: [] };
for (let r = 0; r < reps; r++) {
  results.peer.push(await peer());
  results.inProcess.push(await inProcess());
  results.http.push(await http());
  conc.one.push(await concurrent(1));
  conc.four.push(await concurrent(4));
}

const row = (name: string, runs: Run[]): string =>
  `| ${name} | ${median(runs.map((x) => x.tokens))} | ${median(runs.map((x) => x.ttftMs)).toFixed(0)} | ${median(runs.map((x) => x.tokPerS)).toFixed(1)} | ${median(runs.map((x) => x.totalMs)).toFixed(0)} |`;
console.log(
  `CPU: ${cpus()[0]?.model ?? '?'} x${cpus().length}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`threads ${threads}, ${parallel} sequences, max_tokens ${maxTokens}, ${reps} reps (medians)\n`);
console.log('| path | tokens | TTFT ms | decode tok/s | total ms |\n| --- | --- | --- | --- | --- |');
console.log(row('node-llama-cpp LlamaChatSession (peer)', results.peer));
console.log(row('LlamaChatBackend.chatStream (in-process)', results.inProcess));
console.log(row('HTTP /v1/chat/completions stream', results.http));
const ratio = median(results.http.map((x) => x.tokPerS)) / median(results.inProcess.map((x) => x.tokPerS));
console.log(`\nHTTP / in-process decode tok/s: ${ratio.toFixed(3)}`);
console.log('\n| HTTP streams at once | aggregate tok/s | per-stream decode tok/s |\n| --- | --- | --- |');
for (const [n, k] of [
  [1, 'one'],
  [4, 'four'],
] as const) {
  console.log(
    `| ${n} | ${median(conc[k].map((c) => c.aggregate)).toFixed(1)} | ${median(conc[k].map((c) => c.perStream)).toFixed(1)} |`,
  );
}

await app.close();
await llm.unload();
await peerContext.dispose();
await peerModel.dispose();
