import { registerBackend } from '@llama-pajamas/run-core';
import { openBroadcastDecoder } from '../run-core/src/families/whisper/broadcast-decoder.js';
import { onnxBackend } from './src/index.js';
const runtime = { name: 'onnx', backend: onnxBackend, files: onnxBackend.files, session: { intraOpThreads: 1 } } as any;
for (const [dir, dec, d] of [
  ['../../tools/fixtures/models/whisper-tiny.en-int8/onnx/', 'decoder_model_merged_quantized.onnx', 384],
  ['../../tools/fixtures/models/whisper-tiny/onnx/', 'decoder_model_merged.onnx', 0],
  ['../../tools/fixtures/models/whisper-tiny/onnx/', 'decoder_model_merged_fp16.onnx', 0],
] as const) {
  const cfg = d || 0;
  const decoder = await onnxBackend.createSession(dir + dec);
  const encName = dec.includes('quantized') ? 'encoder_model_quantized.onnx' : dec.includes('fp16') ? 'encoder_model_fp16.onnx' : 'encoder_model.onnx';
  const encoder = await onnxBackend.createSession(dir + encName);
  const dModel = cfg || (decoder.inputs.find((i) => i.name === 'encoder_hidden_states')!.dims[2] as number);
  const t = performance.now();
  const b = await openBroadcastDecoder(runtime, dir + dec, { encoder, decoder }, dModel);
  console.log(dec, dModel, b.broadcast, b.reason, (performance.now() - t).toFixed(0), 'ms');
}
