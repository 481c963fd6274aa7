import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { assertRepoId, assertRevision } from './cache.js';
import { CATALOG, catalogEntryPath, findCatalogEntry, type CatalogEntry } from './catalog.js';
import { resolveHubConfig, type HubConfig } from './config.js';
import { InvalidModelRefError, ModelNotCachedError, UnknownModelError } from './errors.js';
import { findLocalModel } from './local.js';
import { pull, pullCommand, type PullOptions, type PullResult } from './pull.js';
import { MODEL_DTYPES, type ModelDtype } from './select-files.js';

/** A parsed model reference. */
export type ModelRef =
  | { readonly kind: 'hub'; readonly repo: string; readonly revision: string }
  | { readonly kind: 'catalog'; readonly name: string }
  | { readonly kind: 'path'; readonly path: string };

/**
 * Parses `hf:org/name[@revision]`, `org/name[@revision]` (only with `hf:`, to keep paths unambiguous), a catalog
 * name, or a filesystem path (anything else).
 * @example
 * parseModelRef('hf:onnx-community/whisper-base.en@main') // { kind: 'hub', repo: 'onnx-community/whisper-base.en', revision: 'main' }
 * parseModelRef('whisper-tiny.en') // { kind: 'catalog', name: 'whisper-tiny.en' }
 * parseModelRef('./models/yolox.onnx') // { kind: 'path', path: './models/yolox.onnx' }
 */
export function parseModelRef(ref: string, catalog: readonly CatalogEntry[] = CATALOG): ModelRef {
  if (ref.startsWith('hf:')) {
    const body = ref.slice(3);
    const at = body.indexOf('@');
    const repo = at < 0 ? body : body.slice(0, at);
    const revision = at < 0 ? 'main' : body.slice(at + 1);
    try {
      assertRepoId(repo);
      assertRevision(revision);
    } catch {
      throw new InvalidModelRefError({ ref, expected: 'hf:org/name or hf:org/name@revision' });
    }
    return { kind: 'hub', repo, revision };
  }
  if (findCatalogEntry(ref, catalog)) return { kind: 'catalog', name: ref };
  return { kind: 'path', path: ref };
}

/** Options of {@link resolveModelRef}. */
export interface ResolveModelOptions extends Pick<PullOptions, 'onProgress' | 'signal' | 'fetch' | 'include'> {
  /** Hub settings (the cli passes `resolveHubConfig(process.env)`). */
  hub?: HubConfig;
  /** Never download (also true when `hub.offline`): a missing model is a {@link ModelNotCachedError}. */
  offline?: boolean;
  /** The dtype to use; without it, a cached dtype (the entry's default first) or the default is pulled. */
  dtype?: ModelDtype;
  /** Folder that relative paths are resolved against (default `process.cwd()`). */
  cwd?: string;
  catalog?: readonly CatalogEntry[];
}

/** What {@link resolveModelRef} returns: the local path to hand to a loader, and where it came from. */
export interface ResolvedModel {
  /** Absolute path of the folder or file a loader opens. */
  readonly path: string;
  readonly ref: ModelRef;
  /** How it was found: an existing path, the hub cache, the local namespace, or a fresh download. */
  readonly via: 'path' | 'cache' | 'local' | 'pulled';
  readonly entry?: CatalogEntry;
  readonly dtype?: ModelDtype;
  readonly pull?: PullResult;
}

/**
 * Turns a model reference into a local path: a path is checked and returned; `hf:` and catalog references are
 * looked up in the Hugging Face cache (and the local namespace), pulled when missing and allowed, or rejected with
 * a {@link ModelNotCachedError} that names the exact `llama-pajamas pull …` command.
 * @example
 * const { path } = await resolveModelRef('whisper-tiny.en', { hub: resolveHubConfig(process.env) });
 * // path === '~/.cache/huggingface/hub/models--Xenova--whisper-tiny.en/snapshots/ed72be82…'
 */
