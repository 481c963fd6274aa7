import type { Command } from 'commander';
import {
  COMPUTE_UNITS,
  loadOnRuntime,
  pickRuntime,
  RUNTIME_CHOICES,
  type ComputeUnits,
  type RuntimeBackendOf,
  type RuntimeChoice,
  type RuntimeModelKind,
} from '../runtime.js';
import { choiceOption } from './one-shot.js';

/** The `--runtime` and `--compute-units` flags as commander gives them. */
export interface RuntimeFlags {
  runtime?: RuntimeChoice;
  computeUnits?: ComputeUnits;
}

/** Adds `--runtime auto|coreml|onnx` and `--compute-units <units>` to a command (serve and the one-shot commands). */
export function addRuntimeOptions(command: Command): Command {
  return command
    .option(
      '--runtime <runtime>',
      'image/speech runtime: auto (CoreML where it runs and the model has a CoreML file), coreml, onnx',
      choiceOption(RUNTIME_CHOICES),
    )
    .option('--compute-units <u>', `CoreML compute units: ${COMPUTE_UNITS.join(', ')}`, choiceOption(COMPUTE_UNITS));
}

/**
 * Loads the model of a one-shot command on the runtime its flags pick (`auto` when none); `--runtime coreml` off
 * macOS rejects with `ERR_RUN_COREML_UNSUPPORTED_PLATFORM` (exit code 8).
 */
export async function loadForCommand<K extends RuntimeModelKind>(
  kind: K,
  path: string,
  options: Record<string, unknown>,
  flags: RuntimeFlags,
): Promise<RuntimeBackendOf[K]> {
  const runtime = await pickRuntime(flags.runtime ?? 'auto', path);
  const loaded = await loadOnRuntime(kind, path, options, runtime, {
    ...(flags.computeUnits ? { computeUnits: flags.computeUnits } : {}),
  });
  return loaded.backend;
}
