import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const clipPath = '/work/h-workers/.cache/test-media/speech/sense_and_sensibility_01_austen_64kb-0870.wav';
if (isMainThread) {
  const mode = process.argv[2];
  const ws = [0, 1].map(() => new Worker(new URL(import.meta.url), { workerData: { mode } }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  for (const n of [1, 2, 1, 2]) {
    const c0 = process.cpuUsage(); const t = performance.now();
    await Promise.all(ws.slice(0, n).map((w) => new Promise((r) => { w.once('message', r); w.postMessage(3); })));
    const wall = performance.now() - t; const c = process.cpuUsage(c0);
    console.log(mode, n, 'wall', wall.toFixed(0), 'cores', ((c.user + c.system) / 1000 / wall).toFixed(2));
  }
  for (const w of ws) await w.terminate();
} else {
  const { loadSpeechToText } = await import('@llama-pajamas/run-onnx');
  const { decodeAudio, toMono, resample } = await import('@llama-pajamas/run-core');
  const stt = await loadSpeechToText('/work/h-workers/tools/fixtures/models/whisper-tiny.en-int8', { dtype: 'int8', intraOpThreads: 1, interOpThreads: 1, vad: false });
  const bytes = readFileSync(clipPath);
  const d = await decodeAudio(bytes);
  const pcm = { samples: resample(toMono(d.channels), d.sampleRate, 16000), sampleRate: 16000 };
  const feats = new Float32Array(80 * 3000).fill(0.1);
  const { logMelSpectrogram } = await import('@llama-pajamas/run-core/families');
  const job = () => workerData.mode === 'mel' ? Promise.resolve(logMelSpectrogram(pcm.samples)) : workerData.mode === 'dec' ? stt.transcribe(pcm, { vad: false }).then(() => 0) : workerData.mode === 'enc' ? stt.pipeline.runner.encode(feats, [1, 80, 3000]) : workerData.mode === 'pcm' ? stt.transcribe(pcm) : stt.transcribe(bytes);
  await job();
  parentPort.postMessage('ready');
  parentPort.on('message', async (k) => { for (let i = 0; i < k; i++) await job(); parentPort.postMessage('done'); });
}
