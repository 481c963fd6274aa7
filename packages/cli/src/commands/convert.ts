import { basename, dirname, join } from 'node:path';
import {
  convert,
  ensureConverterEnv,
  inspectPackage,
  verifyCoreML,
  type ConvertFamily,
  type ConvertOptions,
  type OnnxDtype,
} from '@llama-pajamas/converters';
import { InvalidArgumentError, type Command } from 'commander';

interface ConvertFlags {
  weights?: string;
  model?: string;
  out?: string;
  precision?: 'fp16' | 'fp32';
  quantize?: ConvertOptions['quantize'];
  onnx?: string | boolean;
  fallback?: 'fp32';
  parityInputs?: string[];
  imgsz?: string;
  maxTokens?: string;
  stateful?: boolean;
  paritySteps?: string;
  minWeightSize?: string;
  overwrite?: boolean;
}

const err = (line: string): void => void process.stderr.write(`${line}\n`);

function choice<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`Expected one of ${values.join(', ')}.`);
    return v as T;
  };
}

function int(what: string) {
  return (v: string): string => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`Expected ${what}.`);
    return v;
  };
}

function toOptions(family: ConvertFamily, f: ConvertFlags): ConvertOptions {
  const source = (family === 'yolo' ? f.weights : f.model) ?? '';
  const stem = basename(source.replace(/[\\/]+$/, '')).replace(/\.pt$/, '');
  const onnx: ConvertOptions['onnx'] =
    f.onnx === undefined || f.onnx === false ? false : f.onnx === true ? true : (f.onnx.split(',') as OnnxDtype[]);
  const imgsz = f.imgsz?.split(',').map(Number);
  return {
    family,
    source,
    out: f.out ?? join(dirname(source), `${stem}-coreml`),
    precision: f.precision,
    quantize: f.quantize,
    onnx,
    fallback: f.fallback,
    parityInputs: f.parityInputs,
    ...(imgsz ? { imgsz: imgsz.length === 1 ? imgsz[0]! : [imgsz[0]!, imgsz[1]!] } : {}),
    ...(f.maxTokens ? { maxTokens: Number(f.maxTokens) } : {}),
    ...(f.stateful === false ? { stateful: false } : {}),
    ...(f.paritySteps ? { paritySteps: Number(f.paritySteps) } : {}),
    ...(f.minWeightSize ? { minWeightSize: Number(f.minWeightSize) } : {}),
    overwrite: f.overwrite,
    onProgress: (p) => err(`[${p.step}] ${p.message}`),
  };
}

/** Adds `llama-pajamas convert <family> …` (and `convert setup`, `convert inspect`). */
export function registerConvertCommand(program: Command): void {
  // `pnpm convert -- yolo …` passes the `--` through; drop it so the family subcommand parses its flags.
  const at = process.argv.indexOf('convert');
  if (at > 0 && process.argv[at + 1] === '--') process.argv.splice(at + 1, 1);
  const cmd = program
    .command('convert')
    .description('Convert a PyTorch model to CoreML (and ONNX) with a parity gate; see docs/converters.md.');
  const families: [ConvertFamily, string, string][] = [
    ['yolo', 'Ultralytics YOLOv8/YOLO11 .pt (detect, classify)', '--weights <pt>'],
    ['classifier', 'Hugging Face image classifier folder (ViT, MobileNet, ResNet, ConvNeXt)', '--model <dir>'],
    ['clip', 'Hugging Face CLIP folder (image and text towers)', '--model <dir>'],
    ['whisper', 'Hugging Face Whisper folder (encoder, KV-cache decoder, stateful decoder)', '--model <dir>'],
  ];
  for (const [family, description, source] of families) {
    const sub = cmd
      .command(family)
      .description(description)
      .requiredOption(source, family === 'yolo' ? 'the Ultralytics checkpoint' : 'the local model folder')
      .option('--out <dir>', 'output folder (default: <source>-coreml next to the source)')
      .option('--precision <p>', 'CoreML compute precision: fp16 (default) or fp32', choice(['fp16', 'fp32'] as const))
      .option(
        '--quantize <mode>',
        'weights: int8, palettize4, palettize6, palettize8',
        choice(['int8', 'palettize4', 'palettize6', 'palettize8'] as const),
      )
      .option('--onnx [dtypes]', 'also write ONNX (fp32, or a comma list of fp32,fp16,int8)')
      .option(
        '--fallback <p>',
        'fp32: convert again at FP32 when the FP16 parity gate fails',
        choice(['fp32'] as const),
      )
      .option('--parity-inputs <path...>', 'images / WAV / .txt files or folders for the parity gate')
      .option('--min-weight-size <n>', 'smallest weight (elements) to compress', int('a number'))
      .option('--overwrite', 'replace the output folder');
    if (family === 'yolo')
      sub.option('--imgsz <n>', 'input size N or H,W (default 640)', (v) => {
        if (!/^\d+(,\d+)?$/.test(v)) throw new InvalidArgumentError('Expected N or H,W.');
        return v;
      });
    if (family === 'whisper') {
      sub
        .option(
          '--max-tokens <n>',
          'KV-cache capacity of the CoreML decoders (default min(448, model))',
          int('a number'),
        )
        .option('--no-stateful', 'skip the macOS 15 stateful decoder')
        .option('--parity-steps <n>', 'greedy steps the parity gate compares (default 24)', int('a number'));
    }
    sub.action(async (flags: ConvertFlags) => {
      const { out, manifest } = await convert(toOptions(family, flags));
      const c = manifest.conversion;
      process.stdout.write(
        `${JSON.stringify({ out, precision: c.precision, quantize: c.quantize, fallback: c.fallback?.from, runtimes: Object.keys(c.runtimes), parity: c.parity.onnx }, null, 2)}\n`,
      );
    });
  }
  cmd
    .command('setup')
    .description('Create (or check) the pinned Python environment the converters run in')
    .action(async () => {
      const env = await ensureConverterEnv({ onProgress: (p) => err(`[${p.step}] ${p.message}`) });
      process.stdout.write(`${JSON.stringify(env, null, 2)}\n`);
    });
  cmd
    .command('verify <folder>')
    .description('macOS: run the CoreML packages of a converted folder against its PyTorch reference (parity/)')
    .action(async (folder: string) => {
      process.stdout.write(`${JSON.stringify(await verifyCoreML(folder), null, 2)}\n`);
    });
  cmd
    .command('inspect <package>')
    .description('Describe a .mlpackage from its spec (I/O, states, metadata, op and weight types)')
    .action(async (pkg: string) => {
      process.stdout.write(`${JSON.stringify(await inspectPackage(pkg), null, 2)}\n`);
    });
}
