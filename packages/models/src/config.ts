import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where and how the model manager talks to the hub and keeps its cache. */
export interface HubConfig {
  /** Hub base URL, no trailing slash (`HF_ENDPOINT`, default `https://huggingface.co`). */
  readonly endpoint: string;
  /** Bearer token sent to the hub (never to the hosts it redirects to), or undefined. */
  readonly token: string | undefined;
  /** The Hugging Face hub cache folder (`HF_HUB_CACHE` > `HF_HOME/hub` > `~/.cache/huggingface/hub`). */
  readonly cacheDir: string;
  /** True when only the cache may be used (`HF_HUB_OFFLINE=1`). */
  readonly offline: boolean;
}

/** The environment variables {@link resolveHubConfig} reads (a `process.env`-like object). */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** The hub's public endpoint, used when `HF_ENDPOINT` is not set. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

const TRUE_VALUES = new Set(['1', 'on', 'yes', 'true']);

/**
 * Reads the hub settings the way Python `huggingface_hub` does, from an env-like object: `HF_ENDPOINT`,
 * `HF_TOKEN` (else the file at `HF_TOKEN_PATH`, default `HF_HOME/token`), `HF_HUB_CACHE` / `HF_HOME` /
 * `XDG_CACHE_HOME`, and `HF_HUB_OFFLINE`. The cli calls it with `process.env`; libraries pass their own object.
 * @example
 * resolveHubConfig({ HF_HOME: '/data/hf', HF_HUB_OFFLINE: '1' })
 * // { endpoint: 'https://huggingface.co', token: undefined, cacheDir: '/data/hf/hub', offline: true }
 */
export function resolveHubConfig(env: HubEnv = {}): HubConfig {
  const home = env.HOME ?? homedir();
  const hfHome = nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(home, '.cache'), 'huggingface');
  const cacheDir = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE) ?? join(hfHome, 'hub');
  const endpoint = (nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  let token = nonEmpty(env.HF_TOKEN)?.trim();
  if (token === undefined) {
    const tokenPath = nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome, 'token');
    try {
      token = nonEmpty(readFileSync(tokenPath, 'utf8').trim());
    } catch {
      token = undefined;
    }
  }
  const offline = TRUE_VALUES.has((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
  return { endpoint, token, cacheDir, offline };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
