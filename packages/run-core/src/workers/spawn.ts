import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerExitedError } from './errors.js';
import type { FromWorker, HostedInfo, HostedKind, WorkerLoadSpec } from './protocol.js';
import { fromWireError } from './wire.js';

/** Whether a URL or path names a TypeScript source (a source checkout run with the source condition). */
function isSource(url: string): boolean {
  try {
    return new URL(url).pathname.endsWith('.ts');
  } catch {
    return url.endsWith('.ts');
  }
}

/**
 * The URL of tsx's ESM API (its `import` export), from which a worker imports a TypeScript entry: on Node 20 the
 * `--import tsx` hooks do not reach a worker's own entry.
 */
function tsxApiUrl(): string {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('tsx/package.json');
    const exports = (require(manifest) as { exports: Record<string, { import?: { default?: string } }> }).exports;
    const file = exports['./esm/api']?.import?.default;
    if (file) return new URL(file, pathToFileURL(manifest)).href;
  } catch {
    // Not installed beside run-core: let the worker resolve it from the working directory.
  }
  return 'tsx/esm/api';
}

/**
 * The parent's Node options a worker can take: those of the process without the ones that only mean something for
 * a main script (`-e`/`--eval`, `-p`/`--print` and their code, `--input-type`), which a worker refuses.
 */
function inheritedExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (['-e', '--eval', '-p', '--print', '-pe'].includes(arg)) i++;
    else if (!/^--(input-type|eval|print)(=|$)/.test(arg)) out.push(arg);
  }
  return out;
}

/** Starts one worker and waits for its `ready` (or its loader's error, rebuilt). */
export function spawn(
  kind: HostedKind,
  spec: WorkerLoadSpec,
  execArgv: readonly string[] | undefined,
): Promise<{ worker: Worker; info: HostedInfo }> {
  const here = import.meta.url;
  const source = isSource(here) || isSource(spec.module);
  const entry = new URL(isSource(here) ? './worker-entry.ts' : './worker-entry.js', here).href;
  const workerData = { kind, spec };
  const worker = source
    ? new Worker(
        `import(${JSON.stringify(tsxApiUrl())}).then((m) => (m.tsImport ?? m.default.tsImport)(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`,
        { eval: true, workerData, execArgv: [...(execArgv ?? ['--conditions=@llama-pajamas/source'])] },
      )
    : new Worker(new URL(entry), { workerData, execArgv: [...(execArgv ?? inheritedExecArgv())] });
  return new Promise((resolve, reject) => {
    let uncaught: Error | undefined;
    const onError = (error: Error): void => {
      uncaught = error;
    };
    const onExit = (code: number): void => {
      worker.off('message', onMessage);
      reject(
        uncaught ??
          new WorkerExitedError({
            model: spec.path,
            threadId: worker.threadId,
            exitCode: code,
            reason: 'it ended while loading the model',
            inFlight: 0,
          }),
      );
    };
    const onMessage = (message: FromWorker): void => {
      if (message.type !== 'ready' && message.type !== 'load-error') return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (message.type === 'ready') resolve({ worker, info: message.info });
      else {
        void worker.terminate();
        reject(fromWireError(message.error));
      }
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
