import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, extname, join, relative, sep } from 'node:path';

/**
 * Process-wide settings of run-coreml (the one documented knob object, as onnxruntime's `env`).
 * `cacheDir` is where compiled `.mlmodelc` folders are kept; see {@link defaultCacheDir}.
 */
export const coremlEnv: { cacheDir: string | undefined } = { cacheDir: undefined };

/** Bumped when the layout of the cache changes, so old entries are not reused. */
const CACHE_FORMAT = 'run-coreml-cache-1';

/**
 * The default compiled-model cache folder: `~/Library/Caches/llama-pajamas/coreml` on macOS,
 * `$XDG_CACHE_HOME/llama-pajamas/coreml` (or `~/.cache/…`) elsewhere.
 * @example
 * defaultCacheDir('darwin', '/Users/me'); // '/Users/me/Library/Caches/llama-pajamas/coreml'
 */
export function defaultCacheDir(
  platform: string = process.platform,
  home: string = homedir(),
  xdgCacheHome: string | undefined = process.env.XDG_CACHE_HOME,
): string {
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'llama-pajamas', 'coreml');
  return join(xdgCacheHome && xdgCacheHome.length > 0 ? xdgCacheHome : join(home, '.cache'), 'llama-pajamas', 'coreml');
}

async function listFiles(dir: string, root: string, out: { rel: string; full: string }[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(full, root, out);
    else if (entry.isFile()) out.push({ rel: relative(root, full).split(sep).join('/'), full });
  }
}

function hashFile(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = createReadStream(path);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}

/**
 * SHA-256 of a model's content: for a folder (`.mlpackage`), every regular file in byte order of its relative
 * path, each as `path \0 size \0 bytes`; for a file (`.mlmodel`), its base name, size and bytes. Renaming or
 * touching a model does not change it; changing any byte does. tools/fixtures/coreml/generate.py computes the
 * same value in Python (golden.json `contentHash`).
 * @example
 * await modelContentHash('linear.mlpackage'); // '3f1c…' (64 hex digits)
 */
export async function modelContentHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  const info = await stat(path);
  const files: { rel: string; full: string }[] = [];
  if (info.isDirectory()) {
    await listFiles(path, path, files);
    files.sort((a, b) => Buffer.compare(Buffer.from(a.rel), Buffer.from(b.rel)));
  } else {
    files.push({ rel: basename(path), full: path });
  }
  for (const file of files) {
    const { size } = await lstat(file.full);
    hash.update(`${file.rel}\0${size}\0`);
    await hashFile(hash, file.full);
  }
  return hash.digest('hex');
}

/**
 * The cache key of a compiled model: its content hash and the OS build that compiled it (a compiled model is
 * only valid for the CoreML that made it).
 * @example
 * compiledModelCacheKey('3f1c…', 'Version 14.4 (Build 23E214)'); // 32 hex digits
 */
export function compiledModelCacheKey(contentHash: string, osBuild: string): string {
  return createHash('sha256').update(`${CACHE_FORMAT}\0${contentHash}\0${osBuild}`).digest('hex').slice(0, 32);
}

/**
 * The folder a compiled model is cached in: `<cacheDir>/<model stem>-<key>.mlmodelc`.
 * @example
 * compiledModelPath('/cache', 'models/yolov8n.mlpackage', 'ab12…'); // '/cache/yolov8n-ab12….mlmodelc'
 */
export function compiledModelPath(cacheDir: string, modelPath: string, key: string): string {
  const stem = basename(modelPath, extname(modelPath)).replace(/[^A-Za-z0-9._-]/g, '_');
  return join(cacheDir, `${stem}-${key}.mlmodelc`);
}

/** What {@link ensureCompiled} did. */
export interface CompiledModel {
  /** The `.mlmodelc` folder to load. */
  readonly path: string;
  /** `direct` (an `.mlmodelc` was given), `cache` (compiled before) or `compiled` (compiled now). */
  readonly source: 'direct' | 'cache' | 'compiled';
}

const inFlight = new Map<string, Promise<CompiledModel>>();

/** Models being compiled right now (their source paths), for a health endpoint that says "compiling". */
export function compilingModels(): string[] {
  return [...inFlight.keys()];
}

/**
 * Returns the `.mlmodelc` for a model: the path itself for `.mlmodelc`; for `.mlpackage`/`.mlmodel`, the cached
 * compile when one exists for this content and OS build, else a fresh compile moved atomically into the cache.
 * Concurrent calls for the same model share one compile.
 * @example
 * await ensureCompiled('yolov8n.mlpackage', { cacheDir, osBuild, compile: binding.compileModel });
 * // { path: '<cacheDir>/yolov8n-….mlmodelc', source: 'compiled' }, then source: 'cache' on the next run
 */
export async function ensureCompiled(
  modelPath: string,
  options: { cacheDir: string; osBuild: string; compile: (source: string, destination: string) => Promise<string> },
): Promise<CompiledModel> {
  if (extname(modelPath).toLowerCase() === '.mlmodelc') return { path: modelPath, source: 'direct' };
  const existing = inFlight.get(modelPath);
  if (existing) return existing;
  const work = (async (): Promise<CompiledModel> => {
    const key = compiledModelCacheKey(await modelContentHash(modelPath), options.osBuild);
    const target = compiledModelPath(options.cacheDir, modelPath, key);
    if ((await stat(target).catch(() => undefined))?.isDirectory()) return { path: target, source: 'cache' };
    await mkdir(options.cacheDir, { recursive: true });
    const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await options.compile(modelPath, temporary);
      await rename(temporary, target).catch((e: NodeJS.ErrnoException) => {
        // Another process finished the same compile first: keep theirs.
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    return { path: target, source: 'compiled' };
  })();
  inFlight.set(modelPath, work);
  try {
    return await work;
  } finally {
    inFlight.delete(modelPath);
  }
}
