/**
 * Vision benchmark (prints figures; not a test). Run: `pnpm --filter @llama-pajamas/run-onnx bench`.
 *
 * 1. End-to-end (encoded JPEG bytes -> typed result) / physical floor (sharp decoding the JPEG to raw pixels at the
 *    model's scale + raw onnxruntime `session.run` on a prepared tensor), for YOLOX-nano, YOLOv8n-int8, MobileNetV2.
 *    Then sharp's JPEG decode at full size vs with shrink-on-load (libjpeg DCT scaling) on three photo sizes.
 * 2. Our classify / transformers.js image-classification on the same MobileNetV2 ONNX (HF folder built in a temp
 *    dir) on dog.jpg, kite.jpg and a 4032x2684 JPEG; our CLIP image embedding / transformers.js
 *    CLIPVisionModelWithProjection on clip-tiny; and a per-stage breakdown of both sides on dog.jpg.
 * 3. Batched (one run of 8) vs one-by-one throughput on MobileNetV2 (dynamic batch).
 * Every measurement runs once per round, rounds are interleaved (BENCH_ROUNDS, default 40), and each figure is
 * "median (min of rounds)": the machine is shared, and the minimum is the figure least disturbed by other work.
 */
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { mkdtemp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  computeResizeGeometry,
  hfPreprocessSpec,
  preprocessImage,
  type ImagePreprocessSpec,
} from '../../packages/run-core/src/index.js';
import { loadVisionModel } from '../../packages/run-onnx/src/index.js';
import { asset, labOnly } from '../test/assets.js';

const pkg = fileURLToPath(new URL('../../packages/run-onnx/package.json', import.meta.url));
const req = createRequire(pkg);
const load = async <T>(name: string): Promise<T> => (await import(pathToFileURL(req.resolve(name)).href)) as T;
type Sharp = typeof import('sharp');
type Ort = typeof import('onnxruntime-node');
interface OnnxProto {
  ModelProto: {
    decode(b: Uint8Array): {
      graph: { input: { name: string }[]; output: { name: string }[]; node: { input: string[]; output: string[] }[] };
    };
    encode(m: unknown): { finish(): Uint8Array };
  };
}
const sharp = (await load<{ default: Sharp }>('sharp')).default;
const ort = await load<Ort>('onnxruntime-node');

const shared = asset;
// The AGPL YOLOv8n weights are never committed: their rows run only where a ../shared lab folder is.
const yolov8Path = labOnly('models/detection/yolov8n_int8.onnx');
const fixtures = (p: string): string => fileURLToPath(new URL(`../fixtures/models/${p}`, import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const threads = { intraOpThreads: THREADS, interOpThreads: 1 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median and minimum of one task's times (the minimum is the least disturbed by other processes). */
interface Stat {
  med: number;
  min: number;
}

/** Named async tasks measured once per round, in the same order every round (interleaved). */
async function rounds(tasks: Record<string, () => Promise<unknown>>, n = ROUNDS): Promise<Record<string, Stat>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((k) => [k, []]));
  for (const t of Object.values(tasks)) await t(); // warm-up
  for (let r = 0; r < n; r++) {
    for (const [k, t] of Object.entries(tasks)) {
      const t0 = performance.now();
      await t();
      times[k]!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { med: median(v), min: Math.min(...v) }]));
}

const ms = (s: Stat): string => `${s.med.toFixed(2)} (${s.min.toFixed(2)})`;
const ratio = (a: Stat, b: Stat): string => `**${(a.med / b.med).toFixed(3)}** (${(a.min / b.min).toFixed(3)})`;
const sum = (a: Stat, b: Stat): Stat => ({ med: a.med + b.med, min: a.min + b.min });

const jpeg = await readFile(shared('media/images/dog.jpg'));

/** sharp decode + resize to the model's geometry (same shrink-on-load and kernel as our pipeline). */
function decodeAtModelScale(spec: ImagePreprocessSpec): () => Promise<unknown> {
  const g = computeResizeGeometry(768, 576, spec);
  return () =>
    sharp(jpeg)
      .resize(g.resizeWidth, g.resizeHeight, { fit: 'fill', kernel: spec.resample === 'bicubic' ? 'cubic' : 'linear' })
      .raw()
      .toBuffer();
}

