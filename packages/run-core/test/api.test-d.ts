import { describe, expectTypeOf, it } from 'vitest';
import type {
  ClassificationResult,
  DetectionResult,
  EmbeddingResult,
  InferenceSession,
  RunErrorCode,
  SpeechChunk,
  Tensor,
  TranscriptionEvent,
  TranscriptionResult,
} from '../src/index.js';
import { createTensor } from '../src/index.js';
import type { AnyRunErrorCode, RunError, STTBackend, TTSBackend, VisionBackend } from '../src/index.js';

describe('public types', () => {
  it('types tensors by element type', () => {
    expectTypeOf(createTensor('int64', new BigInt64Array(1), [1])).toEqualTypeOf<Tensor<'int64'>>();
    expectTypeOf(createTensor('float32', new Float32Array(1), [1]).data).toEqualTypeOf<Float32Array>();
    // @ts-expect-error float32 data must be a Float32Array
    createTensor('float32', new Int32Array(1), [1]);
  });

  it('types backend results', () => {
    expectTypeOf<VisionBackend['detect']>().returns.resolves.toEqualTypeOf<DetectionResult>();
    expectTypeOf<VisionBackend['classify']>().returns.resolves.toEqualTypeOf<ClassificationResult>();
    expectTypeOf<VisionBackend['batchEmbed']>().returns.resolves.toEqualTypeOf<EmbeddingResult[]>();
    expectTypeOf<STTBackend['transcribe']>().returns.resolves.toEqualTypeOf<TranscriptionResult>();
    expectTypeOf<STTBackend['transcribeStreaming']>().returns.toEqualTypeOf<AsyncIterable<TranscriptionEvent>>();
    expectTypeOf<TTSBackend['synthesizeStreaming']>().returns.toEqualTypeOf<AsyncIterable<SpeechChunk>>();
  });

  it('exposes sessions as async-disposable and errors with literal codes', () => {
    expectTypeOf<InferenceSession>().toMatchTypeOf<AsyncDisposable>();
    expectTypeOf<RunError['code']>().toEqualTypeOf<AnyRunErrorCode>();
    expectTypeOf<'ERR_RUN_LLM_CONTEXT_OVERFLOW'>().toMatchTypeOf<AnyRunErrorCode>();
    // @ts-expect-error every package's code has the ERR_RUN_ prefix
    expectTypeOf<'ERR_NOPE'>().toMatchTypeOf<AnyRunErrorCode>();
    expectTypeOf<'ERR_RUN_IMAGE_DECODE'>().toMatchTypeOf<RunErrorCode>();
    // @ts-expect-error codes are a closed union
    expectTypeOf<'ERR_NOPE'>().toMatchTypeOf<RunErrorCode>();
  });
});
