import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A Hugging Face hub double: two real HTTP servers on loopback. The "hub" answers
 * HEAD/GET /{repo}/resolve/{revision}/{path} and GET /api/models/{repo}/revision/{revision} with the hub's headers
 * (X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, X-Error-Code); LFS files are 302-redirected to the "storage"
 * server on another host name (127.0.0.2, like the hub's CDN), which serves Range requests. Faults can be injected:
 * a connection dropped after N bytes, corrupted bytes, a required token.
 */

/** A file of a repository in the double. */
export interface DoubleFile {
  readonly content: Buffer;
  /** Stored in LFS (redirected to storage, sha256 ETag) rather than in git (git-sha1 ETag, served by the hub). */
  readonly lfs: boolean;
}

/** A repository of the double. */
export interface DoubleRepo {
  /** Branch/tag → commit. */
  refs: Map<string, string>;
  /** Commit → path → file. */
  commits: Map<string, Map<string, DoubleFile>>;
  /** When set, requests need `Authorization: Bearer <token>`; `gated` answers 403 to other tokens. */
  token?: string;
}

/** One request the double saw. */
export interface SeenRequest {
  readonly server: 'hub' | 'storage';
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

/** Faults to inject into the storage server's next answers. */
export interface Faults {
  /** Close the connection after this many body bytes, for the next `dropTimes` GETs of a blob. */
  dropAfter?: number;
  dropTimes?: number;
  /** Serve these sha256 blobs with one byte flipped. */
  corrupt?: Set<string>;
  /** Hold each blob answer this long before sending it (so that two clients overlap). */
  delayMs?: number;
}

/** A running hub double. */
export interface HubDouble {
  readonly endpoint: string;
  readonly storageOrigin: string;
  readonly repos: Map<string, DoubleRepo>;
  readonly requests: SeenRequest[];
  /** Old repository id → new one: the hub answers a relative 307 redirect, as after a rename. */
  readonly renames: Map<string, string>;
  faults: Faults;
  /** Adds a commit with these files to `repo` on `branch` (default main) and returns its hash. */
  commit(
    repo: string,
    files: Record<string, string | Buffer>,
    options?: { branch?: string; lfsOver?: number; sha?: string },
  ): string;
  close(): Promise<void>;
}

/** The git blob id of `content` (what the hub sends as ETag for files stored in git). */
export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** sha256 hex of `content` (the LFS object id the hub sends as X-Linked-Etag). */
export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Starts the double (hub on 127.0.0.1, storage on 127.0.0.2, or on `localhost` where 127.0.0.2 cannot be bound). */
export async function startHubDouble(): Promise<HubDouble> {
  const repos = new Map<string, DoubleRepo>();
  const blobs = new Map<string, Buffer>();
  const requests: SeenRequest[] = [];
  const renames = new Map<string, string>();
  let commitCounter = 0;

  const storage = createServer((req, res) => {
    log('storage', req);
    const m = /^\/lfs\/([0-9a-f]{64})/.exec(req.url ?? '');
    const blob = m ? blobs.get(m[1]!) : undefined;
    if (!blob || !m) {
      res.writeHead(404).end('no such object');
      return;
    }
    let body = blob;
    if (double.faults.corrupt?.has(m[1]!)) {
      body = Buffer.from(blob);
      body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
    }
    const send = (): void => serveBytes(req, res, body, { 'content-type': 'application/octet-stream' }, true);
    if (double.faults.delayMs) setTimeout(send, double.faults.delayMs);
    else send();
  });

  function serveBytes(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    headers: Record<string, string>,
    faultable: boolean,
  ): void {
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const part = body.subarray(start);
    res.writeHead(status, { ...headers, 'accept-ranges': 'bytes', 'content-length': String(part.length) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const f = double.faults;
    if (faultable && f.dropAfter !== undefined && (f.dropTimes ?? 0) > 0) {
      f.dropTimes = (f.dropTimes ?? 0) - 1;
      res.write(part.subarray(0, f.dropAfter), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(part);
  }

  function log(server: 'hub' | 'storage', req: IncomingMessage): void {
    requests.push({
      server,
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
  }

  function errorAnswer(res: ServerResponse, status: number, code: string, message: string, commit?: string): void {
    const headers: Record<string, string> = {
      'x-error-code': code,
      'x-error-message': message,
      'content-type': 'application/json',
    };
    if (commit) headers['x-repo-commit'] = commit;
    res.writeHead(status, headers).end(JSON.stringify({ error: message }));
  }

  function authorize(req: IncomingMessage, res: ServerResponse, repo: DoubleRepo): boolean {
    if (repo.token === undefined) return true;
    const auth = req.headers.authorization;
    if (auth === undefined) {
      errorAnswer(res, 401, 'GatedRepo', 'Access to this model is restricted. You must be authenticated.');
      return false;
    }
    if (auth !== `Bearer ${repo.token}`) {
      errorAnswer(res, 403, 'GatedRepo', 'Access to this model is restricted and you are not in the authorized list.');
      return false;
    }
    return true;
  }

  const hub = createServer((req, res) => {
    log('hub', req);
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = decodeURIComponent(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoId = api?.[1] ?? resolve?.[1];
    const revision = api?.[2] ?? resolve?.[2];
    if (!repoId || !revision) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not a hub route</html>');
      return;
    }
    const renamed = renames.get(repoId);
    if (renamed) {
      res.writeHead(307, { location: url.pathname.replace(`/${repoId}/`, `/${renamed}/`) }).end();
      return;
    }
    const repo = repos.get(repoId);
    if (!repo) {
      errorAnswer(res, 404, 'RepoNotFound', 'Repository not found');
      return;
    }
    if (!authorize(req, res, repo)) return;
    const commit = repo.commits.has(revision) ? revision : repo.refs.get(revision);
    const files = commit ? repo.commits.get(commit) : undefined;
    if (!commit || !files) {
      errorAnswer(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      return;
    }
    if (api) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ id: repoId, sha: commit, siblings: [...files.keys()].map((rfilename) => ({ rfilename })) }),
        );
      return;
    }
    const filePath = resolve![3]!;
    const file = files.get(filePath);
    if (!file) {
      errorAnswer(res, 404, 'EntryNotFound', `${filePath} does not exist on "${revision}"`, commit);
      return;
    }
    if (file.lfs) {
      const oid = sha256(file.content);
      res
        .writeHead(302, {
          location: `${storageOrigin}/lfs/${oid}?sig=double`,
          'x-repo-commit': commit,
          'x-linked-etag': `"${oid}"`,
          'x-linked-size': String(file.content.length),
          etag: `"${gitBlobSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\n`))}"`,
          'content-length': '0',
        })
        .end();
      return;
    }
    serveBytes(
      req,
      res,
      file.content,
      { 'x-repo-commit': commit, etag: `"${gitBlobSha1(file.content)}"`, 'content-type': 'text/plain' },
      false,
    );
  });

  let storageHost = '127.0.0.2';
  let storagePort: number;
  try {
    storagePort = await listen(storage, storageHost);
  } catch {
    storageHost = 'localhost';
    storagePort = await listen(storage, '127.0.0.1');
  }
  const hubPort = await listen(hub, '127.0.0.1');
  const storageOrigin = `http://${storageHost}:${storagePort}`;

  const double: HubDouble = {
    endpoint: `http://127.0.0.1:${hubPort}`,
    storageOrigin,
    repos,
    requests,
    renames,
    faults: {},
    commit(repoId, files, options = {}) {
      const repo: DoubleRepo = repos.get(repoId) ?? { refs: new Map<string, string>(), commits: new Map() };
      repos.set(repoId, repo);
      const branch = options.branch ?? 'main';
      const parent = repo.refs.get(branch);
      const tree = new Map<string, DoubleFile>(parent ? repo.commits.get(parent) : []);
      for (const [path, content] of Object.entries(files)) {
        const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
        const lfs = buf.length > (options.lfsOver ?? 1024) || path.endsWith('.onnx');
        if (lfs) blobs.set(sha256(buf), buf);
        tree.set(path, { content: buf, lfs });
      }
      const sha =
        options.sha ?? createHash('sha1').update(`${repoId}:${branch}:${++commitCounter}:${Date.now()}`).digest('hex');
      repo.commits.set(sha, tree);
      repo.refs.set(branch, sha);
      return sha;
    },
    async close() {
      hub.closeAllConnections();
      storage.closeAllConnections();
      await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => storage.close(r))]);
    },
  };
  return double;
}
