// The numeric expectations of the tests that run real models (run-onnx vision.test.ts, whisper-real.test.ts), as a
// plain script that runs on whatever CPU this node runs on: native, or another CPU under qemu-user (run.sh). It
// prints what it measured as JSON and exits 1 when a test's tolerance does not hold here. Needs the built dist
// (`pnpm build`) and the fetched media (`bash tools/test/fetch-test-media.sh`).
import { readFileSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { normalizeWords, wordEdits } from '../test/wer.mjs';
const R = fileURLToPath(new URL('../..', import.meta.url));
const failures = [];
const check = (ok, what) => ok || failures.push(what);
const onnx = await import(`${R}/packages/run-onnx/dist/index.js`);
const { loadVisionModel, loadSpeechToText } = onnx;
const img = (n) => `${R}/.cache/test-media/images/${n}`;
const t0 = Date.now();
const out = { arch: process.arch };
/** Top-1 of a MobileNetV2 file on the three photos, as `out[<key>:<photo>] = [label, score]`. */
async function classifyPhotos(file, key) {
  const dir = mkdtempSync(join(tmpdir(), `${key}-`));
  symlinkSync(`${R}/tools/models/classification/${file}`, join(dir, file));
  symlinkSync(`${R}/tools/models/classification/imagenet1k.txt`, join(dir, 'imagenet1k.txt'));
  writeFileSync(
    join(dir, 'llama-pajamas.json'),
    JSON.stringify({ task: 'classify', labels: 'imagenet1k.txt', input: { resize: 'cover', width: 224, height: 224 } }),
  );
  const clf = await loadVisionModel(dir, { intraOpThreads: 1 });
  for (const n of ['grace_hopper_512x512.jpg', 'dog.jpg', 'eagle.jpg']) {
    const r = await clf.classify(img(n), { topK: 1 });
    out[`${key}:${n}`] = [r.predictions[0].label, +r.predictions[0].score.toFixed(4)];
  }
  await clf.unload();
}
// MobileNetV2 w8 (float compute): the tests hold it to the same answer on every CPU.
await classifyPhotos('mobilenetv2-12-w8.onnx', 'w8');
const [gLabel, gScore] = out['w8:grace_hopper_512x512.jpg'];
check(
  gLabel === 'military uniform' && Math.abs(gScore - 0.428) < 0.005,
  'w8 grace_hopper: military uniform 0.428 ± 0.005',
);
check(out['w8:dog.jpg'][0] === 'malamute', 'w8 dog: malamute');
check(out['w8:eagle.jpg'][0] === 'bald eagle', 'w8 eagle: bald eagle');
// MobileNetV2 int8 (int8 kernels): printed only, the tests expect its answers to depend on the CPU.
await classifyPhotos('mobilenetv2-12-int8.onnx', 'int8');
// YOLOX-nano
const det = await loadVisionModel(`${R}/tools/models/detection/yolox_nano.onnx`, { intraOpThreads: 1 });
for (const n of ['dog.jpg', 'person.jpg']) {
  const r = await det.detect(img(n));
  out[`yolox:${n}`] = r.detections.map((d) => `${d.label}:${d.confidence.toFixed(3)}`);
  if (n === 'dog.jpg') {
    const labels = r.detections.map((d) => d.label);
    check(
      ['dog', 'bicycle', 'car'].every((l) => labels.includes(l)),
      'yolox dog.jpg: dog, bicycle, car',
    );
    check((r.detections.find((d) => d.label === 'dog')?.confidence ?? 0) > 0.75, 'yolox dog.jpg: dog > 0.75');
  } else {
    check(
      JSON.stringify(r.detections.map((d) => d.label).sort()) === '["dog","horse","person"]',
      'yolox person.jpg: dog, horse, person',
    );
  }
}
await det.unload();
// Whisper tiny.en int8, timestamps, no VAD
// As exported (the Python reference ran the files as they are; by default the encoder attention is fused).
const stt = await loadSpeechToText(`${R}/tools/fixtures/models/whisper-tiny.en-int8`, {
  dtype: 'int8',
  vad: false,
  intraOpThreads: 1,
  rewriteGraph: { encoderAttention: 'float' },
});
const fused = await loadSpeechToText(`${R}/tools/fixtures/models/whisper-tiny.en-int8`, {
  dtype: 'int8',
  vad: false,
  intraOpThreads: 1,
});
const manifest = JSON.parse(readFileSync(`${R}/tools/fixtures/models/MANIFEST.json`, 'utf8'));
const ref = manifest.fixtures['whisper-tiny.en-int8'].check.onnx_int8_timestamps.clips;
let textSame = 0,
  maxDt = 0,
  fusedWordsDiffer = 0;
for (const f of Object.keys(ref)) {
  const want = [...ref[f].text.matchAll(/<\|(\d+\.\d+)\|>([^<]*)<\|(\d+\.\d+)\|>/g)].map((m) => ({
    start: +m[1],
    end: +m[3],
    text: m[2],
  }));
  const r = await stt.transcribe(`${R}/.cache/test-media/speech/${f}`, { vad: false, temperature: 0 });
  const same = JSON.stringify(r.segments.map((s) => s.text)) === JSON.stringify(want.map((s) => s.text));
  if (same) textSame++;
  else out[`whisper-diff:${f}`] = { got: r.segments.map((s) => s.text), want: want.map((s) => s.text) };
  r.segments.forEach((s, i) => {
    if (want[i]) maxDt = Math.max(maxDt, Math.abs(s.start - want[i].start), Math.abs(s.end - want[i].end));
  });
  const f2 = await fused.transcribe(`${R}/.cache/test-media/speech/${f}`, { vad: false, temperature: 0 });
  fusedWordsDiffer += wordEdits(normalizeWords(r.text), normalizeWords(f2.text));
}
out.whisperFusedWordsDiffer = fusedWordsDiffer;
// Whether the load-time check kept the fusion on this CPU (the encoder session's name says "(fused attention)").
out.whisperFusedEncoder = fused.pipeline.runner.sessions.encoder.name;
check(fusedWordsDiffer <= 2, 'whisper int8: the fused encoder (default) within 2 words of the exported one, greedy');
await fused.unload();
out.whisperTextSame = `${textSame}/${Object.keys(ref).length}`;
out.whisperMaxDt = +maxDt.toFixed(3);
check(textSame === Object.keys(ref).length, 'whisper int8: same segment texts as the Python reference on every clip');
check(maxDt <= 0.16, 'whisper int8: segment times within ±0.16 s of the Python reference');
await stt.unload();
out.seconds = (Date.now() - t0) / 1000;
out.failures = failures;
console.log(JSON.stringify(out, null, 1));
process.exitCode = failures.length ? 1 : 0;
