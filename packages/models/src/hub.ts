import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import {
  ChecksumMismatchError,
  DiskFullError,
  EntryNotFoundError,
  HubHttpError,
  HubNetworkError,
  HubProtocolError,
  HubUnauthorizedError,
  ModelsError,
  RepoNotFoundError,
  RevisionNotFoundError,
} from './errors.js';

/** How one pull talks to the hub. */
export interface HubClient {
  readonly endpoint: string;
  readonly token: string | undefined;
  /** `fetch` to use (the global one by default). */
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal | undefined;
  /** Retries after a dropped connection or a 5xx/429 answer, each resuming where the last stopped. */
  readonly retries: number;
}

/** What `HEAD {endpoint}/{repo}/resolve/{revision}/{path}` says about a file. */
export interface FileMetadata {
  /** `X-Repo-Commit`: the commit the revision resolved to. */
  readonly commit: string;
  /** `X-Linked-Etag` (LFS: the sha256) or `ETag` (git blob sha1), without quotes or `W/`. */
  readonly etag: string;
  /** `X-Linked-Size` or `Content-Length`. */
  readonly size: number;
  /** Where the bytes are: the redirect target for LFS files (another host), else the resolve URL. */
  readonly downloadUrl: string;
}

/** Progress of one file's download. */
export interface DownloadProgress {
  readonly path: string;
  /** Bytes of the file on disk so far (resumed bytes included). */
  readonly downloaded: number;
  readonly total: number;
  /** Bytes that were already there from an earlier, interrupted download. */
  readonly resumedFrom: number;
}

const USER_AGENT = 'llama-pajamas-models/0 (hub protocol; node)';

/** `{endpoint}/{repo}/resolve/{revision}/{path}` with each part URL-encoded. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const enc = (s: string): string => s.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${enc(repo)}/resolve/${encodeURIComponent(revision)}/${enc(path)}`;
}

function authHeaders(client: HubClient, url: string): Record<string, string> {
  const sameHost = new URL(url).origin === new URL(client.endpoint).origin;
  return client.token && sameHost ? { authorization: `Bearer ${client.token}` } : {};
}

async function request(client: HubClient, url: string, init: RequestInit): Promise<Response> {
  try {
    return await client.fetch(url, {
      ...init,
      signal: client.signal,
      headers: {
        'user-agent': USER_AGENT,
        'accept-encoding': 'identity',
        ...authHeaders(client, url),
        ...init.headers,
      },
    });
  } catch (e) {
    if (client.signal?.aborted) throw client.signal.reason ?? e;
    throw new HubNetworkError({ url, reason: describeNetworkError(e) }, { cause: e });
  }
}

function describeNetworkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

/** Maps a hub error answer to a typed error (the `X-Error-Code` header first, as the Python client does). */
export async function hubError(
  res: Response,
  ctx: { url: string; repo: string; revision: string; path?: string; hasToken: boolean },
): Promise<ModelsError> {
  const code = res.headers.get('x-error-code');
  let hubMessage = res.headers.get('x-error-message') ?? undefined;
  if (hubMessage === undefined) {
    const body = await res.text().catch(() => '');
    try {
      hubMessage = (JSON.parse(body) as { error?: string }).error;
    } catch {
      hubMessage = body.slice(0, 200) || undefined;
    }
  }
  if (code === 'RepoNotFound') return new RepoNotFoundError({ repo: ctx.repo });
  if (code === 'RevisionNotFound') return new RevisionNotFoundError({ repo: ctx.repo, revision: ctx.revision });
  if (code === 'EntryNotFound' || (res.status === 404 && ctx.path !== undefined && code === null)) {
    return new EntryNotFoundError({ repo: ctx.repo, revision: ctx.revision, path: ctx.path ?? '' });
  }
  if (code === 'GatedRepo' || res.status === 401 || res.status === 403) {
    return new HubUnauthorizedError({ repo: ctx.repo, status: res.status, hasToken: ctx.hasToken, hubMessage });
  }
  if (res.status === 404) return new RepoNotFoundError({ repo: ctx.repo });
  return new HubHttpError({ url: ctx.url, status: res.status, hubMessage });
}

