import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '@llama-pajamas/run-core';
import { ConversionError, ConverterError, isConverterErrorCode } from './errors.js';
import { ensureConverterEnv, PYTHON_DIR, type ConvertProgress } from './env.js';
import { completeManifest, type ConvertedManifest, type ConvertFamily } from './manifest.js';
import { runProcess } from './process.js';

/** Weight compression of the CoreML package. */
export type ConvertQuantize = 'int8' | 'palettize4' | 'palettize6' | 'palettize8';
/** ONNX files to write beside the CoreML package. */
export type OnnxDtype = 'fp32' | 'fp16' | 'int8';

/** Options of {@link convert}. */
export interface ConvertOptions {
  family: ConvertFamily;
  /** A `.pt` file (yolo) or a local Hugging Face folder. */
  source: string;
  /** Output folder (created; must be empty unless `overwrite`). */
  out: string;
  /** CoreML compute precision (default fp16). */
  precision?: 'fp16' | 'fp32';
  quantize?: ConvertQuantize;
  /** Also write ONNX: `true` = fp32, or the dtypes wanted (transformers.js names: model.onnx, model_fp16.onnx, model_quantized.onnx). */
  onnx?: boolean | readonly OnnxDtype[];
  /** `'fp32'`: when the FP16 parity gate fails, convert again at FP32 (and say so) instead of failing. */
  fallback?: 'fp32';
  /** Images / WAV files / .txt files (CLIP texts) or folders of them; default: small generated inputs. */
  parityInputs?: readonly string[];
  /** yolo: input size (default 640). */
  imgsz?: number | readonly [number, number];
  /** whisper: KV-cache capacity of the CoreML decoders (default min(448, the model's)). */
  maxTokens?: number;
  /** whisper: also make the stateful decoder (macOS 15; default true). */
  stateful?: boolean;
  /** whisper: greedy steps compared by the parity gate (default 24). */
  paritySteps?: number;
  /** Smallest weight (elements) that `quantize` compresses (default 2048). */
  minWeightSize?: number;
  overwrite?: boolean;
  /** Override parity thresholds (`{ maxProbDelta: 0.001, minCosine: 0.9999 }`; keys in docs/converters.md). */
  parityThresholds?: Readonly<Record<string, number>>;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
  /** Kill the conversion after this long (default: no limit). */
  timeoutMs?: number;
  /** Run with this interpreter instead of the managed venv (env LLAMA_PAJAMAS_CONVERTERS_PYTHON). */
  python?: string;
  cacheDir?: string;
}

/** What {@link convert} returns. */
export interface ConvertResult {
  out: string;
  manifest: ConvertedManifest;
  /** Every progress line, in order. */
  log: ConvertProgress[];
}

const FAMILIES: readonly ConvertFamily[] = ['yolo', 'classifier', 'clip', 'whisper'];
const QUANTIZE: readonly ConvertQuantize[] = ['int8', 'palettize4', 'palettize6', 'palettize8'];
const ONNX: readonly OnnxDtype[] = ['fp32', 'fp16', 'int8'];

function check(cond: boolean, name: string, expected: string, value: unknown): void {
  if (!cond) {
    throw new InvalidArgumentError(`convert(): ${name} must be ${expected}; got ${JSON.stringify(value)}.`, {
      details: { name },
    });
  }
}

