import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LoaderRuntime } from '../../loaders/runtime.js';
import type { InferenceSession } from '../../session.js';
import { createTensor } from '../../tensor.js';
import { rewriteEncoderAttention } from './encoder-attention-rewrite.js';
import { seededRandom } from './logits.js';
import { WHISPER_CHUNK_FRAMES, WHISPER_SAMPLE_RATE, logMelSpectrogram } from './log-mel.js';

/**
 * Largest relative RMS difference accepted between the rewritten and the original encoder output on the probe,
 * for float graphs (measured on tiny fp32: 1e-6; a 10 % wrong attention scale gives 4e-2).
 */
const FLOAT_TOLERANCE = 1e-4;
/**
 * For dynamically quantized graphs, whose int8 rounding of activations turns any change in float summation
 * order into a difference of a few percent (tiny.en int8: 4.4e-2, the same as nudging one input in seven by
 * 1e-5; a 10 % wrong attention scale gives 1.2e-1): the rewritten output may differ from the original by at
 * most this many times the original's own difference under such a nudge.
 */
const QUANTIZED_NOISE_FACTOR = 1.5;

/** What {@link openRewrittenEncoder} decided. */
export interface RewrittenEncoder {
  /** The encoder session to use (the rewritten one, or the original). */
  readonly session: InferenceSession;
  /** How many self-attention blocks run as one fused node (0 when the original is kept). */
  readonly layers: number;
  /** The relative RMS difference measured on the probe, and the bound it was held to. */
  readonly difference?: { readonly measured: number; readonly allowed: number };
  /** Why the original graph is kept, when it is. */
  readonly reason?: string;
}

/** A log-mel probe `[1, nMels, 3000]`: 8 s of a gliding, wobbling tone over a soft noise floor. */
function probeFeatures(nMels: number): Float32Array {
  const random = seededRandom(21);
  const audio = new Float32Array(WHISPER_SAMPLE_RATE * 8);
  for (let i = 0; i < audio.length; i++) {
    const t = i / WHISPER_SAMPLE_RATE;
    const glide = Math.sin(2 * Math.PI * (200 + 300 * t) * t) * (0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t));
    audio[i] = 0.3 * glide + 0.1 * Math.sin(2 * Math.PI * 1200 * t) + 0.05 * (random() - 0.5);
  }
  return logMelSpectrogram(audio, { nMels }).data;
}

/** The encoder's first output as float32 values. */
async function encode(session: InferenceSession, features: Float32Array, nMels: number): Promise<Float32Array> {
  const out = await session.run({
    input_features: createTensor('float32', features, [1, nMels, WHISPER_CHUNK_FRAMES]),
  });
  const hidden = out.last_hidden_state ?? Object.values(out)[0];
  if (!hidden || hidden.type !== 'float32') throw new Error('the encoder returned no float32 output');
  return hidden.data as Float32Array;
}

/** `‖a − b‖ / ‖a‖` (Infinity when the lengths differ or a value is not finite). */
function relativeRms(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    e += d * d;
    s += (a[i] as number) * (a[i] as number);
  }
  const r = Math.sqrt(e / s);
  return Number.isFinite(r) ? r : Infinity;
}

/**
 * Opens a Whisper encoder with its self-attention blocks fused into `com.microsoft.MultiHeadAttention` nodes
 * ({@link rewriteEncoderAttention}), runs it and the original on a probe and keeps the rewritten session when
 * its output matches (float graphs: relative RMS ≤ 1e-4; quantized ones, only with `quantized: true`: within
 * 1.5× the original's own difference under a 1e-5 nudge of its input), else disposes it and returns the
 * original session. Quantized graphs are fused only with `quantized: true` (the Whisper loader passes it unless
 * `rewriteGraph: { encoderAttention: 'float' }`): int8 rounding of activations turns the new summation order into
 * small differences that can flip a close decision (a word or a comma in about one transcript in ten, at the same
 * word error rate: tools/bench/stt-wer.ts).
 */
export async function openRewrittenEncoder(
  runtime: LoaderRuntime,
  file: string,
  original: InferenceSession,
  nMels: number,
  options: { quantized?: boolean } = {},
): Promise<RewrittenEncoder> {
  const keep = (reason: string): RewrittenEncoder => ({ session: original, layers: 0, reason });
  if (runtime.name !== 'onnx' || !file.toLowerCase().endsWith('.onnx')) return keep('not an ONNX file');
  if (original.inputs.find((i) => i.name === 'input_features')?.type !== 'float32') {
    return keep('the encoder does not take float32 features');
  }
  const rewrite = rewriteEncoderAttention(await readFile(file));
  if (!rewrite) return keep('self-attention pattern not found');
  if (rewrite.quantized && options.quantized !== true) {
    return keep('the graph quantizes activations at run time (fusing moves its outputs by int8 rounding)');
  }
  let session: InferenceSession;
  try {
    session = await runtime.backend.createSession(rewrite.model, {
      name: `${basename(file)} (fused attention)`,
      ...runtime.session,
    });
  } catch (e) {
    return keep(`the runtime rejected the rewritten graph: ${(e as Error).message}`);
  }
  try {
    const probe = probeFeatures(nMels);
    const expected = await encode(original, probe, nMels);
    const measured = relativeRms(expected, await encode(session, probe, nMels));
    let allowed = FLOAT_TOLERANCE;
    if (rewrite.quantized) {
      const nudged = probe.map((v, i) => (i % 7 === 0 ? v + 1e-5 : v));
      allowed = Math.max(
        FLOAT_TOLERANCE,
        QUANTIZED_NOISE_FACTOR * relativeRms(expected, await encode(original, nudged, nMels)),
      );
    }
    if (measured <= allowed) return { session, layers: rewrite.layers, difference: { measured, allowed } };
    await session.dispose();
    return { ...keep('the output differs from the original graph'), difference: { measured, allowed } };
  } catch (e) {
    await session.dispose();
    return keep(`the rewritten graph failed: ${(e as Error).message}`);
  }
}