function retryable(e: unknown): boolean {
  return e instanceof HubNetworkError || (e instanceof HubHttpError && isRetryStatus(Number(e.details.status)));
}

function isRetryStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

async function withRetries<T>(client: HubClient, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= client.retries || !retryable(e) || client.signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)));
    }
  }
}

function normalizeEtag(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

/**
 * Asks the hub about one file (`HEAD …/resolve/…` without following a redirect to another host, as Python
 * huggingface_hub does, so the LFS headers of the hub's own answer are read).
 */
export async function headFile(client: HubClient, repo: string, revision: string, path: string): Promise<FileMetadata> {
  return withRetries(client, async () => {
    let url = resolveUrl(client.endpoint, repo, revision, path);
    for (let hop = 0; hop < 10; hop++) {
      const res = await request(client, url, { method: 'HEAD', redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url);
        // A redirect on the hub itself (a renamed repository) is followed; one to another host is the file's
        // storage: its URL is where the GET goes, the headers that matter are on this answer.
        if (next.origin === new URL(url).origin && res.headers.get('x-repo-commit') === null) {
          url = next.href;
          continue;
        }
        return metadataFrom(res, url, next.href);
      }
      if (!res.ok) {
        throw await hubError(res, { url, repo, revision, path, hasToken: client.token !== undefined });
      }
      return metadataFrom(res, url, url);
    }
    throw new HubHttpError({ url, status: 310, hubMessage: 'too many redirects' });
  });
}

function metadataFrom(res: Response, url: string, downloadUrl: string): FileMetadata {
  const commit = res.headers.get('x-repo-commit');
  if (!commit) throw new HubProtocolError({ url, missing: 'the X-Repo-Commit header' });
  const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
  if (!etag) throw new HubProtocolError({ url, missing: 'an X-Linked-Etag or ETag header' });
  const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new HubProtocolError({ url, missing: 'an X-Linked-Size or Content-Length header' });
  }
  return { commit, etag, size, downloadUrl };
}

/** The hash an ETag stands for: LFS files carry their sha256, git-stored files their git blob sha1. */
function verifierFor(etag: string, size: number): { hash: Hash; name: string } | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return { hash: createHash('sha256'), name: 'sha256' };
  if (/^[0-9a-f]{40}$/.test(etag)) {
    const hash = createHash('sha1');
    hash.update(`blob ${size}\0`);
    return { hash, name: 'git-sha1' };
  }
  return undefined;
}

/**
 * Downloads a file's bytes into `<blob>.incomplete` (resuming what is there with `Range`), checks size and hash
 * while streaming, then renames it to `blob`. On a checksum mismatch or a full disk the partial file is removed.
 */
