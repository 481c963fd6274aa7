import {
  findCachedDefaults,
  resolveHubConfig,
  resolveModelRef,
  type CachedDefault,
  type HubConfig,
  type ModelDtype,
  type ResolvedModel,
} from '@llama-pajamas/models';
import { formatBytes } from './exit-codes.js';

/** How the cli turns model references into paths; built once per command from the environment. */
export interface CliModelResolver {
  readonly hub: HubConfig;
  /** `hf:org/name@rev`, a catalog name or a path → the local path a loader opens (pulling unless offline). */
  resolve(ref: string, options?: { dtype?: ModelDtype }): Promise<ResolvedModel>;
  /** Each task's catalog default: cached (with its path) or missing (with the pull command). */
  defaults(): Promise<CachedDefault[]>;
}

/**
 * The model resolver the cli composes for every command that takes a model (`serve --stt whisper-tiny.en`,
 * `transcribe --model hf:org/name`…): hub settings from `env` (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE),
 * one line per downloaded file on `log`.
 * @example
 * const models = createModelResolver(process.env);
 * const { path } = await models.resolve('whisper-tiny.en'); // …/models--Xenova--whisper-tiny.en/snapshots/ed72be82…
 */
export function createModelResolver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): CliModelResolver {
  const hub = resolveHubConfig(env);
  return {
    hub,
    resolve: (ref, options = {}) =>
      resolveModelRef(ref, {
        hub,
        dtype: options.dtype,
        onProgress: (e) => {
          if (e.done && !e.cached) log(`pulled ${e.path} (${formatBytes(e.total)})`);
        },
      }),
    defaults: () => findCachedDefaults({ hub }),
  };
}
