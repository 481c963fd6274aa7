import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_CODES_HELP, withExitCodes } from '../exit-codes.js';
import { dtypeOption, MODEL_HELP, readInput, resolveTaskModel, writeOutput } from './one-shot.js';
import { addRuntimeOptions, loadForCommand, type RuntimeFlags } from './runtime-flags.js';

interface EmbedFlags extends RuntimeFlags {
  model?: string;
  dtype?: 'fp32' | 'fp16' | 'int8';
  text?: string;
  json?: boolean;
}

/** Registers `llama-pajamas embed [image|URL] [--text …]`. */
export function registerEmbedCommand(program: Command): void {
  const cmd = program
    .command('embed')
    .argument('[image]', 'an image file or an http(s) URL (or use --text)')
    .description('Embed an image or a text (CLIP): the vector, space-separated on one line, or JSON.')
    .option('--text <text>', 'embed this text instead of an image (CLIP-style models)')
    .option('--model <ref>', MODEL_HELP)
    .option('--dtype <dtype>', 'weights precision of a catalog or hub model (fp32, fp16, int8)', dtypeOption)
    .option('--json', 'print {"model","dimensions","normalized","source","embedding":[…]}')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas embed photo.jpg --json > photo.json             # default model (clip-vit-b32)
  llama-pajamas embed --text "a photo of a dog" --model hf:Xenova/clip-vit-base-patch32${EXIT_CODES_HELP}`,
    );
  addRuntimeOptions(cmd).action(
    withExitCodes(cmd, async (image: string | undefined, flags: EmbedFlags) => {
      if ((image === undefined) === (flags.text === undefined)) {
        throw new InvalidArgumentError('Give either an image (file or URL) or --text "…", not both and not neither.');
      }
      const input = flags.text !== undefined ? { text: flags.text } : await readInput(image!);
      const model = await resolveTaskModel('embed', flags.model, flags.dtype);
      const backend = await loadForCommand('vision', model.path, { task: 'embed', modelId: model.name }, flags);
      try {
        const result = await backend.embed(input);
        const values = Array.from(result.embedding);
        if (flags.json) {
          const body = {
            model: model.name,
            dimensions: values.length,
            normalized: result.normalized,
            source: result.source,
            embedding: values,
          };
          await writeOutput(undefined, `${JSON.stringify(body)}\n`);
          return;
        }
        await writeOutput(undefined, `${values.map((v) => v.toPrecision(6)).join(' ')}\n`);
      } finally {
        await backend.unload();
      }
    }),
  );
}
