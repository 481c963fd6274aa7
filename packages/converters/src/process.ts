import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RunError } from '@llama-pajamas/run-core';

/** What a finished child process left behind. */
export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last ~16 KB of stderr. */
  stderr: string;
}

const TAIL = 16_384;

/**
 * Runs a command, handing each stdout line to `onLine`; kills it (and rejects with ERR_RUN_ABORTED /
 * ERR_RUN_TIMEOUT) on `signal` or after `timeoutMs`.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: {
    onLine?: (line: string) => void;
    onStderr?: (line: string) => void;
    signal?: AbortSignal;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
  } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new RunError('ERR_RUN_ABORTED', `Aborted before starting ${command}.`));
      return;
    }
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    let stderr = '';
    let stopped: RunError | undefined;
    const stop = (err: RunError): void => {
      stopped ??= err;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    };
    const onAbort = (): void => stop(new RunError('ERR_RUN_ABORTED', `Aborted: ${command} was stopped.`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              stop(
                new RunError(
                  'ERR_RUN_TIMEOUT',
                  `${command} ran past its ${options.timeoutMs} ms limit and was stopped.`,
                  {
                    details: { timeoutMs: options.timeoutMs },
                  },
                ),
              ),
            options.timeoutMs,
          );
    createInterface({ input: child.stdout }).on('line', (line) => options.onLine?.(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr = (stderr + line + '\n').slice(-TAIL);
      options.onStderr?.(line);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (exitCode, sig) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stopped) reject(stopped);
      else resolve({ exitCode, signal: sig, stderr });
    });
  });
}