export async function resolveModelRef(ref: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const catalog = options.catalog ?? CATALOG;
  const hub = options.hub ?? resolveHubConfig({});
  const offline = options.offline === true || hub.offline;
  const parsed = parseModelRef(ref, catalog);
  if (parsed.kind === 'path') return resolvePathRef(parsed, ref, options, catalog);
  if (parsed.kind === 'hub') {
    const pullOptions = {
      revision: parsed.revision,
      include: options.include,
      dtype: options.dtype,
      hub: offline ? { ...hub, offline: true } : hub,
      onProgress: options.onProgress,
      signal: options.signal,
      fetch: options.fetch,
    };
    // Try the cache first: a model that is there is used without asking the hub.
    const cached = await pull(parsed.repo, { ...pullOptions, hub: { ...hub, offline: true } }).catch(() => undefined);
    const result = cached ?? (await pull(parsed.repo, pullOptions));
    return {
      path: result.snapshotDir,
      ref: parsed,
      via: cached ? 'cache' : 'pulled',
      pull: result,
      dtype: options.dtype,
    };
  }
  const entry = findCatalogEntry(parsed.name, catalog)!;
  const dtypes = options.dtype ? [options.dtype] : orderedDtypes(entry);
  for (const dtype of dtypes) {
    const files = entry.dtypes[dtype]?.files;
    if (!files) {
      throw new InvalidModelRefError({
        ref: `${entry.name} --dtype ${dtype}`,
        expected: `one of the dtypes ${entry.name} has (${Object.keys(entry.dtypes).join(', ')})`,
      });
    }
    const cached = await pull(entry.repo, { revision: entry.revision, files, hub: { ...hub, offline: true } }).catch(
      () => undefined,
    );
    if (cached) return catalogResult(entry, dtype, cached, parsed, 'cache');
  }
  const local = await findLocalModel(entry.name, hub);
  if (local) return { path: local.path, ref: parsed, via: 'local', entry };
  const dtype = options.dtype ?? entry.defaultDtype;
  const command = `llama-pajamas pull ${entry.name}${options.dtype ? ` --dtype ${options.dtype}` : ''}`;
  if (offline) {
    throw new ModelNotCachedError({
      ref: entry.name,
      pullCommand: command,
      why: `no snapshot of ${entry.repo}@${entry.revision} with its ${dtype} files`,
    });
  }
  const pulled = await pull(entry.repo, {
    revision: entry.revision,
    files: entry.dtypes[dtype]!.files,
    hub,
    onProgress: options.onProgress,
    signal: options.signal,
    fetch: options.fetch,
  });
  return catalogResult(entry, dtype, pulled, parsed, 'pulled');
}

function orderedDtypes(entry: CatalogEntry): ModelDtype[] {
  return [entry.defaultDtype, ...MODEL_DTYPES.filter((d) => d !== entry.defaultDtype && entry.dtypes[d])];
}

function catalogResult(
  entry: CatalogEntry,
  dtype: ModelDtype,
  result: PullResult,
  ref: ModelRef,
  via: 'cache' | 'pulled',
): ResolvedModel {
  const inner = catalogEntryPath(entry, dtype);
  const path = inner ? join(result.snapshotDir, ...inner.split('/')) : result.snapshotDir;
  return { path, ref, via, entry, dtype, pull: result };
}

async function resolvePathRef(
  parsed: { kind: 'path'; path: string },
  ref: string,
  options: ResolveModelOptions,
  catalog: readonly CatalogEntry[],
): Promise<ResolvedModel> {
  const expanded = parsed.path.startsWith('~/') ? join(homedir(), parsed.path.slice(2)) : parsed.path;
  const abs = isAbsolute(expanded) ? expanded : resolvePath(options.cwd ?? process.cwd(), expanded);
  try {
    await stat(abs);
  } catch {
    throw new UnknownModelError({ ref, known: catalog.map((e) => e.name) });
  }
  return { path: abs, ref: parsed, via: 'path' };
}

/** The `llama-pajamas pull` command for a reference (what a "not cached" message tells the user to run). */
export function pullCommandFor(ref: ModelRef, options: { dtype?: ModelDtype } = {}): string {
  if (ref.kind === 'hub') return pullCommand(ref.repo, { revision: ref.revision, dtype: options.dtype });
  if (ref.kind === 'catalog')
    return `llama-pajamas pull ${ref.name}${options.dtype ? ` --dtype ${options.dtype}` : ''}`;
  return '';
}

/** One task's catalog default as {@link findCachedDefaults} reports it. */
export type CachedDefault =
  | { readonly task: CatalogEntry['task']; readonly entry: CatalogEntry; readonly model: ResolvedModel }
  | { readonly task: CatalogEntry['task']; readonly entry: CatalogEntry; readonly missing: ModelNotCachedError };

/**
 * For each task, whether its catalog default is in the cache (hub copy or local stand-in), without any network:
 * what `serve` with no model flags can serve, and for the rest the command that pulls them.
 * @example
 * for (const d of await findCachedDefaults({ hub })) console.log(d.task, 'model' in d ? d.model.path : d.missing.pullCommand)
 * // stt /…/snapshots/ed72be82…   detect llama-pajamas pull yolox-nano
 */
export async function findCachedDefaults(
  options: Pick<ResolveModelOptions, 'hub' | 'catalog'> = {},
): Promise<CachedDefault[]> {
  const catalog = options.catalog ?? CATALOG;
  const out: CachedDefault[] = [];
  for (const entry of catalog.filter((e) => e.isDefault)) {
    try {
      const model = await resolveModelRef(entry.name, { ...options, catalog, offline: true });
      out.push({ task: entry.task, entry, model });
    } catch (e) {
      if (!(e instanceof ModelNotCachedError)) throw e;
      out.push({ task: entry.task, entry, missing: e });
    }
  }
  return out;
}
