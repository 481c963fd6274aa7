#!/usr/bin/env node
import { Command } from 'commander';
import { registerChatCommand } from './commands/chat.js';
import { EXIT_CODES, exitCodeOf } from './commands/one-shot.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSpeakCommand, registerTranscribeCommand } from './commands/speech.js';
import { registerClassifyCommand, registerDetectCommand, registerEmbedCommand } from './commands/vision.js';

const program = new Command('llama-pajamas')
  .description(
    'On-device multi-modal inference: detection, classification, embeddings, speech-to-text and text-to-speech.',
  )
  .showHelpAfterError()
  // Usage mistakes exit 2 (help and --version exit 0); the exit codes are listed in docs/cli.md.
  .exitOverride((err) => {
    process.exit(
      err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? 0
        : EXIT_CODES.usage,
    );
  });

registerServeCommand(program);
registerDetectCommand(program);
registerClassifyCommand(program);
registerEmbedCommand(program);
registerTranscribeCommand(program);
registerSpeakCommand(program);
registerChatCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`llama-pajamas: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(exitCodeOf(e));
});
