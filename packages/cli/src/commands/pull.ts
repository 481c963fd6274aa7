import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import {
  MODEL_DTYPES,
  catalogEntryPath,
  findCatalogEntry,
  InvalidModelRefError,
  pull,
  resolveHubConfig,
  type ModelDtype,
  type PullProgress,
  type PullResult,
} from '@llama-pajamas/models';
import { EXIT_CODES_HELP, formatBytes, withExitCodes } from '../exit-codes.js';
import { dtypeOption } from './one-shot.js';

interface PullFlags {
  include?: string[];
  dtype?: ModelDtype;
  revision?: string;
  json?: boolean;
  quiet?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Shows download progress: bars on a TTY, a plain line per file (and per quarter of a big file) otherwise. */
function progressReporter(quiet: boolean): { onProgress: (e: PullProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bars = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        format: ' {bar} {percentage}% | {file} | {done}/{size}',
        hideCursor: true,
        clearOnComplete: false,
        formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? formatBytes(v) : String(v)),
      },
      cliProgress.Presets.shades_classic,
    );
    const active = new Map<string, cliProgress.SingleBar>();
    return {
      onProgress: (e) => {
        let bar = active.get(e.path);
        const payload = { file: e.path, done: formatBytes(e.downloaded), size: formatBytes(e.total) };
        if (!bar) {
          bar = bars.create(Math.max(e.total, 1), e.downloaded, payload);
          active.set(e.path, bar);
        }
        bar.update(e.done ? Math.max(e.total, 1) : e.downloaded, payload);
      },
      stop: () => bars.stop(),
    };
  }
  const lastQuarter = new Map<string, number>();
  return {
    onProgress: (e) => {
      const line = (s: string): boolean => process.stderr.write(`${s}\n`);
      if (e.done) {
        line(`[${e.index + 1}/${e.count}] ${e.path} ${formatBytes(e.total)}${e.cached ? ' (cached)' : ''}`);
        return;
      }
      const quarter = Math.floor((e.downloaded / Math.max(e.total, 1)) * 4);
      if (e.total >= 10_000_000 && quarter > (lastQuarter.get(e.path) ?? 0) && quarter < 4) {
        lastQuarter.set(e.path, quarter);
        line(`[${e.index + 1}/${e.count}] ${e.path} ${quarter * 25}% of ${formatBytes(e.total)}`);
      }
    },
    stop: () => undefined,
  };
}

/** Parses `org/name[@revision]` (or `hf:org/name[@revision]`). */
function parseRepoArg(arg: string): { repo: string; revision?: string } {
  const body = arg.startsWith('hf:') ? arg.slice(3) : arg;
  const at = body.indexOf('@');
  return at < 0 ? { repo: body } : { repo: body.slice(0, at), revision: body.slice(at + 1) };
}

function summary(r: PullResult, loaderPath: string): string {
  const secs = r.ms / 1000;
  const rate = r.bytesDownloaded > 0 && secs > 0 ? `, ${formatBytes(Math.round(r.bytesDownloaded / secs))}/s` : '';
  const total = r.files.reduce((n, f) => n + f.size, 0);
  return (
    `pulled ${r.repo}@${r.revision} (commit ${r.commit.slice(0, 7)}): ${r.files.length} files, ${formatBytes(total)}; ` +
    `downloaded ${formatBytes(r.bytesDownloaded)} in ${secs.toFixed(1)} s${rate}${r.offline ? ' (offline: from the cache)' : ''}\n` +
    `${loaderPath}`
  );
}

/** Registers `llama-pajamas pull <org/name[@revision]|catalog name>`. */
export function registerPullCommand(program: Command): void {
  const cmd = program
    .command('pull')
    .argument('<model>', 'a catalog name (whisper-tiny.en), or a hub repository org/name[@revision]')
    .description(
      'Download a model into the Hugging Face cache (shared with Python tools). Only the files one dtype needs are fetched; interrupted downloads resume.',
    )
    .option('--include <glob>', 'only files matching this glob (repeatable; hub repositories only)', collect)
    .option('--dtype <dtype>', `weights precision: ${MODEL_DTYPES.join(', ')}`, dtypeOption)
    .option('--revision <rev>', 'branch, tag or commit (default main; same as @rev)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas pull whisper-tiny.en                      # catalog name: its files, default dtype
  llama-pajamas pull whisper-tiny.en --dtype int8
  llama-pajamas pull onnx-community/silero-vad@main --include 'onnx/model.onnx'
  HF_HUB_CACHE=/data/hf llama-pajamas pull Xenova/vit-base-patch16-224 --dtype fp16

Environment: HF_ENDPOINT (hub or mirror), HF_TOKEN or HF_TOKEN_PATH (gated/private repos), HF_HUB_CACHE / HF_HOME
(cache folder, default ~/.cache/huggingface/hub), HF_HUB_OFFLINE=1 (use only the cache).
See \`llama-pajamas models list --catalog\` for the names.${EXIT_CODES_HELP}`,
    );
  cmd.action(
    withExitCodes(cmd, async (model: string, flags: PullFlags) => {
      const hub = resolveHubConfig(process.env);
      const entry = findCatalogEntry(model);
      const progress = progressReporter(flags.quiet === true || flags.json === true);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort(new Error('interrupted (the partial file is kept and resumes)')));
      let result: PullResult;
      let loaderPath: string;
      try {
        if (entry && !model.includes('/')) {
          if (flags.include) {
            throw new InvalidModelRefError({
              ref: `${model} --include`,
              expected: 'a hub repository (org/name) with --include',
            });
          }
          const dtype = flags.dtype ?? entry.defaultDtype;
          const files = entry.dtypes[dtype]?.files;
          if (!files) {
            throw new InvalidModelRefError({
              ref: `${model} --dtype ${dtype}`,
              expected: `one of the dtypes ${model} has (${Object.keys(entry.dtypes).join(', ')})`,
            });
          }
          result = await pull(entry.repo, {
            revision: flags.revision ?? entry.revision,
            files,
            hub,
            onProgress: progress.onProgress,
            signal: controller.signal,
            pullCommand: `llama-pajamas pull ${model}${flags.dtype ? ` --dtype ${flags.dtype}` : ''}`,
          });
          const inner = catalogEntryPath(entry, dtype);
          loaderPath = inner ? `${result.snapshotDir}/${inner}` : result.snapshotDir;
        } else {
          const { repo, revision } = parseRepoArg(model);
          result = await pull(repo, {
            revision: flags.revision ?? revision,
            include: flags.include,
            dtype: flags.dtype,
            hub,
            onProgress: progress.onProgress,
            signal: controller.signal,
          });
          loaderPath = result.snapshotDir;
        }
      } finally {
        progress.stop();
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...result, path: loaderPath, name: entry?.name }, null, 2)}\n`);
      } else {
        process.stdout.write(`${summary(result, loaderPath)}\n`);
      }
    }),
  );
}
