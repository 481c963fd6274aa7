/** The two TTS bench workers (ours, piper-tts) and the paragraph they speak, shared by tts.mjs and tts-threads.mjs. */
import { fileURLToPath } from 'node:url';
import { startWorker } from './workers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The four-sentence paragraph of tools/bench/tts.ts. */
export const TTS_TEXT =
  'The quick brown fox jumps over the lazy dog. ' +
  'Streaming speech starts playing while the rest of the paragraph is still being synthesized. ' +
  'Each sentence is phonemized by espeak and spoken by the voice model. ' +
  'This is the last sentence of the benchmark.';

/** Starts ours and piper-tts on en_US-joe-medium with `threads` intra-op threads (1 inter-op); both ready. */
export async function startTtsSides(threads) {
  const voice = `${root}.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx`;
  const env = { ...process.env, BENCH_VOICE: voice, BENCH_THREADS: threads, OMP_NUM_THREADS: threads };
  return [
    await startWorker(
      'ours',
      process.execPath,
      ['--conditions=@llama-pajamas/source', '--import', 'tsx', `${root}tools/bench/peers/tts-ours.ts`],
      { cwd: `${root}packages/run-onnx`, env },
    ),
    await startWorker('piper-tts', `${root}.cache/bench-venv/bin/python`, [`${root}tools/bench/peers/tts_piper.py`], {
      env,
    }),
  ];
}
