import { catalogEntriesForRepo, CATALOG, type CatalogEntry, type ModelTask } from './catalog.js';
import { describeRepo, removeRepo, scanCache, type CachedRepo } from './cache.js';
import type { HubConfig } from './config.js';
import { LOCAL_NAMESPACE, localRepoId, readSourceRecord, type LocalModelRecord } from './local.js';
import { assertRepoId } from './cache.js';
import { UnknownModelError } from './errors.js';

/** A cached model as `llama-pajamas models list|info` shows it. */
export interface ModelInfo extends CachedRepo {
  /** Catalog names that use this repository. */
  readonly names: readonly string[];
  readonly tasks: readonly ModelTask[];
  /** From the catalog, or the local model's SOURCE.json; undefined when unknown. */
  readonly license: string | undefined;
  /** The local namespace's record of where the files came from. */
  readonly source: LocalModelRecord | undefined;
}

async function toInfo(repo: CachedRepo, catalog: readonly CatalogEntry[]): Promise<ModelInfo> {
  const source = repo.repo.startsWith(`${LOCAL_NAMESPACE}/`) ? await readSourceRecord(repo.path) : undefined;
  const entries = source ? catalog.filter((e) => e.name === source.name) : catalogEntriesForRepo(repo.repo, catalog);
  const license = source?.source.license ?? [...new Set(entries.map((e) => e.license))].join(', ');
  return {
    ...repo,
    names: entries.map((e) => e.name),
    tasks: [...new Set(entries.map((e) => e.task))],
    license: license || undefined,
    source,
  };
}

/** Every model in the cache with its size, revisions, tasks and license. */
export async function listModels(hub: Pick<HubConfig, 'cacheDir'>, catalog = CATALOG): Promise<ModelInfo[]> {
  return Promise.all((await scanCache(hub.cacheDir)).map((r) => toInfo(r, catalog)));
}

/** The cache repository a user's name stands for: a repo id, a catalog name, or a local model name. */
export function repoForName(name: string, catalog = CATALOG): string {
  const ref = name.startsWith('hf:') ? name.slice(3).split('@')[0]! : name;
  const entry = catalog.find((e) => e.name === ref);
  if (entry) return entry.repo;
  if (ref.includes('/')) {
    assertRepoId(ref);
    return ref;
  }
  return localRepoId(ref);
}

/** One model's details, or an {@link UnknownModelError} when the cache does not hold it. */
export async function modelInfo(name: string, hub: Pick<HubConfig, 'cacheDir'>, catalog = CATALOG): Promise<ModelInfo> {
  const candidates = [repoForName(name, catalog)];
  if (catalog.some((e) => e.name === name)) candidates.push(localRepoId(name));
  for (const repo of candidates) {
    const described = await describeRepo(hub.cacheDir, repo);
    if (described.snapshots.length > 0 || described.size > 0) return toInfo(described, catalog);
  }
  throw new UnknownModelError({ ref: name, known: (await listModels(hub, catalog)).map((m) => m.repo) });
}

/**
 * Removes a model from the cache by repo id, catalog name or local name (a catalog name removes both its hub
 * copy and its local stand-in). Returns the repositories removed.
 */
export async function removeModel(
  name: string,
  hub: Pick<HubConfig, 'cacheDir'>,
  catalog = CATALOG,
): Promise<string[]> {
  const candidates = [repoForName(name, catalog)];
  if (catalog.some((e) => e.name === name)) candidates.push(localRepoId(name));
  const removed: string[] = [];
  for (const repo of candidates) if (await removeRepo(hub.cacheDir, repo)) removed.push(repo);
  if (removed.length === 0) {
    throw new UnknownModelError({ ref: name, known: (await listModels(hub, catalog)).map((m) => m.repo) });
  }
  return removed;
}
