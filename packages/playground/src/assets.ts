import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlaygroundAssetsMissingError } from './errors.js';

/** One file of the page, held in memory with what the response needs. */
export interface PlaygroundAsset {
  /** The file name inside the assets folder (`app.js`). */
  name: string;
  body: Buffer;
  contentType: string;
  /** A strong ETag from the content (sha-256, 16 hex digits). */
  etag: string;
  /** The content hash that versions the URL (`/playground/assets/app.js?v=<hash>`). */
  hash: string;
}

/** The page and its assets, ready to serve. */
export interface PlaygroundBundle {
  /** index.html with each asset URL carrying its content hash. */
  html: PlaygroundAsset;
  assets: ReadonlyMap<string, PlaygroundAsset>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

const REQUIRED = ['index.html', 'app.js', 'style.css'] as const;

/** The folder the build writes the page to (`dist/app`), from the built plugin and from its sources alike. */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('../dist/app/', import.meta.url));
}

function asset(name: string, body: Buffer): PlaygroundAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return {
    name,
    body,
    contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    etag: `"${hash}"`,
    hash,
  };
}

/**
 * Reads the built page into memory: every asset keyed by file name, and index.html with its
 * `/playground/assets/<file>` references rewritten to `?v=<content hash>` so that assets can be cached for good.
 * @example
 * const { html, assets } = await loadPlaygroundBundle();
 * // html.contentType === 'text/html; charset=utf-8'; assets.get('app.js')?.hash === '3f2a…'
 */
export async function loadPlaygroundBundle(dir: string = defaultAssetsDir()): Promise<PlaygroundBundle> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch (cause) {
    throw new PlaygroundAssetsMissingError({ dir, file: 'index.html', cause });
  }
  for (const file of REQUIRED) if (!names.includes(file)) throw new PlaygroundAssetsMissingError({ dir, file });
  const assets = new Map<string, PlaygroundAsset>();
  for (const name of names) {
    if (name === 'index.html') continue;
    assets.set(name, asset(name, await readFile(join(dir, name))));
  }
  const template = await readFile(join(dir, 'index.html'), 'utf8');
  const html = template.replace(/\/playground\/assets\/([A-Za-z0-9._-]+)/g, (whole, file: string) => {
    const a = assets.get(file);
    return a ? `${whole}?v=${a.hash}` : whole;
  });
  return { html: asset('index.html', Buffer.from(html)), assets };
}
