/**
 * Where the tests find real models and media, with no lab folder required:
 * - `models/…`: the permissively licensed real models the repository carries (tools/models, see its MANIFEST.json);
 * - `media/…`: real photos and speech that `tools/test/fetch-test-media.sh` took from Debian packages
 *   (.cache/test-media; `bash tools/setup.sh --test` runs it).
 * A `../shared` lab folder beside the checkout is only a fallback (and the one place the AGPL YOLOv8n weights
 * come from: {@link labOnly}).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const lab = (p: string): string => fileURLToPath(new URL(`../../../shared/${p}`, import.meta.url));

/** The path of a real test asset given by its lab-relative name (`models/detection/yolox_nano.onnx`, `media/images/dog.jpg`). */
export function asset(name: string): string {
  const own = /^models(\/|$)/.test(name)
    ? repo(`tools/${name}`)
    : /^media(\/|$)/.test(name)
      ? repo(`.cache/test-${name}`)
      : undefined;
  if (own === undefined) throw new Error(`asset(): expected a name under models/ or media/, got ${name}`);
  if (existsSync(own) || !existsSync(lab(name))) return own;
  return lab(name);
}

/** A file only the lab folder has (never committed: licence); `undefined` when there is no `../shared`. */
export function labOnly(name: string): string | undefined {
  return existsSync(lab(name)) ? lab(name) : undefined;
}