/** Turns options into the Python command line. */
export function convertArgs(o: ConvertOptions): string[] {
  check(FAMILIES.includes(o.family), 'family', `one of ${FAMILIES.join(', ')}`, o.family);
  check(typeof o.source === 'string' && o.source.length > 0, 'source', 'a file or folder path', o.source);
  check(typeof o.out === 'string' && o.out.length > 0, 'out', 'a folder path', o.out);
  check(
    o.precision === undefined || o.precision === 'fp16' || o.precision === 'fp32',
    'precision',
    'fp16 or fp32',
    o.precision,
  );
  check(o.quantize === undefined || QUANTIZE.includes(o.quantize), 'quantize', QUANTIZE.join(', '), o.quantize);
  const onnx = o.onnx === true ? ['fp32'] : o.onnx === false || o.onnx === undefined ? [] : [...o.onnx];
  check(
    onnx.every((d) => ONNX.includes(d as OnnxDtype)),
    'onnx',
    `true or a list of ${ONNX.join(', ')}`,
    o.onnx,
  );
  check(o.fallback === undefined || o.fallback === 'fp32', 'fallback', "'fp32'", o.fallback);
  const args = [o.family, o.family === 'yolo' ? '--weights' : '--model', resolve(o.source), '--out', resolve(o.out)];
  args.push('--precision', o.precision ?? 'fp16');
  if (o.quantize) args.push('--quantize', o.quantize);
  if (onnx.length) args.push('--onnx', onnx.join(','));
  if (o.fallback) args.push('--fallback', o.fallback);
  for (const p of o.parityInputs ?? []) args.push('--parity-inputs', resolve(p));
  if (o.minWeightSize !== undefined) {
    check(
      Number.isInteger(o.minWeightSize) && o.minWeightSize >= 0,
      'minWeightSize',
      'a non-negative integer',
      o.minWeightSize,
    );
    args.push('--min-weight-size', String(o.minWeightSize));
  }
  if (o.overwrite) args.push('--overwrite');
  for (const [k, v] of Object.entries(o.parityThresholds ?? {})) {
    check(Number.isFinite(v), `parityThresholds.${k}`, 'a number', v);
    args.push('--parity-threshold', `${k}=${v}`);
  }
  if (o.imgsz !== undefined) {
    check(o.family === 'yolo', 'imgsz', 'used with the yolo family only', o.imgsz);
    const sz = typeof o.imgsz === 'number' ? [o.imgsz] : [...o.imgsz];
    check(
      sz.length >= 1 && sz.length <= 2 && sz.every((n) => Number.isInteger(n) && n > 0 && n <= 4096),
      'imgsz',
      'N or [H, W] (1-4096)',
      o.imgsz,
    );
    args.push('--imgsz', sz.join(','));
  }
  if (o.family === 'whisper') {
    if (o.maxTokens !== undefined) {
      check(Number.isInteger(o.maxTokens) && o.maxTokens > 1, 'maxTokens', 'an integer > 1', o.maxTokens);
      args.push('--max-tokens', String(o.maxTokens));
    }
    if (o.stateful === false) args.push('--no-stateful');
    if (o.paritySteps !== undefined) {
      check(Number.isInteger(o.paritySteps) && o.paritySteps > 0, 'paritySteps', 'a positive integer', o.paritySteps);
      args.push('--parity-steps', String(o.paritySteps));
    }
  }
  return args;
}

/**
 * Converts a PyTorch model (Ultralytics `.pt`, or a local Hugging Face folder) to CoreML `.mlpackage`s (and, on
 * request, ONNX) in one folder with a `llama-pajamas.json` manifest, after the parity gate passed: the source
 * runs in PyTorch and the converted graph in onnxruntime on the same inputs (CoreML itself on macOS only).
 * Creates the Python environment on first use (see {@link ensureConverterEnv}).
 * @example
 * const { manifest } = await convert({ family: 'yolo', source: 'yolov8n.pt', out: 'yolov8n-coreml', imgsz: 640, onnx: true });
 * // manifest.conversion.parity.onnx → { meanIoU: 0.9996, maxScoreDelta: 0.0021, passed: true, … }
 */
export async function convert(options: ConvertOptions): Promise<ConvertResult> {
  const args = convertArgs(options);
  if (!existsSync(options.source)) {
    throw new ConverterError(
      'ERR_RUN_CONVERTER_SOURCE_NOT_FOUND',
      `No model at ${resolve(options.source)}: give an Ultralytics .pt file (yolo) or a local Hugging Face folder.`,
      { details: { source: options.source } },
    );
  }
  const log: ConvertProgress[] = [];
  const onProgress = (p: ConvertProgress): void => {
    log.push(p);
    options.onProgress?.(p);
  };
  const env = await ensureConverterEnv({
    python: options.python,
    cacheDir: options.cacheDir,
    onProgress,
    signal: options.signal,
  });
  let result: { out: string; manifest: ConvertedManifest } | undefined;
  let failure: { code?: string; message?: string; details?: Record<string, unknown> } | undefined;
  const r = await runProcess(env.python, ['-m', 'llama_pajamas_convert', ...args], {
    onLine: (line) => {
      let j: { event?: string } & Record<string, unknown>;
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        return; // not one of our lines
      }
      if (j.event === 'progress')
        onProgress({ step: String(j.step), message: String(j.message), elapsedS: j.elapsedS as number });
      else if (j.event === 'result') result = j as unknown as typeof result;
      else if (j.event === 'error') failure = j as typeof failure;
    },
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONUNBUFFERED: '1', YOLO_OFFLINE: '1', HF_HUB_OFFLINE: '1' },
  });
  if (r.exitCode === 0 && result) {
    const manifest = await completeManifest(result.out, result.manifest);
    return { out: result.out, manifest, log };
  }
  const stderr = r.stderr.split('\n').slice(-40).join('\n');
  if (failure && isConverterErrorCode(failure.code)) {
    throw new ConversionError({
      code: failure.code,
      message: failure.message ?? 'failed',
      family: options.family,
      details: failure.details,
      stderr,
    });
  }
  throw new ConverterError(
    'ERR_RUN_CONVERTER_FAILED',
    `${options.family}: the converter exited with ${r.exitCode ?? r.signal} without a result. Its last output:\n${stderr}`,
    { details: { exitCode: r.exitCode, signal: r.signal, stderr } },
  );
}
