import { readFileSync } from 'node:fs';
import { loadSpeechToTextInWorkers } from '../../packages/run-onnx/src/index.js';
const model = '/work/h-workers/tools/fixtures/models/whisper-tiny.en-int8';
const clip = readFileSync('/work/h-workers/.cache/test-media/speech/sense_and_sensibility_01_austen_64kb-0870.wav');
const vad = process.env.VAD !== 'off';
const stt = await loadSpeechToTextInWorkers(model, { workers: 2, dtype: 'int8', intraOpThreads: 1, interOpThreads: 1, ...(vad ? {} : { vad: false }) });
await Promise.all([stt.transcribe(clip), stt.transcribe(clip)]);
for (const n of [1, 2, 1, 2]) {
  const c0 = process.cpuUsage(); const t = performance.now();
  await Promise.all(Array.from({ length: n }, () => stt.transcribe(clip)));
  const wall = performance.now() - t; const c = process.cpuUsage(c0);
  console.log('vad', vad, n, 'wall', wall.toFixed(0), 'cores', ((c.user + c.system) / 1000 / wall).toFixed(2));
}
await stt.unload();
