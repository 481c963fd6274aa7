/**
 * CoreML vs onnxruntime benchmark (prints figures; not a test). Needs a Mac. Run from packages/run-coreml:
 *   pnpm bench -- <coreml model>:<onnx model>[:yolo|clip|vit] ...
 * e.g. pnpm bench -- models/yolov8n.mlpackage:models/yolov8n.onnx:yolo
 *
 * For each pair: one CoreML session per compute unit (BENCH_UNITS, default all four), onnxruntime-node with its
 * CoreML execution provider (MLProgram) and with CPU, all fed the same random input made from the CoreML model's
 * description. Rounds (BENCH_ROUNDS, default 30) are interleaved after 3 warm-up runs each; each figure is
 * "median (min)" in ms of `session.run` alone. The seed's M1 targets are checked for yolo / clip / vit.
 */
import { performance } from 'node:perf_hooks';
import { createTensor, type InferenceSession, type Tensor } from '@llama-pajamas/run-core';
import { OnnxSession } from '@llama-pajamas/run-onnx';
import { CoreMLSession, type ComputeUnits } from '../src/index.js';

const TARGET_MS: Record<string, { ms: number; label: string }> = {
  yolo: { ms: 1000 / 30, label: 'YOLOv8n 640: ≥ 30 FPS' },
  clip: { ms: 50, label: 'CLIP image embedding: < 50 ms' },
  vit: { ms: 30, label: 'ViT classification: < 30 ms' },
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const UNITS = (process.env.BENCH_UNITS ?? 'all,cpuAndNeuralEngine,cpuAndGpu,cpuOnly').split(',') as ComputeUnits[];

function randomFeeds(session: InferenceSession): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of session.inputs) {
    const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] =
      input.type === 'int32' || input.type === 'int64'
        ? createTensor(
            'int32',
            new Int32Array(size).map(() => Math.floor(Math.random() * 100)),
            dims,
          )
        : createTensor(
            'float32',
            new Float32Array(size).map(() => Math.random()),
            dims,
          );
  }
  return feeds;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (process.platform !== 'darwin') {
    console.log('run-coreml bench: skipped, CoreML needs macOS (see docs/coreml.md).');
    return;
  }
  const pairs = process.argv.slice(2).filter((a) => a !== '--');
  if (pairs.length === 0) {
    console.log('Usage: pnpm bench -- <model.mlpackage>:<model.onnx>[:yolo|clip|vit] ... (see docs/coreml.md)');
    return;
  }
  for (const pair of pairs) {
    const [coremlPath, onnxPath, target] = pair.split(':');
    if (!coremlPath || !onnxPath) throw new Error(`Expected <coreml>:<onnx>[:target] but received '${pair}'.`);
    const sides: { label: string; session: InferenceSession; times: number[] }[] = [];
    for (const computeUnits of UNITS) {
      const started = performance.now();
      const session = await CoreMLSession.create(coremlPath, { computeUnits });
      const loadMs = performance.now() - started;
      const plan = await session.computePlan().catch((e: Error) => e);
      const where = plan instanceof Error ? plan.message : JSON.stringify(plan.devices);
      console.log(
        `${coremlPath} ${computeUnits}: loaded in ${loadMs.toFixed(0)} ms (${session.compiledFrom}); plan ${where}`,
      );
      sides.push({ label: `CoreML ${computeUnits}`, session, times: [] });
    }
    for (const [label, executionProviders] of [
      ['onnxruntime CoreML EP', ['coreml', 'cpu']],
      ['onnxruntime CPU', ['cpu']],
    ] as const) {
      const session = await OnnxSession.create(onnxPath, { executionProviders: [...executionProviders] });
      sides.push({ label: `${label} (${session.executionProvider})`, session, times: [] });
    }
    const feeds = randomFeeds(sides[0]!.session);
    for (const side of sides) for (let i = 0; i < 3; i++) await side.session.run(feeds);
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of sides) {
        const t0 = performance.now();
        await side.session.run(feeds);
        side.times.push(performance.now() - t0);
      }
    }
    const goal = target ? TARGET_MS[target] : undefined;
    console.log(`\n${coremlPath} vs ${onnxPath}${goal ? ` — target ${goal.label}` : ''}`);
    console.log('| side | median ms | min ms | FPS |' + (goal ? ' target |' : ''));
    console.log('| --- | --- | --- | --- |' + (goal ? ' --- |' : ''));
    for (const side of sides) {
      const med = median(side.times);
      const verdict = goal ? ` ${med <= goal.ms ? 'met' : 'missed'} |` : '';
      console.log(
        `| ${side.label} | ${med.toFixed(2)} | ${Math.min(...side.times).toFixed(2)} | ${(1000 / med).toFixed(1)} |${verdict}`,
      );
      await side.session.dispose();
    }
  }
}

await main();