async function rawRun(file: string, input: string, dims: number[]): Promise<() => Promise<unknown>> {
  const s = await ort.InferenceSession.create(file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const size = dims.reduce((a, b) => a * b, 1);
  const t = new ort.Tensor('float32', new Float32Array(size).fill(0.5), dims);
  return () => s.run({ [input]: t });
}

const out: string[] = [];
const log = (s: string): void => {
  out.push(s);
  console.log(s);
};
log(
  `vision bench: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}, intraOpThreads=${THREADS}, ${ROUNDS} interleaved rounds; ms as median (min of rounds); ratios as median-based (min-based)`,
);

// ---- 1. end-to-end vs floor -------------------------------------------------------------------------------
const tmp = await mkdtemp(join(tmpdir(), 'lp-bench-'));
const mobilenetSpec: ImagePreprocessSpec = {
  width: 224,
  height: 224,
  resize: 'shortest-edge-center-crop',
  shortestEdge: 224,
  resample: 'bilinear',
  channelOrder: 'rgb',
  layout: 'chw',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
// An HF-shaped folder for MobileNetV2 (used by us and by transformers.js).
const hf = join(tmp, 'mobilenet');
await mkdir(join(hf, 'onnx'), { recursive: true });
// transformers.js feeds `pixel_values` and reads `logits`; the zoo model has `input`/`output`, so write a copy renamed (weights unchanged).
{
  const { onnx } = (await load<{ default: { onnx: OnnxProto } }>('onnx-proto')).default;
  const model = onnx.ModelProto.decode(await readFile(shared('models/classification/mobilenetv2-12-w8.onnx')));
  for (const v of model.graph.input) if (v.name === 'input') v.name = 'pixel_values';
  for (const v of model.graph.output) if (v.name === 'output') v.name = 'logits';
  for (const n of model.graph.node) {
    n.input = n.input.map((i) => (i === 'input' ? 'pixel_values' : i));
    n.output = n.output.map((o) => (o === 'output' ? 'logits' : o));
  }
  await writeFile(join(hf, 'onnx/model.onnx'), onnx.ModelProto.encode(model).finish());
}
const imagenet = (await readFile(shared('models/classification/imagenet1k.txt'), 'utf8')).trim().split('\n');
await writeFile(
  join(hf, 'config.json'),
  JSON.stringify({
    model_type: 'mobilenet_v2',
    architectures: ['MobileNetV2ForImageClassification'],
    id2label: Object.fromEntries(imagenet.map((l, i) => [String(i), l])),
  }),
);
await writeFile(
  join(hf, 'preprocessor_config.json'),
  JSON.stringify({
    image_processor_type: 'MobileNetV2ImageProcessor',
    do_resize: true,
    size: { shortest_edge: 224 },
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
  }),
);

const yolox = await loadVisionModel(shared('models/detection/yolox_nano.onnx'), threads);
const yolov8 = yolov8Path === undefined ? undefined : await loadVisionModel(yolov8Path, threads);
const mobilenet = await loadVisionModel(hf, threads);
const yoloxSpec: ImagePreprocessSpec = {
  width: 416,
  height: 416,
  resize: 'letterbox',
  letterboxAlign: 'top-left',
  channelOrder: 'bgr',
  layout: 'chw',
  scale: 1,
};
const v8Spec: ImagePreprocessSpec = {
  width: 640,
  height: 640,
  resize: 'letterbox',
  channelOrder: 'rgb',
  layout: 'chw',
  scale: 1 / 255,
};
const floors = {
  'yolox decode': decodeAtModelScale(yoloxSpec),
  'yolox run': await rawRun(shared('models/detection/yolox_nano.onnx'), 'images', [1, 3, 416, 416]),
  'yolox e2e': () => yolox.detect(jpeg),
  ...(yolov8 === undefined || yolov8Path === undefined
    ? {}
    : {
        'yolov8 decode': decodeAtModelScale(v8Spec),
        'yolov8 run': await rawRun(yolov8Path, 'images', [1, 3, 640, 640]),
        'yolov8 e2e': () => yolov8.detect(jpeg),
      }),
  'mobilenet decode': decodeAtModelScale(mobilenetSpec),
  'mobilenet run': await rawRun(shared('models/classification/mobilenetv2-12-w8.onnx'), 'input', [1, 3, 224, 224]),
  'mobilenet e2e': () => mobilenet.classify(jpeg),
};
const f = await rounds(floors);
log('');
log('| model | sharp decode at model scale | raw session.run | floor | end-to-end | e2e / floor |');
log('| --- | --- | --- | --- | --- | --- |');
for (const m of yolov8 === undefined ? ['yolox', 'mobilenet'] : ['yolox', 'yolov8', 'mobilenet']) {
  const floor = sum(f[`${m} decode`]!, f[`${m} run`]!);
  log(
    `| ${m} | ${ms(f[`${m} decode`]!)} | ${ms(f[`${m} run`]!)} | ${ms(floor)} | ${ms(f[`${m} e2e`]!)} | ${ratio(f[`${m} e2e`]!, floor)} |`,
  );
}

// ---- 1b. JPEG decode: full size vs shrink-on-load ----------------------------------------------------------
// sharp lets libjpeg decode at 1/2, 1/4, 1/8 scale inside resize() only when the reduction is >= 2x the factor's
// threshold (it needs shrink >= 3 for 1/2, >= 5 for 1/4, >= 9 for 1/8: pipeline.cc lowers the factor when
// int(shrink) equals it). dog.jpg (768x576) -> 298x224 is a 2.57x reduction: no DCT scaling possible.
const kite = await readFile(shared('media/images/kite.jpg'));
// A phone-sized photo (4032x2684, q90), upscaled from kite.jpg: shows the case where shrink-on-load pays most.
const phone = await sharp(kite).resize(4032, 2684, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer();
const dec = (b: Buffer, w?: number, h?: number) => (): Promise<unknown> =>
  (w ? sharp(b).resize(w, h, { fit: 'fill', kernel: 'linear' }) : sharp(b)).raw().toBuffer();
const d = await rounds({
  'dog.jpg 768x576 full decode': dec(jpeg),
  'dog.jpg -> 298x224 (2.57x, no DCT scaling)': dec(jpeg, 298, 224),
  'dog.jpg -> 256x192 (3x, DCT 1/2)': dec(jpeg, 256, 192),
  'kite.jpg 1352x900 full decode': dec(kite),
  'kite.jpg -> 336x224 (4.02x, DCT 1/2)': dec(kite, 336, 224),
  '4032x2684 full decode': dec(phone),
  '4032x2684 -> 336x224 (12x, DCT 1/8)': dec(phone, 336, 224),
});
log('');
log('| JPEG decode with sharp | ms |');
log('| --- | --- |');
for (const [k, v] of Object.entries(d)) log(`| ${k} | ${ms(v)} |`);

// ---- 1c. cost of parity: preprocessImage with the family defaults vs the speed-first opt-outs ----------------
// Detectors default to antialias: false (cv2.resize parity: full decode + affine), HF specs to
// fastShrinkOnLoad: false (PIL parity: full decode). The opt-outs restore libvips' antialiased resize with JPEG
// shrink-on-load. Measured on dog.jpg and on the phone-sized JPEG made in 1b.
const clip224 = hfPreprocessSpec({
  image_processor_type: 'CLIPImageProcessor',
  size: { shortest_edge: 224 },
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  resample: 3,
});
const parity: Record<string, () => Promise<unknown>> = {};
for (const [img, bytes] of [
  ['dog.jpg', jpeg],
  ['4032x2684', phone],
] as const) {
  for (const [name, spec, fast] of [
    ['YOLOX 416', { ...yoloxSpec, antialias: false }, { antialias: true }],
    ['YOLOv8 640', { ...v8Spec, antialias: false }, { antialias: true }],
    ['CLIP 224', clip224, { fastShrinkOnLoad: true }],
  ] as const) {
    parity[`${name} ${img} default`] = () => preprocessImage(bytes, spec);
    parity[`${name} ${img} opt-out`] = () => preprocessImage(bytes, { ...spec, ...fast });
  }
}
const pr = await rounds(parity);
log('');
log('| preprocessImage | default (parity) | opt-out (speed-first) | default / opt-out |');
log('| --- | --- | --- | --- |');
for (const k of Object.keys(parity).filter((k) => k.endsWith(' default'))) {
  const base = k.slice(0, -' default'.length);
  log(`| ${base} | ${ms(pr[k]!)} | ${ms(pr[`${base} opt-out`]!)} | ${ratio(pr[k]!, pr[`${base} opt-out`]!)} |`);
}

// ---- 2. vs transformers.js ----------------------------------------------------------------------------------
type Tjs = typeof import('@huggingface/transformers');
const tjs = await load<Tjs>('@huggingface/transformers');
tjs.env.allowRemoteModels = false;
tjs.env.allowLocalModels = true;
tjs.env.localModelPath = tmp + '/';
const sessionOptions = { intraOpNumThreads: THREADS, interOpNumThreads: 1 };
const theirClassifier = await tjs.pipeline('image-classification', 'mobilenet', {
  dtype: 'fp32',
  device: 'cpu',
  session_options: sessionOptions,
});
const dogPath = shared('media/images/dog.jpg');
// Same input for both: the encoded JPEG as a file path (transformers.js reads and decodes it with sharp).
const ourTop = (await mobilenet.classify(dogPath, { topK: 1 })).predictions[0];
const theirTop = ((await theirClassifier(dogPath, { top_k: 1 })) as { label: string; score: number }[])[0];

const clipDir = join(tmp, 'clip-tiny');
await symlink(fixtures('clip-tiny'), clipDir);
const ourClip = await loadVisionModel(clipDir, threads);
const processor = await tjs.AutoProcessor.from_pretrained('clip-tiny');
const visionModel = await tjs.CLIPVisionModelWithProjection.from_pretrained('clip-tiny', {
  dtype: 'fp32',
  device: 'cpu',
  session_options: sessionOptions,
});
const theirClipEmbed = async (): Promise<unknown> => {
  const image = await tjs.RawImage.read(dogPath);
  const inputs = await processor(image);
  return visionModel(inputs);
};
const kitePath = shared('media/images/kite.jpg');
const phonePath = join(tmp, 'phone-4032x2684.jpg');
await writeFile(phonePath, phone);
// Stage breakdown on dog.jpg: where each side spends its time.
let rawImage: unknown;
let pixelValues: unknown;
const tjsParts = theirClassifier as unknown as {
  processor: (i: unknown) => Promise<unknown>;
  model: (x: unknown) => Promise<unknown>;
};
const vs = await rounds({
  'ours classify': () => mobilenet.classify(dogPath),
  'transformers.js classify': () => theirClassifier(dogPath),
  'ours classify kite': () => mobilenet.classify(kitePath),
  'transformers.js classify kite': () => theirClassifier(kitePath),
  'ours classify phone': () => mobilenet.classify(phonePath),
  'transformers.js classify phone': () => theirClassifier(phonePath),
  'ours clip embed': () => ourClip.embed(dogPath),
  'transformers.js clip embed': theirClipEmbed,
  'ours preprocessImage': () => preprocessImage(dogPath, mobilenetSpec),
  'ours session.run': floors['mobilenet run'],
  'transformers.js RawImage.read': async () => (rawImage = await tjs.RawImage.read(dogPath)),
  'transformers.js processor': async () => (pixelValues = await tjsParts.processor(rawImage)),
  'transformers.js model': () => tjsParts.model(pixelValues),
});
log('');
log(
  `top-1 on dog.jpg: ours ${ourTop?.label} ${ourTop?.score.toFixed(3)}, transformers.js ${theirTop?.label} ${theirTop?.score.toFixed(3)} (PIL reference 0.505; int8 MobileNetV2 is sensitive to the resampler)`,
);
log('');
log('| task (file path in) | ours | transformers.js | ours / theirs |');
log('| --- | --- | --- | --- |');
const row = (name: string, a: string, b: string): void =>
  log(`| ${name} | ${ms(vs[a]!)} | ${ms(vs[b]!)} | ${ratio(vs[a]!, vs[b]!)} |`);
row('MobileNetV2 classify, dog.jpg 768x576 (top-5 out)', 'ours classify', 'transformers.js classify');
row('MobileNetV2 classify, kite.jpg 1352x900', 'ours classify kite', 'transformers.js classify kite');
row('MobileNetV2 classify, 4032x2684 JPEG', 'ours classify phone', 'transformers.js classify phone');
row('clip-tiny image embedding, dog.jpg', 'ours clip embed', 'transformers.js clip embed');
log('');
log('| dog.jpg stage | ms |');
log('| --- | --- |');
for (const k of [
  'ours preprocessImage',
  'ours session.run',
  'transformers.js RawImage.read',
  'transformers.js processor',
  'transformers.js model',
]) {
  log(`| ${k} | ${ms(vs[k]!)} |`);
}

// ---- 3. batched vs single -----------------------------------------------------------------------------------
const single = await loadVisionModel(hf, { ...threads, batch: 'single' });
const eight = [
  'dog.jpg',
  'person.jpg',
  'giraffe.jpg',
  'eagle.jpg',
  'horses.jpg',
  'kite.jpg',
  'grace_hopper_512x512.jpg',
  'dog.jpg',
];
const batchBytes = await Promise.all(eight.map((n) => readFile(shared(`media/images/${n}`))));
const b = await rounds(
  {
    'batch of 8 (one run)': () => mobilenet.batchClassify(batchBytes),
    '8 one by one': () => single.batchClassify(batchBytes),
  },
  Math.max(5, Math.round(ROUNDS / 2)),
);
log('');
log('| MobileNetV2, 8 images | ms | images/s |');
log('| --- | --- | --- |');
for (const [k, v] of Object.entries(b)) log(`| ${k} | ${ms(v)} | ${((8 * 1000) / v.med).toFixed(1)} |`);
log(
  `batched / single throughput: ${(b['8 one by one']!.med / b['batch of 8 (one run)']!.med).toFixed(2)}x (min-based ${(b['8 one by one']!.min / b['batch of 8 (one run)']!.min).toFixed(2)}x)`,
);

await Promise.all([yolox.unload(), yolov8?.unload(), mobilenet.unload(), single.unload(), ourClip.unload()]);
await theirClassifier.dispose();
await visionModel.dispose();
