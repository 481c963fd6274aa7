#!/usr/bin/env node
import { Command } from 'commander';
import { registerChatCommand } from './commands/chat.js';
import { registerServeCommand } from './commands/serve.js';

const program = new Command('llama-pajamas')
  .description(
    'On-device multi-modal inference: detection, classification, embeddings, speech-to-text and text-to-speech.',
  )
  .showHelpAfterError();

registerServeCommand(program);
registerChatCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`llama-pajamas: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
