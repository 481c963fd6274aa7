import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import protobuf from 'protobufjs';
import type { TensorDimRange, TensorType } from '@llama-pajamas/run-core';
import { CoreMLSpecInvalidError } from './errors.js';

/** What kind of value a CoreML feature holds. */
export type CoreMLFeatureKind =
  'multiArray' | 'image' | 'int64' | 'double' | 'string' | 'dictionary' | 'sequence' | 'state' | 'unknown';

/** The size constraints of an image feature (CoreML `ImageFeatureType` / `MLImageConstraint`). */
export interface CoreMLImageConstraint {
  readonly width: number;
  readonly height: number;
  /** `RGB`, `BGR`, `GRAYSCALE`, `GRAYSCALE_FLOAT16` from a spec; a CoreVideo four-char code from the addon. */
  readonly colorSpace: string;
  readonly sizes?: readonly { readonly width: number; readonly height: number }[];
  readonly widthRange?: TensorDimRange;
  readonly heightRange?: TensorDimRange;
}

/** One input, output or state of a CoreML model, in run-core's `TensorInfo` shape plus CoreML facts. */
export interface CoreMLFeatureInfo {
  readonly name: string;
  readonly kind: CoreMLFeatureKind;
  /** Element type of a multi-array or state; `unknown` for other kinds. */
  readonly type: TensorType | 'int8' | 'unknown';
  /** Default shape of a multi-array or state; empty for other kinds. */
  readonly dims: readonly number[];
  readonly shapes?: readonly (readonly number[])[];
  readonly ranges?: readonly TensorDimRange[];
  readonly image?: CoreMLImageConstraint;
  readonly optional: boolean;
}

