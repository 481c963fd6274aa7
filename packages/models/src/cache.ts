import { copyFile, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { InvalidModelRefError } from './errors.js';

/*
 * The Python huggingface_hub cache layout, shared with every Hugging Face tool on the machine:
 *   <cacheDir>/models--<org>--<name>/blobs/<etag>                       the file's bytes, named by its ETag
 *   <cacheDir>/models--<org>--<name>/blobs/<etag>.incomplete            a download in progress (resumed with Range)
 *   <cacheDir>/models--<org>--<name>/snapshots/<commit>/<path>          relative symlink → ../../blobs/<etag>
 *   <cacheDir>/models--<org>--<name>/refs/<revision>                    the commit a branch or tag pointed at
 *   <cacheDir>/models--<org>--<name>/.no_exist/<commit>/<path>          empty: the hub said this file does not exist
 *   <cacheDir>/.locks/models--<org>--<name>/<etag>.lock                 Python's lock; ours is <etag>.node.lock
 */

const REPO_ID = /^(?:[A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** True when `revision` is a full 40-hex commit hash (then no ref is written or read). */
export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/** Throws {@link InvalidModelRefError} unless `repo` is a hub id such as `org/name`. */
export function assertRepoId(repo: string): void {
  if (!REPO_ID.test(repo) || repo.includes('..') || repo.endsWith('.git')) {
    throw new InvalidModelRefError({ ref: repo, expected: 'a hub repository id such as "org/name"' });
  }
}

/** Throws {@link InvalidModelRefError} unless `revision` is a safe branch, tag or commit name. */
export function assertRevision(revision: string): void {
  const parts = revision.split('/');
  if (revision.length === 0 || revision.length > 255 || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new InvalidModelRefError({ ref: revision, expected: 'a branch, tag or commit hash' });
  }
}

/** Throws {@link InvalidModelRefError} unless `path` is a relative POSIX path inside a repository. */
export function assertRepoPath(path: string): void {
  const parts = path.split('/');
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || parts.some((p) => p === '' || p === '..')) {
    throw new InvalidModelRefError({ ref: path, expected: 'a relative file path inside the repository' });
  }
}

/**
 * The cache folder name of a model repository, as Python huggingface_hub spells it.
 * @example
 * repoFolderName('onnx-community/whisper-base.en') // 'models--onnx-community--whisper-base.en'
 */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

/** The repository id a cache folder name stands for (`models--org--name` → `org/name`), or undefined. */
export function repoIdFromFolder(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  return folder.slice('models--'.length).split('--').join('/');
}

/** Paths inside one repository's cache folder. */
export interface RepoCachePaths {
  readonly root: string;
  readonly blobs: string;
  readonly snapshots: string;
  readonly refs: string;
  readonly noExist: string;
  readonly locks: string;
}

/** The folders of `repo` inside `cacheDir` (nothing is created). */
export function repoCachePaths(cacheDir: string, repo: string): RepoCachePaths {
  const root = join(cacheDir, repoFolderName(repo));
  return {
    root,
    blobs: join(root, 'blobs'),
    snapshots: join(root, 'snapshots'),
    refs: join(root, 'refs'),
    noExist: join(root, '.no_exist'),
    locks: join(cacheDir, '.locks', repoFolderName(repo)),
  };
}

/** Joins a repository's POSIX path onto a local folder. */
export function localPath(dir: string, repoPath: string): string {
  return join(dir, ...repoPath.split('/'));
}

/** The commit `revision` resolves to in the cache (a hash resolves to itself when its snapshot exists). */
export async function readRef(cacheDir: string, repo: string, revision: string): Promise<string | undefined> {
  const paths = repoCachePaths(cacheDir, repo);
  if (isCommitHash(revision)) return (await exists(join(paths.snapshots, revision))) ? revision : undefined;
  try {
    const commit = (await readFile(localPath(paths.refs, revision), 'utf8')).trim();
    return isCommitHash(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records that `revision` (a branch or tag) points at `commit`; a commit hash writes nothing. */
export async function writeRef(cacheDir: string, repo: string, revision: string, commit: string): Promise<void> {
  if (isCommitHash(revision)) return;
  const file = localPath(repoCachePaths(cacheDir, repo).refs, revision);
  await mkdir(dirname(file), { recursive: true });
  let current: string | undefined;
  try {
    current = (await readFile(file, 'utf8')).trim();
  } catch {
    current = undefined;
  }
  if (current !== commit) await writeFile(file, commit);
}

/**
 * Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink (a copy where symlinks are refused,
 * as on Windows without developer mode).
 */
export async function linkSnapshotFile(
  cacheDir: string,
  repo: string,
  commit: string,
  repoPath: string,
  etag: string,
): Promise<string> {
  const paths = repoCachePaths(cacheDir, repo);
  const target = localPath(join(paths.snapshots, commit), repoPath);
  const blob = join(paths.blobs, etag);
  await mkdir(dirname(target), { recursive: true });
  const rel = relative(dirname(target), blob);
  try {
    const existing = await readlink(target);
    if (existing === rel) return target;
  } catch {
    // absent, or a regular file (a copy): replaced below
  }
  await rm(target, { force: true });
  try {
    await symlink(rel, target);
  } catch {
    await copyFile(blob, target);
  }
  return target;
}

/** Marks `path` as absent at `commit` (Python's `.no_exist`), so offline lookups need not ask again. */
export async function markNoExist(cacheDir: string, repo: string, commit: string, repoPath: string): Promise<void> {
  const file = localPath(join(repoCachePaths(cacheDir, repo).noExist, commit), repoPath);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, '');
}

/** One repository in the cache, as `models list` shows it. */
export interface CachedRepo {
  /** Hub id (`org/name`) or local-namespace id (`llama-pajamas-local/<name>`). */
  readonly repo: string;
  readonly path: string;
  /** Bytes of its blobs (each counted once). */
  readonly size: number;
  /** Branch and tag names → commit. */
  readonly refs: Readonly<Record<string, string>>;
  readonly snapshots: readonly { commit: string; files: readonly string[] }[];
  /** Newest modification time of its blobs, ms since the epoch. */
  readonly modified: number;
}

/** Every model repository in `cacheDir` (datasets and spaces are left out), sorted by id. */
export async function scanCache(cacheDir: string): Promise<CachedRepo[]> {
  let entries: string[];
  try {
    entries = await readdir(cacheDir);
  } catch {
    return [];
  }
  const repos: CachedRepo[] = [];
  for (const folder of entries.sort()) {
    const repo = repoIdFromFolder(folder);
    if (repo === undefined) continue;
    repos.push(await describeRepo(cacheDir, repo));
  }
  return repos;
}

/** What the cache holds for one repository (empty fields when it holds nothing). */
export async function describeRepo(cacheDir: string, repo: string): Promise<CachedRepo> {
  const paths = repoCachePaths(cacheDir, repo);
  let size = 0;
  let modified = 0;
  for (const name of await listDir(paths.blobs)) {
    if (name.endsWith('.incomplete')) continue;
    const s = await stat(join(paths.blobs, name));
    size += s.size;
    modified = Math.max(modified, s.mtimeMs);
  }
  const refs: Record<string, string> = {};
  for (const file of await walkFiles(paths.refs)) {
    refs[file] = (await readFile(localPath(paths.refs, file), 'utf8')).trim();
  }
  const snapshots = [];
  for (const commit of await listDir(paths.snapshots)) {
    snapshots.push({ commit, files: await walkFiles(join(paths.snapshots, commit)) });
  }
  return { repo, path: paths.root, size, refs, snapshots, modified };
}

/** Removes a repository from the cache (blobs, snapshots, refs and its lock folder). */
export async function removeRepo(cacheDir: string, repo: string): Promise<boolean> {
  const paths = repoCachePaths(cacheDir, repo);
  const had = await exists(paths.root);
  await rm(paths.root, { recursive: true, force: true });
  await rm(paths.locks, { recursive: true, force: true });
  return had;
}

/** True when something (a file, folder or symlink) exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Files (and symlinks) under `dir`, as sorted POSIX paths relative to it. */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(sub: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(dir, sub), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.isDirectory()) await walk(rel);
      else out.push(rel);
    }
  }
  await walk('');
  return out.map((p) => p.split(sep).join(posix.sep)).sort();
}
