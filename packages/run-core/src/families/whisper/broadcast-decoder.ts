import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LoaderRuntime } from '../../loaders/runtime.js';
import type { InferenceSession } from '../../session.js';
import { createTensor, type Tensor } from '../../tensor.js';
import { rewriteCrossAttention } from './cross-attention-rewrite.js';
import { float32ToFloat16 } from './float16.js';
import { seededRandom } from './logits.js';
import { WhisperRunner, type WhisperSessions, type StepLogits } from './runner.js';

/** Width of the encoder output the probe feeds (Whisper's 30 s window: 1500 frames). */
const PROBE_FRAMES = 1500;

/** Whether two runs' logits are the same bit for bit. */
function sameBits(a: StepLogits, b: StepLogits): boolean {
  if (a.data.length !== b.data.length) return false;
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Pseudo-random encoder states `[batch, 1500, dModel]` in the decoder's input type. */
function probeHidden(sessions: WhisperSessions, batch: number, dModel: number, seed: number): Tensor {
  const random = seededRandom(seed);
  const data = new Float32Array(batch * PROBE_FRAMES * dModel);
  for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
  const dims = [batch, PROBE_FRAMES, dModel];
  const type = sessions.decoder.inputs.find((i) => i.name === 'encoder_hidden_states')?.type;
  return type === 'float16'
    ? createTensor('float16', float32ToFloat16(data), dims)
    : createTensor('float32', data, dims);
}

/**
 * Decodes a few probe steps with the original decoder (encoder K/V repeated into every row) and with a
 * broadcasting one (batch-1 encoder K/V for three beams; then a batch of two audios, whose K/V differ per row);
 * true when every logit of every cached step is the same bit for bit (false when the broadcasting one fails).
 */
export async function broadcastMatches(
  original: WhisperSessions,
  rewritten: WhisperSessions,
  dModel: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const plain = new WhisperRunner(original);
  const broadcast = new WhisperRunner(rewritten, { broadcastEncoderKv: true });
  const opts = signal ? { signal } : {};
  const beams = async (runner: WhisperRunner, hidden: Tensor): Promise<StepLogits[]> => {
    const state = runner.newState(1);
    await runner.step(state, [[1, 2, 3]], hidden, opts);
    runner.reorder(state, [0, 0, 0]);
    const a = await runner.step(state, [[4], [5], [6]], hidden, opts);
    runner.reorder(state, [2, 0, 0]);
    const b = await runner.step(state, [[7], [8], [9]], hidden, opts);
    runner.release(state);
    return [a, b];
  };
  const audios = async (runner: WhisperRunner, hidden: Tensor): Promise<StepLogits[]> => {
    const state = runner.newState(2);
    await runner.step(
      state,
      [
        [1, 2],
        [1, 3],
      ],
      hidden,
      opts,
    );
    const a = await runner.step(state, [[4], [5]], hidden, opts);
    runner.reorder(state, [1]);
    const b = await runner.step(state, [[6]], hidden, opts);
    runner.release(state);
    return [a, b];
  };
  const one = probeHidden(original, 1, dModel, 14);
  const two = probeHidden(original, 2, dModel, 15);
  const expected = [...(await beams(plain, one)), ...(await audios(plain, two))];
  try {
    const got = [...(await beams(broadcast, one)), ...(await audios(broadcast, two))];
    return expected.every((e, i) => sameBits(e, got[i] as StepLogits));
  } catch (e) {
    if (signal?.aborted) throw e;
    return false; // the rewritten graph failed where the original ran
  }
}

/** What {@link openBroadcastDecoder} decided. */
export interface BroadcastDecoder {
  /** The sessions to decode with (the rewritten cached decoder, or the original ones). */
  readonly sessions: WhisperSessions;
  /** Whether `sessions` broadcasts batch-1 encoder K/V (pass to the runner as `broadcastEncoderKv`). */
  readonly broadcast: boolean;
  /** The original cached-decoder session that `sessions` no longer holds (the caller disposes it). */
  readonly replaced?: InferenceSession;
  /** Why the original graph is kept, when it is. */
  readonly reason?: string;
}

/**
 * Opens the cached decoder of a Whisper export with its cross-attention rewritten to broadcast one copy of the
 * encoder K/V ({@link rewriteCrossAttention}), checks it against the original on probe steps and keeps whichever
 * is right: the rewritten session when every logit is identical (`replaced` is then the original one, for the
 * caller to dispose), else the original sessions untouched.
 */
export async function openBroadcastDecoder(
  runtime: LoaderRuntime,
  file: string,
  sessions: WhisperSessions,
  dModel: number,
): Promise<BroadcastDecoder> {
  if (!runtime.files.extensions.includes('.onnx') || !file.toLowerCase().endsWith('.onnx')) {
    return { sessions, broadcast: false, reason: 'not an ONNX file' };
  }
  const rewrite = rewriteCrossAttention(await readFile(file));
  if (!rewrite) return { sessions, broadcast: false, reason: 'cross-attention pattern not found' };
  let session: InferenceSession;
  try {
    session = await runtime.backend.createSession(rewrite.model, {
      name: `${basename(file)} (broadcast cross-attention)`,
      ...runtime.session,
    });
  } catch (e) {
    return { sessions, broadcast: false, reason: `the runtime rejected the rewritten graph: ${(e as Error).message}` };
  }
  const split = sessions.decoderWithPast !== undefined;
  const candidate: WhisperSessions = split
    ? { ...sessions, decoderWithPast: session }
    : { ...sessions, decoder: session };
  let same = false;
  try {
    same = await broadcastMatches(sessions, candidate, dModel);
  } catch {
    same = false;
  }
  if (!same) {
    await session.dispose();
    return { sessions, broadcast: false, reason: 'logits differ from the original graph' };
  }
  return { sessions: candidate, broadcast: true, replaced: split ? sessions.decoderWithPast : sessions.decoder };
}