export async function downloadBlob(
  client: HubClient,
  meta: FileMetadata,
  target: { repo: string; path: string; blob: string },
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ bytes: number; resumedFrom: number }> {
  const incomplete = `${target.blob}.incomplete`;
  let firstResumedFrom: number | undefined;
  let received = 0;
  await withRetries(client, async () => {
    const r = await downloadOnce(client, meta, target, incomplete, onProgress);
    firstResumedFrom ??= r.resumedFrom;
    received += r.received;
  }).catch(async (e: unknown) => {
    if (e instanceof ChecksumMismatchError || e instanceof DiskFullError) await rm(incomplete, { force: true });
    throw e;
  });
  await rename(incomplete, target.blob);
  return { bytes: received, resumedFrom: firstResumedFrom ?? 0 };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashExisting(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function downloadOnce(
  client: HubClient,
  meta: FileMetadata,
  target: { repo: string; path: string; blob: string },
  incomplete: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ resumedFrom: number; received: number }> {
  let have = await sizeOf(incomplete);
  if (have > meta.size) {
    await rm(incomplete, { force: true });
    have = 0;
  }
  const url = meta.downloadUrl;
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const res = await request(client, url, { method: 'GET', headers, redirect: 'follow' });
  if (res.status === 416 && have > 0) {
    // The server does not accept the range (the partial file is stale): start over.
    await res.body?.cancel();
    await rm(incomplete, { force: true });
    return downloadOnce(client, meta, target, incomplete, onProgress);
  }
  if (!res.ok) {
    throw await hubError(res, {
      url,
      repo: target.repo,
      revision: meta.commit,
      path: target.path,
      hasToken: client.token !== undefined,
    });
  }
  const resumed = res.status === 206 && have > 0;
  if (!resumed) have = 0; // a 200 answer is the whole file
  const verifier = verifierFor(meta.etag, meta.size);
  if (verifier && resumed) await hashExisting(verifier.hash, incomplete);
  const fh = await open(incomplete, resumed ? 'a' : 'w');
  let written = have;
  let received = 0;
  try {
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        written += chunk.byteLength;
        received += chunk.byteLength;
        if (written > meta.size) break;
        verifier?.hash.update(chunk);
        await writeAll(fh, chunk, incomplete, meta.size);
        onProgress?.({ path: target.path, downloaded: written, total: meta.size, resumedFrom: have });
      }
    }
  } catch (e) {
    if (e instanceof ModelsError) throw e;
    if (client.signal?.aborted) throw client.signal.reason ?? e;
    throw new HubNetworkError(
      { url, reason: `the connection broke after ${written} of ${meta.size} bytes (${describeNetworkError(e)})` },
      { cause: e },
    );
  } finally {
    await fh.close();
  }
  if (written !== meta.size) {
    if (written < meta.size) {
      throw new HubNetworkError({ url, reason: `the connection closed after ${written} of ${meta.size} bytes` });
    }
    throw new ChecksumMismatchError({
      repo: target.repo,
      path: target.path,
      expected: `${meta.size} bytes`,
      actual: `more than ${meta.size} bytes`,
    });
  }
  if (verifier) {
    const actual = verifier.hash.digest('hex');
    if (actual !== meta.etag) {
      throw new ChecksumMismatchError({
        repo: target.repo,
        path: target.path,
        expected: `${verifier.name} ${meta.etag}`,
        actual: `${verifier.name} ${actual}`,
      });
    }
  }
  return { resumedFrom: have, received };
}

async function writeAll(
  fh: Awaited<ReturnType<typeof open>>,
  chunk: Uint8Array,
  path: string,
  needed: number,
): Promise<void> {
  try {
    await fh.write(chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new DiskFullError({ path, needed }, { cause: e });
    throw e;
  }
}

/** What `GET {endpoint}/api/models/{repo}/revision/{revision}` lists: the commit and every file path. */
export interface RepoListing {
  readonly commit: string;
  readonly files: readonly string[];
}

/** Lists a repository's files at a revision (the hub's model-info API, as Python `snapshot_download` uses it). */
export async function listRepoFiles(client: HubClient, repo: string, revision: string): Promise<RepoListing> {
  return withRetries(client, async () => {
    const enc = repo.split('/').map(encodeURIComponent).join('/');
    const url = `${client.endpoint}/api/models/${enc}/revision/${encodeURIComponent(revision)}`;
    const res = await request(client, url, { method: 'GET', headers: { accept: 'application/json' } });
    if (!res.ok) throw await hubError(res, { url, repo, revision, hasToken: client.token !== undefined });
    let body: { sha?: unknown; siblings?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new HubProtocolError({ url, missing: `a JSON body (${describeNetworkError(e)})` });
    }
    if (typeof body.sha !== 'string' || !Array.isArray(body.siblings)) {
      throw new HubProtocolError({ url, missing: '"sha" and "siblings" in its JSON' });
    }
    const files = (body.siblings as { rfilename?: unknown }[])
      .map((s) => s.rfilename)
      .filter((f): f is string => typeof f === 'string');
    return { commit: body.sha, files };
  });
}
