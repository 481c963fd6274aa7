import type { Command } from 'commander';
import { EXIT_CODES_HELP, withExitCodes } from '../exit-codes.js';
import { dtypeOption, MODEL_HELP, numberOption, readInput, resolveTaskModel, writeOutput } from './one-shot.js';
import { addRuntimeOptions, loadForCommand, type RuntimeFlags } from './runtime-flags.js';

interface ClassifyFlags extends RuntimeFlags {
  model?: string;
  dtype?: 'fp32' | 'fp16' | 'int8';
  topK?: number;
  labels?: string;
  json?: boolean;
}

/** Registers `llama-pajamas classify <image|URL>`. */
export function registerClassifyCommand(program: Command): void {
  const cmd = program
    .command('classify')
    .argument('<image>', 'an image file or an http(s) URL')
    .description('Name what an image shows: the top classes with their scores, one per line.')
    .option('--model <ref>', MODEL_HELP)
    .option('--dtype <dtype>', 'weights precision of a catalog or hub model (fp32, fp16, int8)', dtypeOption)
    .option('--top-k <n>', 'how many classes (default 5)', numberOption('top-k', 1, 1000))
    .option('--labels <list>', 'zero-shot: comma-separated candidate labels (CLIP models)')
    .option('--json', 'print the full result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas classify cat.jpg                                  # default model (mobilenetv2)
  llama-pajamas classify cat.jpg --top-k 1 --json
  llama-pajamas classify cat.jpg --model clip-vit-b32 --labels "a cat,a dog,a car"${EXIT_CODES_HELP}`,
    );
  addRuntimeOptions(cmd).action(
    withExitCodes(cmd, async (image: string, flags: ClassifyFlags) => {
      const bytes = await readInput(image);
      const labels = flags.labels
        ?.split(',')
        .map((l) => l.trim())
        .filter(Boolean);
      const model = await resolveTaskModel(labels ? 'embed' : 'classify', flags.model, flags.dtype);
      const backend = await loadForCommand('vision', model.path, { task: 'classify', modelId: model.name }, flags);
      try {
        const result = await backend.classify(bytes, { topK: flags.topK ?? 5, ...(labels ? { labels } : {}) });
        if (flags.json) {
          await writeOutput(undefined, `${JSON.stringify({ model: model.name, ...result }, null, 2)}\n`);
          return;
        }
        await writeOutput(undefined, result.predictions.map((p) => `${p.label} ${p.score.toFixed(4)}\n`).join(''));
      } finally {
        await backend.unload();
      }
    }),
  );
}