/** A CoreML model's description, read from its protobuf specification without CoreML (any platform). */
export interface CoreMLModelSpec {
  /** The Model.proto `specificationVersion` (7 = macOS 13 / iOS 16, 9 = macOS 15 / iOS 18). */
  readonly specificationVersion: number;
  /** The model type field that is set: `mlProgram`, `neuralNetwork`, `neuralNetworkClassifier`, `pipeline`, … */
  readonly modelType: string;
  readonly inputs: readonly CoreMLFeatureInfo[];
  readonly outputs: readonly CoreMLFeatureInfo[];
  readonly states: readonly CoreMLFeatureInfo[];
  /** User-defined metadata (coremltools `user_defined_metadata`). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly about: {
    readonly description?: string;
    readonly author?: string;
    readonly license?: string;
    readonly version?: string;
  };
  readonly predictedFeatureName?: string;
  readonly predictedProbabilitiesName?: string;
}

// The few messages of Apple's CoreML Model.proto / FeatureTypes.proto needed to describe a model. Field numbers
// are those of coremltools 9.0's generated descriptors; everything else (the program, the weights) is skipped.
const MODEL_TYPES: Record<string, number> = {
  pipelineClassifier: 200,
  pipelineRegressor: 201,
  pipeline: 202,
  glmRegressor: 300,
  supportVectorRegressor: 301,
  treeEnsembleRegressor: 302,
  neuralNetworkRegressor: 303,
  glmClassifier: 400,
  supportVectorClassifier: 401,
  treeEnsembleClassifier: 402,
  neuralNetworkClassifier: 403,
  kNearestNeighborsClassifier: 404,
  neuralNetwork: 500,
  itemSimilarityRecommender: 501,
  mlProgram: 502,
  customModel: 555,
  linkedModel: 556,
};

const empty = { fields: {} };
// Untyped on purpose: protobufjs's IField type has no `keyType`, which its map fields (userDefined) need.
const schema = {
  nested: {
    Model: {
      fields: {
        specificationVersion: { type: 'int32', id: 1 },
        description: { type: 'ModelDescription', id: 2 },
        ...Object.fromEntries(Object.entries(MODEL_TYPES).map(([name, id]) => [name, { type: 'Present', id }])),
      },
    },
    Present: empty,
    ModelDescription: {
      fields: {
        input: { rule: 'repeated', type: 'FeatureDescription', id: 1 },
        output: { rule: 'repeated', type: 'FeatureDescription', id: 10 },
        predictedFeatureName: { type: 'string', id: 11 },
        predictedProbabilitiesName: { type: 'string', id: 12 },
        state: { rule: 'repeated', type: 'FeatureDescription', id: 13 },
        metadata: { type: 'Metadata', id: 100 },
      },
    },
    Metadata: {
      fields: {
        shortDescription: { type: 'string', id: 1 },
        versionString: { type: 'string', id: 2 },
        author: { type: 'string', id: 3 },
        license: { type: 'string', id: 4 },
        userDefined: { keyType: 'string', type: 'string', id: 100 },
      },
    },
    FeatureDescription: {
      fields: { name: { type: 'string', id: 1 }, type: { type: 'FeatureType', id: 3 } },
    },
    FeatureType: {
      fields: {
        int64Type: { type: 'Present', id: 1 },
        doubleType: { type: 'Present', id: 2 },
        stringType: { type: 'Present', id: 3 },
        imageType: { type: 'ImageFeatureType', id: 4 },
        multiArrayType: { type: 'ArrayFeatureType', id: 5 },
        dictionaryType: { type: 'Present', id: 6 },
        sequenceType: { type: 'Present', id: 7 },
        stateType: { type: 'StateFeatureType', id: 8 },
        isOptional: { type: 'bool', id: 1000 },
      },
    },
    SizeRange: { fields: { lowerBound: { type: 'uint64', id: 1 }, upperBound: { type: 'int64', id: 2 } } },
    Shape: { fields: { shape: { rule: 'repeated', type: 'int64', id: 1 } } },
    ArrayFeatureType: {
      fields: {
        shape: { rule: 'repeated', type: 'int64', id: 1 },
        dataType: { type: 'int32', id: 2 },
        enumeratedShapes: { type: 'EnumeratedShapes', id: 21 },
        shapeRange: { type: 'ShapeRange', id: 31 },
      },
    },
    EnumeratedShapes: { fields: { shapes: { rule: 'repeated', type: 'Shape', id: 1 } } },
    ShapeRange: { fields: { sizeRanges: { rule: 'repeated', type: 'SizeRange', id: 1 } } },
    ImageSize: { fields: { width: { type: 'uint64', id: 1 }, height: { type: 'uint64', id: 2 } } },
    ImageFeatureType: {
      fields: {
        width: { type: 'int64', id: 1 },
        height: { type: 'int64', id: 2 },
        colorSpace: { type: 'int32', id: 3 },
        enumeratedSizes: { type: 'EnumeratedImageSizes', id: 21 },
        imageSizeRange: { type: 'ImageSizeRange', id: 31 },
      },
    },
    EnumeratedImageSizes: { fields: { sizes: { rule: 'repeated', type: 'ImageSize', id: 1 } } },
    ImageSizeRange: {
      fields: { widthRange: { type: 'SizeRange', id: 1 }, heightRange: { type: 'SizeRange', id: 2 } },
    },
    StateFeatureType: { fields: { arrayType: { type: 'ArrayFeatureType', id: 1 } } },
  },
};
const ModelMessage = protobuf.Root.fromJSON(schema).lookupType('Model');

interface RawRange {
  lowerBound?: number;
  upperBound?: number;
}
interface RawArray {
  shape?: number[];
  dataType?: number;
  enumeratedShapes?: { shapes?: { shape?: number[] }[] };
  shapeRange?: { sizeRanges?: RawRange[] };
}
interface RawFeature {
  name?: string;
  type?: {
    int64Type?: object;
    doubleType?: object;
    stringType?: object;
    imageType?: {
      width?: number;
      height?: number;
      colorSpace?: number;
      enumeratedSizes?: { sizes?: { width?: number; height?: number }[] };
      imageSizeRange?: { widthRange?: RawRange; heightRange?: RawRange };
    };
    multiArrayType?: RawArray;
    dictionaryType?: object;
    sequenceType?: object;
    stateType?: { arrayType?: RawArray };
    isOptional?: boolean;
  };
}
interface RawModel {
  specificationVersion?: number;
  description?: {
    input?: RawFeature[];
    output?: RawFeature[];
    state?: RawFeature[];
    predictedFeatureName?: string;
    predictedProbabilitiesName?: string;
    metadata?: {
      shortDescription?: string;
      versionString?: string;
      author?: string;
      license?: string;
      userDefined?: Record<string, string>;
    };
  };
  [modelType: string]: unknown;
}

/** CoreML `ArrayFeatureType.ArrayDataType` values → run-core element types. */
const ARRAY_DATA_TYPES: Record<number, CoreMLFeatureInfo['type']> = {
  65568: 'float32',
  65600: 'float64',
  131104: 'int32',
  131080: 'int8',
  65552: 'float16',
};
const COLOR_SPACES: Record<number, string> = { 10: 'GRAYSCALE', 20: 'RGB', 30: 'BGR', 40: 'GRAYSCALE_FLOAT16' };

function toRange(r: RawRange | undefined): TensorDimRange {
  const max = r?.upperBound ?? -1;
  return { min: r?.lowerBound ?? 0, max: max < 0 ? -1 : max };
}

function toFeature(raw: RawFeature): CoreMLFeatureInfo {
  const t = raw.type ?? {};
  const base = { name: raw.name ?? '', optional: t.isOptional === true };
  const array = t.multiArrayType ?? t.stateType?.arrayType;
  if (array !== undefined) {
    const shapes = array.enumeratedShapes?.shapes?.map((s) => [...(s.shape ?? [])]);
    const ranges = array.shapeRange?.sizeRanges?.map(toRange);
    return {
      ...base,
      kind: t.multiArrayType !== undefined ? 'multiArray' : 'state',
      type: ARRAY_DATA_TYPES[array.dataType ?? 0] ?? 'unknown',
      dims: [...(array.shape ?? [])],
      ...(shapes && shapes.length > 0 ? { shapes } : {}),
      ...(ranges && ranges.length > 0 ? { ranges } : {}),
    };
  }
  if (t.imageType !== undefined) {
    const img = t.imageType;
    const sizes = img.enumeratedSizes?.sizes?.map((s) => ({ width: s.width ?? 0, height: s.height ?? 0 }));
    const image: CoreMLImageConstraint = {
      width: img.width ?? 0,
      height: img.height ?? 0,
      colorSpace: COLOR_SPACES[img.colorSpace ?? 0] ?? 'INVALID',
      ...(sizes && sizes.length > 0 ? { sizes } : {}),
      ...(img.imageSizeRange
        ? { widthRange: toRange(img.imageSizeRange.widthRange), heightRange: toRange(img.imageSizeRange.heightRange) }
        : {}),
    };
    return { ...base, kind: 'image', type: 'unknown', dims: [], image };
  }
  const kind: CoreMLFeatureKind =
    t.int64Type !== undefined
      ? 'int64'
      : t.doubleType !== undefined
        ? 'double'
        : t.stringType !== undefined
          ? 'string'
          : t.dictionaryType !== undefined
            ? 'dictionary'
            : t.sequenceType !== undefined
              ? 'sequence'
              : 'unknown';
  return { ...base, kind, type: 'unknown', dims: [] };
}

/**
 * Decodes the bytes of a CoreML protobuf specification (an `.mlmodel` file, or an `.mlpackage`'s
 * `Data/com.apple.CoreML/model.mlmodel`). Only the description is decoded; the program and weights are skipped.
 * @example
 * const spec = decodeCoreMLSpec(await readFile('linear.mlmodel'));
 * // { specificationVersion: 7, modelType: 'mlProgram', inputs: [{ name: 'x', type: 'float16', dims: [1, 4], … }], … }
 */
export function decodeCoreMLSpec(bytes: Uint8Array, path = '<bytes>'): CoreMLModelSpec {
  let raw: RawModel;
  try {
    raw = ModelMessage.toObject(ModelMessage.decode(bytes), { longs: Number, defaults: false });
  } catch (e) {
    throw new CoreMLSpecInvalidError({ path, reason: (e as Error).message }, { cause: e });
  }
  const description = raw.description;
  if (raw.specificationVersion === undefined || description === undefined) {
    throw new CoreMLSpecInvalidError({ path, reason: 'it has no specificationVersion or description' });
  }
  const modelType = Object.keys(MODEL_TYPES).find((name) => raw[name] !== undefined) ?? 'unknown';
  const meta = description.metadata ?? {};
  return {
    specificationVersion: raw.specificationVersion,
    modelType,
    inputs: (description.input ?? []).map(toFeature),
    outputs: (description.output ?? []).map(toFeature),
    states: (description.state ?? []).map(toFeature),
    metadata: { ...(meta.userDefined ?? {}) },
    about: {
      ...(meta.shortDescription ? { description: meta.shortDescription } : {}),
      ...(meta.author ? { author: meta.author } : {}),
      ...(meta.license ? { license: meta.license } : {}),
      ...(meta.versionString ? { version: meta.versionString } : {}),
    },
    ...(description.predictedFeatureName ? { predictedFeatureName: description.predictedFeatureName } : {}),
    ...(description.predictedProbabilitiesName
      ? { predictedProbabilitiesName: description.predictedProbabilitiesName }
      : {}),
  };
}

/** Largest specification file read (an `.mlmodel` with embedded neural-network weights can be large). */
const MAX_SPEC_BYTES = 2 * 1024 ** 3;

/**
 * Where the protobuf specification of a model lives: the file itself for `.mlmodel`, the root model item named
 * by `Manifest.json` for an `.mlpackage`. Throws {@link CoreMLSpecInvalidError} for anything else.
 * @example
 * await coreMLSpecPath('yolov8n.mlpackage'); // 'yolov8n.mlpackage/Data/com.apple.CoreML/model.mlmodel'
 */
export async function coreMLSpecPath(path: string): Promise<string> {
  const ext = extname(path).toLowerCase();
  if (ext === '.mlmodel') return path;
  if (ext !== '.mlpackage') {
    throw new CoreMLSpecInvalidError({
      path,
      reason: `only .mlpackage and .mlmodel carry a readable specification (this is '${ext || basename(path)}')`,
    });
  }
  let manifest: { rootModelIdentifier?: string; itemInfoEntries?: Record<string, { path?: string }> };
  try {
    manifest = JSON.parse(await readFile(join(path, 'Manifest.json'), 'utf8')) as typeof manifest;
  } catch (e) {
    throw new CoreMLSpecInvalidError({ path, reason: `its Manifest.json is missing or not JSON` }, { cause: e });
  }
  const item = manifest.rootModelIdentifier ? manifest.itemInfoEntries?.[manifest.rootModelIdentifier] : undefined;
  const relative = item?.path;
  if (typeof relative !== 'string' || relative.split(/[\\/]/).includes('..')) {
    throw new CoreMLSpecInvalidError({ path, reason: 'its Manifest.json names no root model item' });
  }
  return join(path, 'Data', relative);
}

/**
 * Reads the description of an `.mlpackage` or `.mlmodel` from its protobuf specification, on any platform
 * (no CoreML needed): inputs/outputs/states with shapes, dtypes, flexible shapes and image constraints, and
 * the user-defined metadata.
 * @example
 * const spec = await readCoreMLSpec('linear.mlpackage');
 * spec.inputs[0]; // { name: 'x', kind: 'multiArray', type: 'float16', dims: [1, 4], optional: false }
 */
export async function readCoreMLSpec(path: string): Promise<CoreMLModelSpec> {
  const specPath = await coreMLSpecPath(path);
  let size: number;
  try {
    size = (await stat(specPath)).size;
  } catch (e) {
    throw new CoreMLSpecInvalidError({ path, reason: `its specification file is missing (${specPath})` }, { cause: e });
  }
  if (size > MAX_SPEC_BYTES) {
    throw new CoreMLSpecInvalidError({ path, reason: `its specification is ${size} bytes, over the 2 GiB limit` });
  }
  return decodeCoreMLSpec(await readFile(specPath), path);
}
