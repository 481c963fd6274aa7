import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import {
  assertRepoId,
  assertRepoPath,
  assertRevision,
  exists,
  isCommitHash,
  linkSnapshotFile,
  localPath,
  markNoExist,
  readRef,
  repoCachePaths,
  walkFiles,
  writeRef,
} from './cache.js';
import { resolveHubConfig, type HubConfig } from './config.js';
import { EntryNotFoundError, LockTimeoutError, ModelNotCachedError } from './errors.js';
import { downloadBlob, headFile, listRepoFiles, type DownloadProgress, type HubClient } from './hub.js';
import { selectFamilyFiles } from './family-select.js';
import { selectRepoFiles, type ModelDtype } from './select-files.js';
import type { ModelFamily } from '@llama-pajamas/run-core';

/** Options of {@link pull}. */
export interface PullOptions {
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Exact files to fetch (repository paths); without it, the repository is listed and filtered. */
  files?: readonly string[];
  /** Files fetched when they exist (a 404 for them is not an error). */
  optionalFiles?: readonly string[];
  /** Glob(s) over the repository listing (ignored when `files` is given). */
  include?: string | readonly string[];
  /** Only this dtype's ONNX files (ignored when `files` is given). */
  dtype?: ModelDtype;
  /** Hub settings; default `resolveHubConfig({})` (no env read here: the cli passes `resolveHubConfig(process.env)`). */
  hub?: HubConfig;
  /** Called as bytes arrive, and once per file when it is done (`done: true`, `cached` when nothing was fetched). */
  onProgress?: (event: PullProgress) => void;
  signal?: AbortSignal;
  /** Retries after a dropped connection (each resumes with Range); default 3. */
  retries?: number;
  /** How long to wait for another process's download of the same file; default 30 minutes. */
  lockTimeoutMs?: number;
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
  /** The command a "not cached" error tells the user to run (default: `llama-pajamas pull <repo>…`). */
  pullCommand?: string;
}

/** A progress event of {@link pull}. */
export interface PullProgress extends DownloadProgress {
  /** Index of the file in the pull and how many there are. */
  readonly index: number;
  readonly count: number;
  readonly done: boolean;
  readonly cached: boolean;
}

/** One file of a finished pull. */
export interface PulledFile {
  readonly path: string;
  readonly size: number;
  /** Where the loader reads it: `snapshots/<commit>/<path>`. */
  readonly localPath: string;
  /** Bytes fetched for it in this pull (0 when it was in the cache already). */
  readonly downloaded: number;
}

/** What {@link pull} returns. */
export interface PullResult {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  /** `…/models--org--name/snapshots/<commit>`: the folder to hand to a loader. */
  readonly snapshotDir: string;
  readonly files: readonly PulledFile[];
  /** Optional files the hub does not have. */
  readonly missing: readonly string[];
  readonly bytesDownloaded: number;
  readonly ms: number;
  /** True when everything came from the cache without asking the hub (offline). */
  readonly offline: boolean;
  /** The run-core family whose file table chose the files (a listed pull without --include), if one matched. */
  readonly family?: ModelFamily;
}

/**
 * Downloads files of a hub model repository into the Hugging Face cache (or, offline, finds them there), and
 * returns the snapshot folder. Files already cached are not fetched again; interrupted downloads resume.
 * @example
 * const r = await pull('onnx-community/silero-vad', { files: ['onnx/model.onnx'], hub: resolveHubConfig(process.env) });
 * // r.snapshotDir === '~/.cache/huggingface/hub/models--onnx-community--silero-vad/snapshots/e71cae96…'
 */
