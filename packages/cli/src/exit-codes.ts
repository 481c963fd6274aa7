import type { Command } from 'commander';

/**
 * Exit codes of every `llama-pajamas` command (documented in docs/models.md and `--help`):
 * 0 ok, 1 any other failure, 2 usage (bad flags or arguments), 3 model missing (not cached while offline, unknown
 * name, or not on the hub), 4 network (hub unreachable, dropped, not a hub), 5 not authorised (gated/private: set
 * HF_TOKEN), 6 checksum mismatch, 7 disk full, 8 runtime unavailable (`--runtime coreml` off macOS, the CoreML
 * addon missing, no runtime that can start).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  modelMissing: 3,
  network: 4,
  unauthorized: 5,
  checksum: 6,
  diskFull: 7,
  runtimeUnavailable: 8,
} as const;

const BY_CODE: Readonly<Record<string, number>> = {
  ERR_RUN_MODELS_NOT_CACHED: EXIT.modelMissing,
  ERR_RUN_MODELS_UNKNOWN_MODEL: EXIT.modelMissing,
  ERR_RUN_MODELS_REPO_NOT_FOUND: EXIT.modelMissing,
  ERR_RUN_MODELS_REVISION_NOT_FOUND: EXIT.modelMissing,
  ERR_RUN_MODELS_ENTRY_NOT_FOUND: EXIT.modelMissing,
  ERR_RUN_MODEL_NOT_FOUND: EXIT.modelMissing,
  ERR_RUN_MODELS_INVALID_REF: EXIT.usage,
  ERR_RUN_INVALID_ARGUMENT: EXIT.usage,
  ERR_RUN_MODELS_NETWORK: EXIT.network,
  ERR_RUN_MODELS_HTTP: EXIT.network,
  ERR_RUN_MODELS_HUB_PROTOCOL: EXIT.network,
  ERR_RUN_MODELS_UNAUTHORIZED: EXIT.unauthorized,
  ERR_RUN_MODELS_CHECKSUM_MISMATCH: EXIT.checksum,
  ERR_RUN_MODELS_DISK_FULL: EXIT.diskFull,
  ERR_RUN_COREML_UNSUPPORTED_PLATFORM: EXIT.runtimeUnavailable,
  ERR_RUN_COREML_BINDING_NOT_FOUND: EXIT.runtimeUnavailable,
  ERR_RUN_BACKEND_NOT_FOUND: EXIT.runtimeUnavailable,
};

/** The exit code for an error thrown by a command (by its `code`, else 1). */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return EXIT.failure;
  if (code.startsWith('commander.')) return EXIT.usage; // InvalidArgumentError thrown from an action
  return BY_CODE[code] ?? EXIT.failure;
}

/** What a cli user does about an error code, printed after the message (the message itself speaks of packages). */
const CLI_HINTS: Readonly<Record<string, string>> = {
  ERR_RUN_COREML_UNSUPPORTED_PLATFORM:
    'With llama-pajamas: use --runtime onnx, or --runtime auto (CoreML only where it runs).',
  ERR_RUN_COREML_BINDING_NOT_FOUND: 'With llama-pajamas: use --runtime onnx until the CoreML addon is installed.',
};

/** The `llama-pajamas: <message>` line(s) printed for an error, with the cli hint for its code if there is one. */
export function formatError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const hint = CLI_HINTS[String((error as { code?: unknown } | null)?.code)];
  return `llama-pajamas: ${message}\n${hint ? `${hint}\n` : ''}`;
}

/** Help text listing the exit codes, for `addHelpText('after', …)`. */
export const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 failure, 2 usage, 3 model missing, 4 network, 5 not authorised (set HF_TOKEN),
6 checksum mismatch, 7 disk full, 8 runtime unavailable (e.g. --runtime coreml off macOS).
`;

/**
 * Wraps a command action: an error is printed as `llama-pajamas: <message>` on stderr and the process exits with
 * {@link exitCodeFor}; commander's own usage errors exit 2 (help exits 0).
 */
export function withExitCodes<A extends unknown[]>(
  command: Command,
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  command.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      process.stderr.write(formatError(e));
      process.exit(exitCodeFor(e));
    }
  };
}

/** `1.5 MB`-style sizes (SI units, as the hub shows them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
