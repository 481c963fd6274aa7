import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  InferenceError,
  ModelNotFoundError,
  ModelUnrecognizedError,
  SessionDisposedError,
  TensorShapeError,
  createTensor,
  invalidParameter,
  throwIfAborted,
  type ModelSource,
  type RunOptions,
  type Tensor,
  type TensorInfo,
  type TensorType,
} from '@llama-pajamas/run-core';
import { readOnnxMetadata } from './onnx-metadata.js';
import type {
  OnnxExecutionProvider,
  OnnxSession as OnnxSessionInstance,
  OnnxSessionFactory,
  OnnxSessionOptions,
} from './session.js';

const TENSOR_TYPES = new Set<string>([
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
  'bool',
]);

function toTensorInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, type: 'unknown', dims: [] };
  const type = TENSOR_TYPES.has(meta.type) ? (meta.type as TensorType) : 'unknown';
  return { name: meta.name, type, dims: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))) };
}

function providerConfig(
  ep: OnnxExecutionProvider,
  options: OnnxSessionOptions,
): ort.InferenceSession.ExecutionProviderConfig {
  if (ep === 'coreml') return { name: 'coreml', coreMlFlags: options.coreMlFlags ?? 0x010 };
  return ep;
}

async function readModel(model: ModelSource, name: string): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  try {
    return await readFile(model);
  } catch (e) {
    throw new ModelNotFoundError(
      { path: model, what: 'model file', reason: (e as Error).message },
      { cause: e, details: { name } },
    );
  }
}

class OnnxSessionImpl implements OnnxSessionInstance {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private disposed = false;
  private running = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly name: string,
    readonly metadata: Readonly<Record<string, string>>,
    readonly executionProvider: OnnxExecutionProvider,
    readonly providerErrors: readonly string[],
  ) {
    this.inputs = session.inputMetadata.map(toTensorInfo);
    this.outputs = session.outputMetadata.map(toTensorInfo);
  }

  static async create(model: ModelSource, options: OnnxSessionOptions = {}): Promise<OnnxSessionInstance> {
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
      throw invalidParameter('model', 'a file path or the model bytes (Uint8Array)', model);
    }
    const name = options.name ?? (typeof model === 'string' ? basename(model) : 'model.onnx');
    const bytes = await readModel(model, name);
    const { metadata } = readOnnxMetadata(bytes);
    const wanted = [...(options.executionProviders ?? ['cpu'])];
    if (!wanted.includes('cpu')) wanted.push('cpu');
    const providerErrors: string[] = [];
    for (const ep of wanted) {
      if (ep === 'coreml' && process.platform !== 'darwin') {
        providerErrors.push(`[coreml] the CoreML execution provider needs macOS (this is ${process.platform})`);
        continue;
      }
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [providerConfig(ep, options)],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
        ...(options.interOpThreads ? { interOpNumThreads: options.interOpThreads } : {}),
        ...(options.allowSpinning !== undefined
          ? { extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } } }
          : {}),
      };
      try {
        const session = await ort.InferenceSession.create(bytes, sessionOptions);
        return new OnnxSessionImpl(session, name, metadata, ep, providerErrors);
      } catch (e) {
        const message = (e as Error).message;
        if (ep === 'cpu') {
          throw new ModelUnrecognizedError(
            {
              model: name,
              found: `onnxruntime cannot load it as an ONNX model (${message})`,
              hint:
                'Check that the file is a complete ONNX export (download it again if it was cut short).' +
                (providerErrors.length > 0 ? ` Skipped providers: ${providerErrors.join('; ')}.` : ''),
            },
            { cause: e, details: { name, providerErrors } },
          );
        }
        providerErrors.push(`[${ep}] ${message}`);
      }
    }
    /* c8 ignore next */
    throw new InferenceError(`No execution provider could open '${name}'.`, { details: { providerErrors } });
  }

  async run(feeds: Record<string, Tensor>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new SessionDisposedError(`Session '${this.name}' was disposed.`);
    throwIfAborted(options.signal);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const info of this.inputs) {
      const t = feeds[info.name];
      if (t === undefined) {
        throw new TensorShapeError(
          `Model '${this.name}' needs input '${info.name}' but the feeds have [${Object.keys(feeds).join(', ')}].`,
          { details: { input: info.name } },
        );
      }
      checkDims(this.name, info, t);
      ortFeeds[info.name] = new ort.Tensor(t.type, t.data, t.dims);
    }
    this.running++;
    let results: ort.InferenceSession.ReturnType;
    try {
      results = options.outputNames
        ? await this.session.run(ortFeeds, [...options.outputNames])
        : await this.session.run(ortFeeds);
    } catch (e) {
      throw new InferenceError(`onnxruntime failed to run '${this.name}': ${(e as Error).message}`, {
        cause: e,
        details: { name: this.name },
      });
    } finally {
      this.running--;
    }
    throwIfAborted(options.signal);
    const out: Record<string, Tensor> = {};
    for (const [key, value] of Object.entries(results)) {
      const type = value.type as TensorType;
      out[key] = createTensor(type, value.data as never, value.dims);
    }
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function checkDims(model: string, info: TensorInfo, t: Tensor): void {
  if (info.type !== 'unknown' && info.type !== t.type) {
    throw new TensorShapeError(`Input '${info.name}' of '${model}' is ${info.type} but a ${t.type} tensor was given.`, {
      details: { input: info.name, expected: info.type, actual: t.type },
    });
  }
  const rankKnown = info.dims.length > 0 || t.dims.length === 0;
  const mismatch =
    rankKnown &&
    (info.dims.length !== t.dims.length || info.dims.some((d, i) => typeof d === 'number' && d !== t.dims[i]));
  if (mismatch) {
    throw new TensorShapeError(
      `Input '${info.name}' of '${model}' expects dims [${info.dims.join(', ')}] but got [${t.dims.join(', ')}].`,
      { details: { input: info.name, expected: [...info.dims], actual: [...t.dims] } },
    );
  }
}

/** Opens ONNX models on onnxruntime-node (this module loads the native library). */
export const OrtSessionFactory: OnnxSessionFactory = OnnxSessionImpl;
