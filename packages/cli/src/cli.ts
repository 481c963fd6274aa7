#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { registerConvertCommand } from './commands/convert.js';
import {
  parseModelSpec,
  readConfigFile,
  startServer,
  type ModelSpec,
  type ServeConfig,
  type ServeTask,
} from './serve.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function collect(task: ServeTask) {
  return (value: string, previous: ModelSpec[] = []): ModelSpec[] => [...previous, parseModelSpec(task, value)];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('Expected a port number 0-65535.');
  return n;
}

interface ServeFlags {
  detect?: ModelSpec[];
  classify?: ModelSpec[];
  embed?: ModelSpec[];
  stt?: ModelSpec[];
  tts?: ModelSpec[];
  host?: string;
  port?: number;
  apiKey?: string;
  allowUrlImages?: boolean;
  config?: string;
  logLevel?: string;
  concurrency?: number;
  maxQueue?: number;
}

const program = new Command('llama-pajamas')
  .description(
    'On-device multi-modal inference: detection, classification, embeddings, speech-to-text and text-to-speech.',
  )
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'Load models and serve them over an OpenAI-compatible HTTP API. Repeat a flag to serve several models for a task; the first is the default, a request picks another with "model".',
  )
  .option('--detect <model>', 'object detection model ([name=]path)', collect('detect'))
  .option('--classify <model>', 'image classification model ([name=]path)', collect('classify'))
  .option('--embed <model>', 'image/text embedding model, e.g. CLIP ([name=]path)', collect('embed'))
  .option('--stt <model>', 'speech-to-text model, e.g. a Whisper folder ([name=]path)', collect('stt'))
  .option('--tts <model>', 'text-to-speech voice, e.g. a Piper .onnx ([name=]path)', collect('tts'))
  .option('--host <host>', 'address to listen on (env LLAMA_PAJAMAS_HOST)', undefined)
  .option('--port <port>', 'port to listen on, 0 = any free port (env LLAMA_PAJAMAS_PORT)', port)
  .option('--api-key <key>', 'require Authorization: Bearer <key> (env LLAMA_PAJAMAS_API_KEY)')
  .option('--allow-url-images', 'fetch http(s) image URLs (public addresses only)')
  .option('--concurrency <n>', 'requests run at once per model', (v) => Number(v))
  .option('--max-queue <n>', 'requests waiting per model before 429', (v) => Number(v))
  .option('--log-level <level>', 'request log level (silent, info, debug…)', 'warn')
  .option('--config <file>', 'JSON config file (flags win)')
  .action(async (flags: ServeFlags) => {
    const file: ServeConfig = flags.config ? await readConfigFile(flags.config) : { models: [] };
    const env = process.env;
    const models = [
      ...(flags.detect ?? []),
      ...(flags.classify ?? []),
      ...(flags.embed ?? []),
      ...(flags.stt ?? []),
      ...(flags.tts ?? []),
    ];
    const config: ServeConfig = {
      ...file,
      models: models.length > 0 ? models : file.models,
      host: flags.host ?? file.host ?? env.LLAMA_PAJAMAS_HOST ?? '127.0.0.1',
      port: flags.port ?? file.port ?? (env.LLAMA_PAJAMAS_PORT ? port(env.LLAMA_PAJAMAS_PORT) : 8000),
      apiKey: flags.apiKey ?? file.apiKey ?? env.LLAMA_PAJAMAS_API_KEY,
      allowUrlImages: flags.allowUrlImages ?? file.allowUrlImages ?? false,
      logLevel: flags.logLevel ?? file.logLevel,
      server: {
        ...file.server,
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        ...(flags.maxQueue !== undefined ? { maxQueue: flags.maxQueue } : {}),
      },
    };
    const server = await startServer(config, out);
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) {
        out(`${signal} again: exiting now.`);
        process.exit(1);
      }
      closing = true;
      out(`${signal}: finishing in-flight requests…`);
      server.close().then(
        () => {
          out('stopped.');
          process.exit(0);
        },
        (e: unknown) => {
          process.stderr.write(`error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

registerConvertCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`llama-pajamas: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
