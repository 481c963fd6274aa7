import { createAudioEncoder } from '@llama-pajamas/run-server';
import { InvalidArgumentError, type Command } from 'commander';
import { extname } from 'node:path';
import { EXIT_CODES_HELP, withExitCodes } from '../exit-codes.js';
import { MODEL_HELP, numberOption, resolveTaskModel, writeOutput, choiceOption } from './one-shot.js';
import { addRuntimeOptions, loadForCommand, type RuntimeFlags } from './runtime-flags.js';

const FORMATS = ['wav', 'mp3', 'opus', 'flac', 'pcm'] as const;
type SpeakFormat = (typeof FORMATS)[number];

interface SpeakFlags extends RuntimeFlags {
  model?: string;
  output: string;
  format?: SpeakFormat;
  speaker?: string;
  speed?: number;
  json?: boolean;
}

const formatOption = choiceOption<SpeakFormat>(FORMATS);

/** Registers `llama-pajamas speak <text> -o out.wav`. */
export function registerSpeakCommand(program: Command): void {
  const cmd = program
    .command('speak')
    .argument('<text>', 'the text to say (use "-" to read it from stdin)')
    .description('Text to speech with a Piper voice, written to a file (nothing is played).')
    .requiredOption('-o, --output <file>', 'audio file to write ("-" for stdout)')
    .option('--format <format>', `${FORMATS.join(', ')} (default: from the file extension, else wav)`, formatOption)
    .option('--model <ref>', MODEL_HELP)
    .option('--speaker <id>', 'speaker name or number of a multi-speaker voice')
    .option('--speed <n>', 'speaking rate, 0.25-4 (default 1)', numberOption('speed', 0.25, 4))
    .option('--json', 'print {"file","format","seconds","sampleRate"} after writing')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas speak "Hello there." -o hello.wav                # default voice (piper-en_US-joe-medium)
  echo "Long text…" | llama-pajamas speak - -o out.mp3 --speed 1.2
  llama-pajamas speak "Bonjour" --model ./fr_FR-siwis-medium.onnx -o bonjour.opus${EXIT_CODES_HELP}`,
    );
  addRuntimeOptions(cmd).action(
    withExitCodes(cmd, async (text: string, flags: SpeakFlags) => {
      const input = text === '-' ? await readStdin() : text;
      if (input.trim() === '') throw new InvalidArgumentError('Nothing to say: the text is empty.');
      const ext = extname(flags.output).slice(1).toLowerCase();
      const format: SpeakFormat =
        flags.format ?? ((FORMATS as readonly string[]).includes(ext) ? (ext as SpeakFormat) : 'wav');
      const model = await resolveTaskModel('tts', flags.model, undefined);
      const tts = await loadForCommand('tts', model.path, {}, flags);
      try {
        const speaker =
          flags.speaker === undefined ? undefined : /^\d+$/.test(flags.speaker) ? Number(flags.speaker) : flags.speaker;
        const speech = await tts.synthesize(input, { speaker, speed: flags.speed });
        const encoder = await createAudioEncoder(format, speech.sampleRate);
        const parts = [await encoder.push(speech.samples), await encoder.end()];
        await writeOutput(flags.output, Buffer.concat(parts));
        if (flags.json) {
          const seconds = speech.samples.length / speech.sampleRate;
          process.stdout.write(
            `${JSON.stringify({ file: flags.output, format, seconds, sampleRate: speech.sampleRate })}\n`,
          );
        }
      } finally {
        await tts.unload();
      }
    }),
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
