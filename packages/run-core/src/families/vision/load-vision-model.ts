import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelNotFoundError, ModelUnrecognizedError, invalidParameter } from '../../errors.js';
import { isModelFileName, listModelFiles, pathExists, stripModelExtension } from '../../loaders/files.js';
import { readJsonFile } from '../../loaders/json.js';
import { resolveRuntime } from '../../loaders/runtime.js';
import { FamilyVisionBackend } from './family-backend.js';
import { buildClip, buildHfClassifier, isClipFolder, type HfModelConfig } from './load-hf.js';
import type { BuiltVisionModel, VisionBuildContext, VisionLoaderOptions } from './load-common.js';
import { buildFromFile, buildFromManifest } from './load-single-file.js';
import { VISION_MANIFEST_FILE, parseVisionManifest, type VisionManifest } from './manifest.js';
import { familyLookedFor } from '../../loaders/family-files.js';

async function loadManifestFile(path: string): Promise<VisionManifest> {
  return parseVisionManifest(await readJsonFile(path, { what: `${VISION_MANIFEST_FILE} manifest` }), path);
}

function inlineManifest(ctx: VisionBuildContext): VisionManifest | undefined {
  return ctx.options.manifest ? parseVisionManifest(ctx.options.manifest, 'options.manifest') : undefined;
}

async function buildFile(path: string, ctx: VisionBuildContext): Promise<BuiltVisionModel> {
  if (path.endsWith('.json')) {
    const manifest = await loadManifestFile(path);
    if (!manifest.model) {
      throw new ModelUnrecognizedError({
        model: ctx.modelId,
        found: `${path} is a manifest without a "model" file`,
        hint: 'A manifest loaded directly must name its "model" file.',
      });
    }
    return buildFromManifest(resolve(dirname(path), manifest.model), manifest, ctx);
  }
  let manifest = inlineManifest(ctx);
  const sibling = join(dirname(path), VISION_MANIFEST_FILE);
  if (!manifest && (await pathExists(sibling))) {
    const m = await loadManifestFile(sibling);
    if (m.model === undefined || basename(m.model) === basename(path)) manifest = m;
  }
  return manifest ? buildFromManifest(path, manifest, ctx) : buildFromFile(path, ctx);
}

async function buildFolder(path: string, ctx: VisionBuildContext): Promise<BuiltVisionModel> {
  const manifestPath = join(path, VISION_MANIFEST_FILE);
  const manifest =
    inlineManifest(ctx) ?? ((await pathExists(manifestPath)) ? await loadManifestFile(manifestPath) : undefined);
  // A converted CLIP folder's manifest says zero-shot; the folder itself (config.json, onnx/) describes the towers.
  const describesFolder = manifest?.task === 'zero-shot' && (await pathExists(join(path, 'config.json')));
  if (manifest && !describesFolder) {
    let file = manifest.model ? resolve(path, manifest.model) : undefined;
    if (!file) {
      const files = await listModelFiles(path, ctx.runtime.files);
      if (files.length !== 1) {
        throw new ModelUnrecognizedError(
          {
            model: ctx.modelId,
            found: `${manifestPath} sets no "model" and the folder has ${files.length} model files (${files.join(', ')})`,
            hint: 'Name one in "model".',
          },
          { details: { path } },
        );
      }
      file = join(path, files[0]!);
    }
    return buildFromManifest(file, manifest, ctx);
  }
  const config = (await readJsonFile(join(path, 'config.json'), { required: false })) as HfModelConfig | undefined;
  if (config) {
    if (await isClipFolder(path, config, ctx)) return buildClip(path, config, ctx);
    if (await pathExists(join(path, 'preprocessor_config.json'))) return buildHfClassifier(path, config, ctx);
  }
  const files = await listModelFiles(path, ctx.runtime.files);
  if (files.length === 1) return buildFromFile(join(path, files[0]!), ctx);
  throw new ModelUnrecognizedError(
    {
      model: ctx.modelId,
      found: `${path} holds no recognisable model (${files.length} model files: ${files.join(', ') || 'none'})`,
      lookedFor: familyLookedFor('vision', ctx.runtime.files),
    },
    { details: { path, modelFiles: files } },
  );
}

async function build(path: string, ctx: VisionBuildContext): Promise<BuiltVisionModel> {
  const info = await stat(path).catch((e: unknown) => {
    throw new ModelNotFoundError({ path, reason: (e as Error).message }, { cause: e });
  });
  // A folder-shaped model (a CoreML .mlpackage / .mlmodelc) is one model file, not a model folder.
  if (info.isFile() || isModelFileName(basename(path.replace(/[\\/]+$/, '')), ctx.runtime.files)) {
    return buildFile(path.replace(/[\\/]+$/, ''), ctx);
  }
  if (info.isDirectory()) return buildFolder(path, ctx);
  throw new ModelUnrecognizedError({ model: ctx.modelId, found: `${path} is neither a file nor a folder` });
}

/**
 * Loads an image model on a runtime from the registry, recognising its family from the files: Ultralytics
 * exports (metadata), YOLOX/YOLOv5/FastestDet by output layout, Hugging Face classifier and CLIP folders, or a
 * `llama-pajamas.json` manifest. Sessions are opened once and shared; the backend is returned loaded unless
 * `load: false`. Throws `ERR_RUN_MODEL_NOT_FOUND`, `ERR_RUN_MODEL_UNRECOGNIZED` (naming what was looked for),
 * `ERR_RUN_MODEL_OUTPUT_MISMATCH` or `ERR_RUN_BACKEND_NOT_FOUND`.
 * @example
 * registerBackend('onnx', onnxBackend, 100);
 * const yolo = await loadVisionModel('models/yolov8n.onnx', { runtime: 'onnx', session: { intraOpThreads: 2 } });
 * const { detections } = await yolo.detect('dog.jpg');
 * // [{ label: 'dog', confidence: 0.96, classId: 16, box: { x1: 131, y1: 219, x2: 310, y2: 541 } }, ...]
 */
export async function loadVisionModel(path: string, options: VisionLoaderOptions = {}): Promise<FamilyVisionBackend> {
  if (typeof path !== 'string' || path.length === 0) {
    throw invalidParameter('path', 'the path of a model file or folder', path);
  }
  const runtime = await resolveRuntime(options);
  const modelId = options.modelId ?? stripModelExtension(basename(path.replace(/[\\/]+$/, '')), runtime.files);
  const ctx: VisionBuildContext = { runtime, options, modelId };
  const first = await build(path, ctx);
  if (options.load === false) await first.pipelines.dispose();
  return new FamilyVisionBackend({
    modelId,
    modelType: first.modelType,
    labels: first.labels,
    capabilities: first.capabilities,
    ...(options.load === false ? {} : { pipelines: first.pipelines }),
    open: async () => (await build(path, ctx)).pipelines,
  });
}
