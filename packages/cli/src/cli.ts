#!/usr/bin/env node
import { Command } from 'commander';
import { registerChatCommand } from './commands/chat.js';
import { registerClassifyCommand } from './commands/classify.js';
import { registerConvertCommand } from './commands/convert.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerModelsCommand } from './commands/models.js';
import { registerPullCommand } from './commands/pull.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSpeakCommand } from './commands/speak.js';
import { registerTranscribeCommand } from './commands/transcribe.js';
import { EXIT, exitCodeFor, formatError } from './exit-codes.js';

const program = new Command('llama-pajamas')
  .description(
    'On-device multi-modal inference: detection, classification, embeddings, speech-to-text, text-to-speech and chat.',
  )
  .showHelpAfterError()
  // Usage mistakes exit 2 (help and --version exit 0); the exit codes are listed in docs/cli.md.
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

registerServeCommand(program);
registerPullCommand(program);
registerModelsCommand(program);
registerDetectCommand(program);
registerClassifyCommand(program);
registerEmbedCommand(program);
registerTranscribeCommand(program);
registerSpeakCommand(program);
registerChatCommand(program);
registerConvertCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(formatError(e));
  process.exit(exitCodeFor(e));
});
