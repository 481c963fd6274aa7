import type { Llama } from 'node-llama-cpp';
import { LlamaRuntimeError } from './errors.js';

let llamaPromise: Promise<Llama> | undefined;
let llamaGpu: 'auto' | false | undefined;

/** The one node-llama-cpp instance (prebuilt binary only: it never downloads or compiles llama.cpp). */
export async function runtime(gpu: 'auto' | false): Promise<Llama> {
  if (!llamaPromise || llamaGpu !== gpu) {
    llamaGpu = gpu;
    llamaPromise = (async () => {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      try {
        return await getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
      } catch (e) {
        throw new LlamaRuntimeError({ reason: (e as Error).message }, { cause: e });
      }
    })();
    llamaPromise.catch(() => (llamaPromise = undefined));
  }
  return llamaPromise;
}
