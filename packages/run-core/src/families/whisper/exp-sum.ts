import { EXP_SUM_WASM } from './exp-sum-wasm.js';

/**
 * `s + Σ exp(x[i] - max)` over `x[from..to)`, added in index order: exactly what
 * `for (let i = from; i < to; i++) s += Math.exp(x[i] - max)` returns, bit for bit, about 1.4× faster on a
 * Whisper vocabulary row (exp-sum.wat: two terms at a time with WebAssembly SIMD, the same float64 operations as
 * V8's Math.exp). The WebAssembly path is used only where it compiles and where it agrees with this runtime's
 * Math.exp on a self-check at first use; otherwise the loop above runs.
 */
export type ExpSum = (x: Float32Array, from: number, to: number, max: number, s: number) => number;

/** The plain loop (the reference, and the fallback). */
export const expSumLoop: ExpSum = (x, from, to, max, s) => {
  for (let i = from; i < to; i++) s += Math.exp((x[i] as number) - max);
  return s;
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  expSum(from: number, to: number, max: number, s: number): number;
}
/** The few WebAssembly globals used here (run-core's TypeScript lib has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE = 65536;

/** The WebAssembly {@link ExpSum}, or undefined where it cannot be compiled. */
function compileWasm(): ExpSum | undefined {
  let ex: Exports;
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) return undefined;
    const bytes = Buffer.from(EXP_SUM_WASM, 'base64');
    const instance = new wasm.Instance(new wasm.Module(bytes), { js: { exp: Math.exp } });
    ex = instance.exports as Exports;
  } catch {
    return undefined;
  }
  let view = new Float32Array(ex.memory.buffer);
  return (x, from, to, max, s) => {
    const n = to - from;
    if (n <= 0) return s;
    if (n > view.length) {
      ex.memory.grow(Math.ceil((n * 4 - ex.memory.buffer.byteLength) / PAGE));
      view = new Float32Array(ex.memory.buffer);
    }
    view.set(x.subarray(from, to));
    return ex.expSum(0, n, max, s);
  };
}

/**
 * Whether `f` returns what {@link expSumLoop} does, bit for bit, term by term and summed: arguments across
 * exp's branches (tiny, within 1.5 ln 2, reduced; -Infinity, ≤ -708, > 0, NaN) and random rows.
 */
export function agreesWithLoop(f: ExpSum): boolean {
  const x = new Float32Array(4096);
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const special = [0, -0, 1e-9, -1e-9, -0.3465, -0.3466, -1.0397, -1.0398, -707.9, -708, -745, -800, 0.5, NaN];
  for (let i = 0; i < x.length; i++) {
    const r = random();
    x[i] =
      i < special.length
        ? (special[i] as number)
        : i % 5 === 0
          ? -Infinity
          : i % 5 === 1
            ? -r * 2
            : i % 5 === 2
              ? -r * 60
              : i % 5 === 3
                ? -r * 1e-6
                : -r * 30;
  }
  for (const max of [0, Math.fround(-3.25), Math.fround(7.5)]) {
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(f(x, i, i + 1, max, 0), expSumLoop(x, i, i + 1, max, 0))) return false;
    }
    // Sums from after the NaN (a NaN sum would agree with anything).
    const from = special.length;
    if (!Object.is(f(x, from, x.length, max, 0.5), expSumLoop(x, from, x.length, max, 0.5))) return false;
    if (!Object.is(f(x, from + 1, x.length - 2, max, 0), expSumLoop(x, from + 1, x.length - 2, max, 0))) return false;
  }
  return true;
}

let chosen: ExpSum | undefined;

/** The {@link ExpSum} to use: the WebAssembly one when it compiles and passes {@link agreesWithLoop}. */
export function expSum(x: Float32Array, from: number, to: number, max: number, s: number): number {
  if (!chosen) {
    const wasm = compileWasm();
    chosen = wasm && agreesWithLoop(wasm) ? wasm : expSumLoop;
  }
  return chosen(x, from, to, max, s);
}

/** Whether {@link expSum} runs the WebAssembly path (after its first call). */
export function expSumUsesWasm(): boolean {
  if (!chosen) expSum(new Float32Array(1), 0, 1, 0, 0);
  return chosen !== expSumLoop;
}
