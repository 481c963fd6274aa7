import { createInterface } from 'node:readline/promises';
import { resolve as resolvePath } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { isRunError, type ChatMessage, type LLMBackend } from '@llama-pajamas/run-core';
import { loadLlamaModel } from '@llama-pajamas/run-llama';

interface ChatFlags {
  model: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
  contextSize?: number;
  threads?: number;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`Expected a positive integer for ${name}.`);
    return n;
  };
}

function temperature(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 2)) throw new InvalidArgumentError('Expected a number in [0, 2].');
  return n;
}

/** Streams one answer to `write`; returns the whole text. */
async function answer(
  llm: LLMBackend,
  messages: ChatMessage[],
  flags: ChatFlags,
  write: (s: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  let text = '';
  for await (const d of llm.chatStream(messages, {
    ...(flags.maxTokens === undefined ? {} : { maxTokens: flags.maxTokens }),
    ...(flags.temperature === undefined ? {} : { temperature: flags.temperature }),
    ...(signal ? { signal } : {}),
  })) {
    if (d.type === 'text') {
      text += d.text;
      write(d.text);
    }
  }
  write('\n');
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/**
 * Registers `llama-pajamas chat --model x.gguf ["question"]`: one answer, streamed to stdout; with no question on
 * a terminal, an interactive conversation (empty line or Ctrl-D ends it); with no question and piped stdin, stdin
 * is the question.
 */
export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('Chat with a GGUF model: one-shot with a question, interactive on a terminal without one.')
    .argument('[question...]', 'the question (one-shot); omit it for an interactive chat')
    .requiredOption('--model <path>', 'chat model, a GGUF file')
    .option('--system <text>', 'system prompt')
    .option('--max-tokens <n>', 'most tokens per answer', positiveInt('--max-tokens'))
    .option('--temperature <t>', 'sampling temperature, 0 = greedy (default 0)', temperature)
    .option('--context-size <n>', 'context tokens (default: the model’s, at most 4096)', positiveInt('--context-size'))
    .option('--threads <n>', 'CPU threads (default 1)', positiveInt('--threads'))
    .action(async (words: string[], flags: ChatFlags) => {
      const llm = await loadLlamaModel(resolvePath(flags.model), {
        parallel: 1,
        ...(flags.contextSize === undefined ? {} : { contextSize: flags.contextSize }),
        ...(flags.threads === undefined ? {} : { threads: flags.threads }),
      });
      const write = (s: string): void => {
        process.stdout.write(s);
      };
      const history: ChatMessage[] = flags.system ? [{ role: 'system', content: flags.system }] : [];
      try {
        let question = words.join(' ').trim();
        if (question === '' && !process.stdin.isTTY) question = await readStdin();
        if (question !== '') {
          await answer(llm, [...history, { role: 'user', content: question }], flags, write);
          return;
        }
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        process.stdout.write(`Chatting with ${llm.modelId} (${llm.contextSize} tokens). Empty line or Ctrl-D ends.\n`);
        try {
          for (;;) {
            const line = (await rl.question('> ').catch(() => '')).trim();
            if (line === '') break;
            history.push({ role: 'user', content: line });
            const controller = new AbortController();
            const onSigint = (): void => controller.abort();
            rl.once('SIGINT', onSigint);
            try {
              const text = await answer(llm, history, flags, write, controller.signal);
              history.push({ role: 'assistant', content: text });
            } catch (e) {
              if (!isRunError(e, 'ERR_RUN_ABORTED')) throw e;
              history.pop(); // Ctrl-C stops the answer; the question is dropped and the chat goes on
              write('\n[stopped]\n');
            } finally {
              rl.off('SIGINT', onSigint);
            }
          }
        } finally {
          rl.close();
        }
      } finally {
        await llm.unload();
      }
    });
}
