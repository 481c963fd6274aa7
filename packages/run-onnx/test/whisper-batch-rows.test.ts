import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  listBackends,
  loadSpeechToText,
  registerBackend,
  type Backend,
  type InferenceSession,
  type Tensor,
} from '@llama-pajamas/run-core';
import { decodeGreedyBatch, decodeWindow } from '@llama-pajamas/run-core/families';
import { onnxBackend } from '../src/index.js';

// Rows of decodeGreedyBatch leave the batch at their own EOT. The random-weight fixture never says EOT by itself, so
// its real decoder runs behind a session wrapper that raises the EOT logit of every row whose last input token is
// divisible by 7: a rule of each row's own input, so alone and batched rows still see the same logits, and they end
// at different steps.

const WHISPER_TINY = fileURLToPath(new URL('../../../tools/fixtures/models/whisper-tiny', import.meta.url));
const EOT = 50257;

function endsOnSevens(session: InferenceSession): InferenceSession {
  return new Proxy(session, {
    get(target, prop, receiver) {
      if (prop === 'run') {
        return async (feeds: Record<string, Tensor>, options?: unknown) => {
          const out = await target.run(feeds, options as never);
          const ids = feeds.input_ids;
          const logits = out.logits;
          if (!ids || !logits) return out;
          const [batch, len, vocab] = logits.dims as [number, number, number];
          const idLen = ids.dims[1] as number;
          for (let b = 0; b < batch; b++) {
            const last = Number((ids.data as BigInt64Array)[b * idLen + idLen - 1]);
            if (last % 7 === 0) (logits.data as Float32Array)[(b * len + len - 1) * vocab + EOT] = 1e4;
          }
          return out;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const sevens: Backend = {
  init: onnxBackend.init.bind(onnxBackend),
  files: onnxBackend.files,
  async createSession(model, options) {
    const s = await onnxBackend.createSession(model, options);
    return typeof model === 'string' && model.includes('decoder') ? endsOnSevens(s) : s;
  },
};

describe('decodeGreedyBatch', () => {
  it('rows that end at different steps get exactly what decodeWindow gives each alone', async () => {
    if (!listBackends().includes('onnx-sevens')) registerBackend('onnx-sevens', sevens, -1);
    const stt = await loadSpeechToText(WHISPER_TINY, { runtime: 'onnx-sevens', session: { intraOpThreads: 1 } });
    try {
      const p = stt.pipeline;
      const size = 80 * 3000;
      const hiddens: Tensor[] = [];
      for (let j = 0; j < 6; j++) {
        const f = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.0007 * (j + 1) + j) * (0.2 + 0.3 * j));
        hiddens.push(await p.encode(f, 1));
      }
      for (const withTimestamps of [true, false]) {
        const opts = {
          languageToken: p.tokenizer.languageToken('en') as number,
          taskToken: p.tokenizer.special.transcribe,
          withTimestamps,
          maxNewTokens: 60,
        };
        const batch = await decodeGreedyBatch(p.runner, p.tokenizer, p.config, hiddens, opts, true);
        const alone = [];
        for (const h of hiddens)
          alone.push(
            await decodeWindow(p.runner, p.tokenizer, p.config, h, {
              ...opts,
              temperature: 0,
              beamSize: 1,
              random: () => 0,
            }),
          );
        expect(JSON.stringify(batch)).toBe(JSON.stringify(alone));
        expect(new Set(alone.map((r) => r.tokens.length)).size).toBeGreaterThan(2);
      }
    } finally {
      await stt.unload();
    }
  });
});
