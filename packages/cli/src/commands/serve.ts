import { InvalidArgumentError, Option, type Command } from 'commander';
import { addRuntimeOptions, type RuntimeFlags } from './runtime-flags.js';
import { SERVE_FLAGS } from '@llama-pajamas/run-server';
import {
  parseModelSpec,
  readConfigFile,
  startServer,
  type ModelSpec,
  type ServeConfig,
  type ServeTask,
} from '../serve.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function collect(task: ServeTask) {
  return (value: string, previous: ModelSpec[] = []): ModelSpec[] => [...previous, parseModelSpec(task, value)];
}

/** Parses a `--workers`/`--threads` value: an integer from `min` to 64. */
function countOption(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > 64) throw new InvalidArgumentError(`Expected an integer ${min}-64.`);
    return n;
  };
}

/** Parses a `--port` value (0-65535). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('Expected a port number 0-65535.');
  return n;
}

interface ServeFlags extends RuntimeFlags {
  host?: string;
  port?: number;
  apiKey?: string;
  allowUrlImages?: boolean;
  config?: string;
  logLevel?: string;
  concurrency?: number;
  maxQueue?: number;
  workers?: number;
  threads?: number;
  playground?: boolean;
}

/**
 * Registers `llama-pajamas serve`: one `--<flag> [name=]path` option per serve flag of run-server's task table
 * (`--detect`, `--classify`, `--embed`, `--stt`, `--tts`…), plus the server options.
 */
export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description(
      'Load models and serve them over an OpenAI-compatible HTTP API. Repeat a flag to serve several models for a task; the first is the default, a request picks another with "model".',
    );
  const modelOptions = SERVE_FLAGS.map((f) => {
    const option = new Option(`--${f.flag} <model>`, f.help).argParser(collect(f.flag));
    command.addOption(option);
    return option.attributeName();
  });
  addRuntimeOptions(command)
    .option('--host <host>', 'address to listen on (env LLAMA_PAJAMAS_HOST)', undefined)
    .option('--port <port>', 'port to listen on, 0 = any free port (env LLAMA_PAJAMAS_PORT)', parsePort)
    .option('--api-key <key>', 'require Authorization: Bearer <key> (env LLAMA_PAJAMAS_API_KEY)')
    .option('--allow-url-images', 'fetch http(s) image URLs (public addresses only)')
    .option('--concurrency <n>', 'requests run at once per model', (v) => Number(v))
    .option('--max-queue <n>', 'requests waiting per model before 429', (v) => Number(v))
    .option(
      '--workers <n>',
      'worker threads per image/speech model, each with its own copy (0 = in-process)',
      countOption(0),
    )
    .option('--threads <n>', 'intra-op threads per ONNX session (per worker with --workers)', countOption(1))
    .option('--log-level <level>', 'request log level (silent, info, debug…)', 'warn')
    .option('--config <file>', 'JSON config file (flags win)')
    .option('--no-playground', 'do not serve the web playground at / and /playground')
    .action(async (flags: ServeFlags & Record<string, unknown>) => {
      const file: ServeConfig = flags.config ? await readConfigFile(flags.config) : { models: [] };
      const env = process.env;
      const models = modelOptions.flatMap((name) => (flags[name] as ModelSpec[] | undefined) ?? []);
      const config: ServeConfig = {
        ...file,
        models: models.length > 0 ? models : file.models,
        host: flags.host ?? file.host ?? env.LLAMA_PAJAMAS_HOST ?? '127.0.0.1',
        port: flags.port ?? file.port ?? (env.LLAMA_PAJAMAS_PORT ? parsePort(env.LLAMA_PAJAMAS_PORT) : 8000),
        apiKey: flags.apiKey ?? file.apiKey ?? env.LLAMA_PAJAMAS_API_KEY,
        allowUrlImages: flags.allowUrlImages ?? file.allowUrlImages ?? false,
        logLevel: flags.logLevel ?? file.logLevel,
        playground: flags.playground === false ? false : (file.playground ?? true),
        runtime: flags.runtime ?? file.runtime ?? 'auto',
        ...((flags.workers ?? file.workers) !== undefined ? { workers: flags.workers ?? file.workers } : {}),
        ...((flags.threads ?? file.threads) !== undefined ? { threads: flags.threads ?? file.threads } : {}),
        ...((flags.computeUnits ?? file.computeUnits) ? { computeUnits: flags.computeUnits ?? file.computeUnits } : {}),
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
}
