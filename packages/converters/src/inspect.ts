import { resolve } from 'node:path';
import { ConversionError, ConverterError, isConverterErrorCode } from './errors.js';
import { ensureConverterEnv, PYTHON_DIR, type EnsureEnvOptions } from './env.js';
import type { ConvertedFile } from './manifest.js';
import { runProcess } from './process.js';

/** What a `.mlpackage`'s spec says (read with coremltools, works on Linux). */
export interface PackageSpec extends ConvertedFile {
  /** `mlProgram` for everything the converters write. */
  type: string;
  /** User-defined metadata. */
  metadata: Record<string, string>;
  /** MIL op counts by type (`conv`, `constexpr_lut_to_dense`, `read_state` …). */
  ops: Record<string, number>;
  /** Constant/compressed-weight outputs by `op:dtype` (`const:float16`, `constexpr_blockwise_shift_scale:float16` …). */
  constants: Record<string, number>;
}

/** Runs one of the converter CLI's tool subcommands and returns its `result` line. */
async function runTool<T>(args: string[], what: string, key: string, options: EnsureEnvOptions): Promise<T> {
  const env = await ensureConverterEnv(options);
  let result: T | undefined;
  let failure: { code?: string; message?: string; details?: Record<string, unknown> } | undefined;
  const r = await runProcess(env.python, ['-m', 'llama_pajamas_convert', ...args], {
    onLine: (l) => {
      try {
        const j = JSON.parse(l) as Record<string, unknown> & { event?: string };
        if (j.event === 'result') result = (key ? j[key] : j) as T;
        if (j.event === 'error') failure = j as typeof failure;
      } catch {
        /* not ours */
      }
    },
    signal: options.signal,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR },
    timeoutMs: 600_000,
  });
  if (r.exitCode === 0 && result !== undefined) return result;
  if (failure && isConverterErrorCode(failure.code)) {
    throw new ConversionError({
      code: failure.code,
      message: failure.message ?? 'failed',
      family: what,
      details: failure.details,
    });
  }
  throw new ConverterError(
    'ERR_RUN_CONVERTER_FAILED',
    `${what}: the converter exited with ${r.exitCode}.\n${r.stderr.slice(-2000)}`,
  );
}

/**
 * Describes a CoreML package from its spec: I/O names, shapes and dtypes, states, metadata, op and weight types.
 * @example
 * const spec = await inspectPackage('out/model.mlpackage');
 * // { specificationVersion: 7, inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 640, 640] }], … }
 */
export async function inspectPackage(path: string, options: EnsureEnvOptions = {}): Promise<PackageSpec> {
  return runTool<PackageSpec>(['inspect', resolve(path)], 'inspect', 'spec', options);
}

/**
 * macOS only: runs a converted folder's CoreML packages on its stored parity inputs and compares them with the
 * PyTorch reference outputs (same figures and thresholds as the conversion); writes the figures into the manifest.
 * Elsewhere it throws `ERR_RUN_CONVERTER_UNSUPPORTED`.
 */
export async function verifyCoreML(
  folder: string,
  options: EnsureEnvOptions = {},
): Promise<{ folder: string; coreml: unknown }> {
  return runTool(['verify', resolve(folder)], 'verify', '', options);
}