export async function pull(repo: string, options: PullOptions = {}): Promise<PullResult> {
  const started = Date.now();
  assertRepoId(repo);
  const revision = options.revision ?? 'main';
  assertRevision(revision);
  const hub = options.hub ?? resolveHubConfig({});
  for (const f of [...(options.files ?? []), ...(options.optionalFiles ?? [])]) assertRepoPath(f);
  if (hub.offline) return fromCache(repo, revision, hub, options, started);

  const client: HubClient = {
    endpoint: hub.endpoint,
    token: hub.token,
    fetch: options.fetch ?? globalThis.fetch,
    signal: options.signal,
    retries: options.retries ?? 3,
  };
  let commit: string | undefined;
  let family: ModelFamily | undefined;
  let wanted: string[];
  if (options.files !== undefined) {
    wanted = [...options.files];
  } else {
    const listing = await listRepoFiles(client, repo, revision);
    commit = listing.commit;
    // Without --include, run-core's family table says what a model of a known family needs; else a heuristic.
    const byFamily =
      options.include === undefined ? selectFamilyFiles(listing.files, { dtype: options.dtype }) : undefined;
    family = byFamily?.family;
    wanted = byFamily
      ? [...byFamily.files]
      : selectRepoFiles(listing.files, { include: options.include, dtype: options.dtype });
    if (wanted.length === 0) {
      throw new EntryNotFoundError({
        repo,
        revision,
        path: options.include ? [options.include].flat().join(', ') : `files of dtype ${options.dtype ?? 'any'}`,
      });
    }
  }
  const optional = new Set(options.optionalFiles ?? []);
  const all = [...wanted, ...[...optional].filter((f) => !wanted.includes(f))];
  for (const f of all) assertRepoPath(f); // a listing is the server's word: no '..' or absolute paths
  const paths = repoCachePaths(hub.cacheDir, repo);
  const files: PulledFile[] = [];
  const missing: string[] = [];
  let bytesDownloaded = 0;
  for (const [index, path] of all.entries()) {
    let meta;
    try {
      // Every file after the first is asked for at the first one's commit, so a push mid-pull cannot mix revisions.
      meta = await headFile(client, repo, commit ?? revision, path);
    } catch (e) {
      if (e instanceof EntryNotFoundError && optional.has(path)) {
        missing.push(path);
        if (commit) await markNoExist(hub.cacheDir, repo, commit, path);
        continue;
      }
      throw e;
    }
    if (commit === undefined) commit = meta.commit;
    await writeRef(hub.cacheDir, repo, revision, meta.commit);
    const blob = join(paths.blobs, meta.etag);
    const report = (p: DownloadProgress, done: boolean, cached: boolean): void =>
      options.onProgress?.({ ...p, index, count: all.length, done, cached });
    let downloaded = 0;
    if (!(await isComplete(blob, meta.size))) {
      await mkdir(paths.blobs, { recursive: true });
      downloaded = await withFileLock(join(paths.locks, `${meta.etag}.node.lock`), options, async () => {
        if (await isComplete(blob, meta.size)) return 0; // another process finished it while we waited
        const r = await downloadBlob(client, meta, { repo, path, blob }, (p) => report(p, false, false));
        return r.bytes;
      });
    }
    bytesDownloaded += downloaded;
    const local = await linkSnapshotFile(hub.cacheDir, repo, meta.commit, path, meta.etag);
    report({ path, downloaded: meta.size, total: meta.size, resumedFrom: 0 }, true, downloaded === 0);
    files.push({ path, size: meta.size, localPath: local, downloaded });
  }
  if (commit === undefined) throw new EntryNotFoundError({ repo, revision, path: all.join(', ') });
  return {
    repo,
    revision,
    commit,
    snapshotDir: join(paths.snapshots, commit),
    files,
    missing,
    bytesDownloaded,
    ms: Date.now() - started,
    offline: false,
    family,
  };
}

async function isComplete(blob: string, size: number): Promise<boolean> {
  try {
    return (await stat(blob)).size === size;
  } catch {
    return false;
  }
}

/** The `llama-pajamas pull` command that fetches what `options` asks for. */
export function pullCommand(repo: string, options: Pick<PullOptions, 'revision' | 'include' | 'dtype'> = {}): string {
  const rev = options.revision && options.revision !== 'main' ? `@${options.revision}` : '';
  const include = [options.include ?? []].flat().map((g) => ` --include '${g}'`);
  return `llama-pajamas pull ${repo}${rev}${include.join('')}${options.dtype ? ` --dtype ${options.dtype}` : ''}`;
}

async function fromCache(
  repo: string,
  revision: string,
  hub: HubConfig,
  options: PullOptions,
  started: number,
): Promise<PullResult> {
  const cmd = options.pullCommand ?? pullCommand(repo, options);
  const commit = await readRef(hub.cacheDir, repo, revision);
  if (commit === undefined) {
    throw new ModelNotCachedError({
      ref: `${repo}@${revision}`,
      pullCommand: cmd,
      why: isCommitHash(revision) ? 'no snapshot of that commit' : `no refs/${revision}`,
    });
  }
  const paths = repoCachePaths(hub.cacheDir, repo);
  const snapshotDir = join(paths.snapshots, commit);
  let wanted: string[];
  if (options.files !== undefined) wanted = [...options.files];
  else {
    const present = await walkFiles(snapshotDir);
    const byFamily = options.include === undefined ? selectFamilyFiles(present, { dtype: options.dtype }) : undefined;
    wanted = byFamily
      ? [...byFamily.files]
      : selectRepoFiles(present, { include: options.include, dtype: options.dtype });
  }
  const files: PulledFile[] = [];
  for (const path of wanted) {
    const local = localPath(snapshotDir, path);
    let size: number;
    try {
      size = (await stat(local)).size;
    } catch {
      throw new ModelNotCachedError({ ref: `${repo}@${revision}`, pullCommand: cmd, why: `${path} is missing` });
    }
    files.push({ path, size, localPath: local, downloaded: 0 });
  }
  if (files.length === 0) {
    throw new ModelNotCachedError({ ref: `${repo}@${revision}`, pullCommand: cmd, why: 'no matching files' });
  }
  const missing: string[] = [];
  for (const path of options.optionalFiles ?? []) {
    if (!(await exists(localPath(snapshotDir, path)))) missing.push(path);
    else
      files.push({
        path,
        size: (await stat(localPath(snapshotDir, path))).size,
        localPath: localPath(snapshotDir, path),
        downloaded: 0,
      });
  }
  return {
    repo,
    revision,
    commit,
    snapshotDir,
    files,
    missing,
    bytesDownloaded: 0,
    ms: Date.now() - started,
    offline: true,
  };
}

/** Runs `fn` holding an exclusive lock (proper-lockfile: an atomic mkdir, refreshed while held, stale after 30 s). */
async function withFileLock<T>(lockPath: string, options: PullOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const timeout = options.lockTimeoutMs ?? 30 * 60_000;
  const start = Date.now();
  let release: (() => Promise<void>) | undefined;
  while (release === undefined) {
    try {
      release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale: 30_000,
        update: 5_000,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      if (Date.now() - start > timeout) throw new LockTimeoutError({ lockPath, waitedMs: Date.now() - start });
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
