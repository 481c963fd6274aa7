/**
 * Decoding alone, the original decoder graph against the one whose cross-attention broadcasts one copy of the
 * encoder K/V (`rewriteGraph: false` vs the default; prints figures, not a test): Whisper tiny.en int8
 * (tools/fixtures/models), the five LibriVox clips of .cache/test-media/speech (tools/test/fetch-test-media.sh)
 * and, when it exists, the first window of .cache/bench-speech-36s.wav (tools/bench/peers/stt-long-audio.mjs), one
 * 30 s window each, encoded once. Rounds interleave the two sides (order alternating); each side's figure is the
 * CPU time of this process (`process.cpuUsage`, onnxruntime's threads included) while it decodes every window.
 * Tokens and log-probabilities are compared bit for bit. Run:
 *   cd packages/run-onnx && node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/beam-broadcast.ts
 * `BENCH_ROUNDS` (default 6), `BENCH_BEAM` (default 5; 1 = greedy).
 */
import { existsSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '../../packages/run-core/src/index.js';
import { decodeWindow, logMelSpectrogram, seededRandom } from '../../packages/run-core/src/families.js';
import { loadSpeechToText } from '../../packages/run-onnx/src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const BEAM = Number(process.env.BENCH_BEAM ?? 5);
const model = fileURLToPath(new URL('../fixtures/models/whisper-tiny.en-int8', import.meta.url));
const media = fileURLToPath(new URL('../../.cache/test-media/speech/', import.meta.url));
const long = fileURLToPath(new URL('../../.cache/bench-speech-36s.wav', import.meta.url));
const files = readdirSync(media)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .map((f) => join(media, f));
if (existsSync(long)) files.push(long);

const threads = { intraOpThreads: 1, interOpThreads: 1 };
const sides = {
  original: await loadSpeechToText(model, { vad: false, rewriteGraph: false, ...threads }),
  broadcast: await loadSpeechToText(model, { vad: false, ...threads }),
};
if (!sides.broadcast.pipeline.runner.broadcastsEncoderKv) throw new Error('the rewritten graph was not kept');
const p = sides.original.pipeline;
const hiddens = [];
for (const f of files) {
  const audio = await loadAudio(f, { sampleRate: 16000 });
  const samples = audio.samples.subarray(0, 30 * 16000);
  hiddens.push(await p.encode(logMelSpectrogram(samples, { nMels: p.config.nMels }).data, 1));
}
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const results: Record<string, string[]> = { original: [], broadcast: [] };
const cpu: Record<string, number[]> = { original: [], broadcast: [] };
const order = Object.keys(sides) as (keyof typeof sides)[];
for (let r = 0; r < ROUNDS; r++) {
  const loads = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const line: string[] = [];
  for (const name of r % 2 === 0 ? order : [...order].reverse()) {
    const pipe = sides[name].pipeline;
    const c0 = cpuMs();
    const out: string[] = [];
    for (const hidden of hiddens) {
      const res = await decodeWindow(pipe.runner, pipe.tokenizer, pipe.config, hidden, {
        withTimestamps: true,
        temperature: 0,
        beamSize: BEAM,
        random: seededRandom(0),
      });
      out.push(JSON.stringify([res.tokens, res.tokenLogprobs, res.sumLogprob, res.noSpeechProb]));
    }
    const c = cpuMs() - c0;
    cpu[name]?.push(c);
    line.push(`${name} ${c.toFixed(0)} ms`);
    if (r === 0) results[name] = out;
  }
  console.log(`round ${r} (load ${loads}): ${line.join(', ')}`);
}
const same = results.original?.every((x, i) => x === results.broadcast?.[i]);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const a = median(cpu.original as number[]);
const b = median(cpu.broadcast as number[]);
console.log(
  `beam ${BEAM}, ${hiddens.length} windows, CPU median of ${ROUNDS}: original ${a.toFixed(0)} ms, broadcast ${b.toFixed(0)} ms, ratio ${(b / a).toFixed(3)}; tokens and log-probs identical: ${same}`,
);
await sides.original.unload();
await sides.broadcast.unload();
