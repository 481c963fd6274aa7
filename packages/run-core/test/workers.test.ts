import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  AudioDecodeError,
  ModelNotFoundError,
  ModelNotLoadedError,
  RunError,
  STTBackend,
} from '../src/index.js';
import { hostedWorkers, loadInWorkers, WorkerExitedError, type WorkerSpeechToText } from '../src/workers.js';

const module = new URL('./fixtures/worker-backend.ts', import.meta.url).href;
const spec = (path: string) => ({ module, export: 'loadEcho', path, options: { modelId: 'echo' } });

/** Waits (without a time limit of its own) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe('loadInWorkers (test backend at the abstract seam)', () => {
  let stt: WorkerSpeechToText;
  beforeAll(async () => {
    stt = await loadInWorkers('stt', spec('echo-model'), { workers: 2 });
  });
  afterAll(async () => {
    await stt.unload();
  });

  it('is an STTBackend with the worker backend’s fields', () => {
    expect(stt).toBeInstanceOf(STTBackend);
    expect(stt.modelId).toBe('echo');
    expect(stt.supportedLanguages).toEqual(['en', 'de']);
    expect(stt.canTranslate).toBe(true);
    expect(stt.isLoaded).toBe(true);
    expect(hostedWorkers(stt)).toEqual({ workers: 2, busy: 0, queued: 0, restarts: 0 });
  });

  it('copies inputs and options, and forwards callbacks', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const progress: unknown[] = [];
    const r = await stt.transcribe(bytes, { onProgress: (p) => progress.push(p) });
    expect(r.text).toBe('bytes:3:6');
    expect([...bytes]).toEqual([1, 2, 3]); // the caller's buffer is still its own
    expect(progress).toEqual([
      { processedSeconds: 1, totalSeconds: 2 },
      { processedSeconds: 2, totalSeconds: 2 },
    ]);
    expect((await stt.transcribe('hi', { language: 'de' })).text).toBe('hi|de');
    expect((await stt.transcribe({ samples: new Float32Array(8000), sampleRate: 16000 })).duration).toBe(0.5);
  });

  it('runs calls on different workers at once and queues the rest', async () => {
    const slow = [stt.transcribe('slow:300'), stt.transcribe('slow:300'), stt.transcribe('slow:300')];
    await until(() => hostedWorkers(stt)?.busy === 2);
    expect(hostedWorkers(stt)).toMatchObject({ busy: 2, queued: 1 });
    await Promise.all(slow);
    const threads = new Set(
      (await Promise.all([stt.transcribe('slow:200'), stt.transcribe('thread')])).map((r) => r.text),
    );
    expect(threads.size).toBe(2);
    expect(hostedWorkers(stt)).toMatchObject({ busy: 0, queued: 0 });
  });

  it('rebuilds a typed error as the same class with its code, message and details', async () => {
    const e = await stt.transcribe('typed').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AudioDecodeError);
    expect(e).toBeInstanceOf(RunError);
    expect(e).toMatchObject({
      code: 'ERR_RUN_AUDIO_DECODE',
      message: 'The bytes are not audio (test).',
      details: { bytes: 3 },
    });
    expect((e as Error).stack).toContain('worker-backend');
  });

  it('aborts a running call in its worker, a waiting one at once, and leaves the others alone', async () => {
    const running = new AbortController();
    const waiting = new AbortController();
    const other = stt.transcribe('slow:400');
    const aborted = stt.transcribe('slow:5000', { signal: running.signal });
    const queued = stt.transcribe('slow:100', { signal: waiting.signal });
    await until(() => hostedWorkers(stt)?.busy === 2);
    waiting.abort(new Error('gave up'));
    await expect(queued).rejects.toThrow('gave up');
    running.abort();
    const e = await aborted.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortedError);
    expect((await other).text).toBe('slow:400');
    const pre = new AbortController();
    pre.abort();
    await expect(stt.transcribe('hi', { signal: pre.signal })).rejects.toThrow();
  });

  it('streams input chunks as the worker asks for them, and events back', async () => {
    let pulled = 0;
    async function* chunks(): AsyncGenerator<Float32Array> {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield await Promise.resolve(new Float32Array(100 + i));
      }
    }
    const events = [];
    for await (const e of stt.transcribeStreaming(chunks(), { sampleRate: 8000 })) {
      events.push(e);
      // The worker asks for one chunk at a time: it can never be more than one chunk ahead of its events.
      expect(pulled).toBeLessThanOrEqual(events.length + 1);
    }
    expect(events.map((e) => (e.type === 'final' ? e.result.text : e.type === 'partial' ? e.text : ''))).toEqual([
      'chunk 1: 100',
      'chunk 2: 101',
      'chunk 3: 102',
      'chunk 4: 103',
      'chunk 5: 104',
      '5 chunks, 510 samples @8000',
    ]);
  });

  it('survives a worker that exits or throws uncaught: the call rejects typed, the worker is replaced', async () => {
    const alongside = stt.transcribe('slow:300');
    const exited = await stt.transcribe('exit').catch((x: unknown) => x);
    expect(exited).toBeInstanceOf(WorkerExitedError);
    expect(exited).toMatchObject({ code: 'ERR_RUN_WORKER_EXITED', details: { exitCode: 7 } });
    expect((await alongside).text).toBe('slow:300');
    await until(() => hostedWorkers(stt)?.workers === 2);
    const thrown = await stt.transcribe('throw').catch((x: unknown) => x);
    expect(thrown).toBeInstanceOf(WorkerExitedError);
    expect((thrown as Error).message).toContain('uncaught in the worker');
    await until(() => hostedWorkers(stt)?.workers === 2);
    expect(hostedWorkers(stt)?.restarts).toBe(2);
    expect((await stt.transcribe('still here')).text).toBe('still here|');
  });
});

describe('loadInWorkers loading and unloading', () => {
  it('rejects with the loader’s own typed error and leaves no worker running', async () => {
    const e = await loadInWorkers('stt', spec('missing'), { workers: 2 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelNotFoundError);
    expect(e).toMatchObject({ code: 'ERR_RUN_MODEL_NOT_FOUND', details: { path: 'missing' } });
    const exit = await loadInWorkers('stt', spec('exit-on-load'), { workers: 1 }).catch((x: unknown) => x);
    expect(exit).toBeInstanceOf(WorkerExitedError);
    await expect(loadInWorkers('stt', spec('x'), { workers: 0 })).rejects.toMatchObject({
      code: 'ERR_RUN_INVALID_ARGUMENT',
    });
  });

  it('unload() terminates the workers; load() starts them again', async () => {
    const stt = await loadInWorkers('stt', spec('echo-model'), { workers: 1 });
    const running = stt.transcribe('slow:3000').catch((x: unknown) => x);
    await until(() => hostedWorkers(stt)?.busy === 1);
    await stt.unload();
    expect(stt.isLoaded).toBe(false);
    const e = await running;
    expect(e).toBeInstanceOf(WorkerExitedError);
    expect((e as Error).message).toContain('was unloaded');
    expect(() => stt.transcribe('hi')).toThrow(ModelNotLoadedError);
    await stt.load();
    expect((await stt.transcribe('back')).text).toBe('back|');
    await stt.unload();
  });
});
