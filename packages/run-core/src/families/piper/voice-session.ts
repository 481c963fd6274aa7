import { availableParallelism } from 'node:os';
import type { SessionOptions } from '../../session.js';
import type { Conv1dShape } from './voice-graph-rewrite.js';

/**
 * Output channels that onnxruntime's blocked (NCHWc) convolution gives one thread at a time: it splits the work
 * of a 2-D convolution by sets of 4 channel blocks (of 16 channels with AVX-512, 8 with AVX2) times output rows,
 * and a rewritten 1-D convolution has one row. The larger block size is assumed: fewer sets, never more.
 */
const CHANNELS_PER_WORK_ITEM = 64;

/**
 * Session options for a Piper voice: the caller's, with intra-op spinning off unless the caller chose (a voice
 * runs ~1,000 small operators per sentence; spinning threads between them cost ~5 % more CPU on an idle machine
 * and wall time when other processes want the cores; docs/benchmarks.md). One intra-op thread has no pool to spin.
 * @example
 * voiceSessionOptions({ intraOpThreads: 2 }); // { intraOpThreads: 2, allowSpinning: false }
 */
export function voiceSessionOptions(session: SessionOptions): SessionOptions {
  if (session.allowSpinning !== undefined || session.intraOpThreads === 1) return session;
  return { ...session, allowSpinning: false };
}

/**
 * Which 1-D convolutions of a voice to run as 2-D ones for a session's intra-op threads (`rewriteVoiceGraph`'s
 * `convolutions2d`): at one thread all of them (~10 % less CPU); at more, only those whose output channels give
 * every thread its own share of the blocked kernel's work. The others (HiFi-GAN's 64- and 32-channel stages)
 * would run on one thread while the rest wait, so they stay 1-D, where onnxruntime splits the time axis.
 * `threads` 0 or unset means onnxruntime's default, one per core.
 * @example
 * const twoD = convolutions2dFor(2);
 * [twoD({ outChannels: 128 } as Conv1dShape), twoD({ outChannels: 64 } as Conv1dShape)]; // [true, false]
 */
export function convolutions2dFor(threads: number | undefined): (conv: Conv1dShape) => boolean {
  const n = threads !== undefined && threads > 0 ? threads : availableParallelism();
  return (conv) => Math.ceil(conv.outChannels / CHANNELS_PER_WORK_ITEM) >= n;
}
