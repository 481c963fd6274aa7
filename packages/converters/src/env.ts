import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConverterDepsMissingError, ConverterInstallError, PythonNotFoundError } from './errors.js';
import { runProcess } from './process.js';

/** The Python sources and requirements shipped with the package. */
export const PYTHON_DIR = fileURLToPath(new URL('../python', import.meta.url));
/** The pinned requirements of the converter environment. */
export const REQUIREMENTS_FILE = join(PYTHON_DIR, 'requirements.txt');
const STAMP = '.llama-pajamas-stamp.json';

/** A progress line of the set-up or of a conversion. */
export interface ConvertProgress {
  step: string;
  message: string;
  elapsedS?: number;
}

/** Where the converter environment lives and what it runs. */
export interface ConverterEnv {
  /** The venv's interpreter (or the one given). */
  python: string;
  /** The venv folder (undefined when an interpreter was given). */
  venv?: string;
  /** True when an existing environment was reused. */
  reused: boolean;
  /** Tool versions reported by the environment. */
  versions: Record<string, string>;
}

/** Options of {@link ensureConverterEnv}. */
export interface EnsureEnvOptions {
  /** Use this interpreter as it is (env LLAMA_PAJAMAS_CONVERTERS_PYTHON); no venv is made. */
  python?: string;
  /** Cache root (env LLAMA_PAJAMAS_CACHE, default ~/.cache/llama-pajamas). */
  cacheDir?: string;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
}

/** The cache root: `$LLAMA_PAJAMAS_CACHE` or `~/.cache/llama-pajamas`. */
export function cacheRoot(cacheDir?: string): string {
  return cacheDir ?? process.env.LLAMA_PAJAMAS_CACHE ?? join(homedir(), '.cache', 'llama-pajamas');
}

/** The venv folder for the current requirements: `<cache>/converters-venv-<first 12 hex of their sha256>`. */
export async function converterVenvDir(cacheDir?: string): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(REQUIREMENTS_FILE))
    .digest('hex');
  return join(cacheRoot(cacheDir), `converters-venv-${hash.slice(0, 12)}`);
}

function venvPython(venv: string): string {
  return process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
}

async function pythonVersion(cmd: string): Promise<string | undefined> {
  try {
    let out = '';
    const r = await runProcess(cmd, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'], {
      onLine: (l) => (out += l),
      timeoutMs: 30_000,
    });
    return r.exitCode === 0 ? out.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Finds a Python 3.10-3.12 (LLAMA_PAJAMAS_PYTHON, python3.11, python3.12, python3.10, python3). */
export async function findPython(): Promise<string> {
  const tried = [process.env.LLAMA_PAJAMAS_PYTHON, 'python3.11', 'python3.12', 'python3.10', 'python3'].filter(
    (c): c is string => !!c,
  );
  const found: string[] = [];
  for (const cmd of tried) {
    const v = await pythonVersion(cmd);
    if (v && ['3.10', '3.11', '3.12'].includes(v)) return cmd;
    if (v) found.push(`${cmd} (${v})`);
  }
  throw new PythonNotFoundError({ tried, found });
}

const probed = new Map<string, Record<string, string>>();

/** Asks an interpreter for the converter tool versions (once per process); undefined when coremltools/torch do not import. */
async function probe(
  python: string,
  signal?: AbortSignal,
): Promise<{ versions?: Record<string, string>; output: string }> {
  const known = probed.get(python);
  if (known) return { versions: known, output: '' };
  let result: Record<string, string> | undefined;
  let r;
  try {
    r = await runProcess(
      python,
      [
        '-c',
        'import coremltools, torch, onnxruntime; import llama_pajamas_convert.__main__ as m; m.main(["versions"])',
      ],
      {
        onLine: (l) => {
          try {
            const j = JSON.parse(l) as { event?: string; versions?: Record<string, string> };
            if (j.event === 'result') result = j.versions;
          } catch {
            /* not ours */
          }
        },
        signal,
        env: { ...process.env, PYTHONPATH: PYTHON_DIR },
        timeoutMs: 180_000,
      },
    );
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return { output: `${python} does not exist.` };
    throw e;
  }
  if (r.exitCode === 0 && result) probed.set(python, result);
  return { versions: r.exitCode === 0 ? result : undefined, output: r.stderr.split('\n').slice(-6).join('\n') };
}

/**
 * Makes sure a Python environment with the pinned converter requirements exists, creating the venv under the
 * cache folder the first time (a ~5 GB download: torch is PyPI's CUDA build) and reusing it after that (checked
 * with a stamp of the requirements' hash). Says which in `onProgress`.
 * @example
 * const env = await ensureConverterEnv({ onProgress: (p) => console.log(p.message) });
 * // reusing the converter environment in ~/.cache/llama-pajamas/converters-venv-3f2a…
 */
export async function ensureConverterEnv(options: EnsureEnvOptions = {}): Promise<ConverterEnv> {
  const say = (step: string, message: string): void => options.onProgress?.({ step, message });
  const given = options.python ?? process.env.LLAMA_PAJAMAS_CONVERTERS_PYTHON;
  if (given) {
    const p = await probe(given, options.signal);
    if (!p.versions)
      throw new ConverterDepsMissingError({ python: given, requirements: REQUIREMENTS_FILE, output: p.output });
    say('env', `using the given interpreter ${given} (coremltools ${p.versions.coremltools})`);
    return { python: given, reused: true, versions: p.versions };
  }
  const venv = await converterVenvDir(options.cacheDir);
  const python = venvPython(venv);
  const requirements = await readFile(REQUIREMENTS_FILE, 'utf8');
  const hash = createHash('sha256').update(requirements).digest('hex');
  if (existsSync(join(venv, STAMP))) {
    const stamp = JSON.parse(await readFile(join(venv, STAMP), 'utf8')) as { requirementsSha256?: string };
    if (stamp.requirementsSha256 === hash) {
      const p = await probe(python, options.signal);
      if (p.versions) {
        say('env', `reusing the converter environment in ${venv}`);
        return { python, venv, reused: true, versions: p.versions };
      }
      say('env', `the converter environment in ${venv} does not start (${p.output.trim()}); making it again`);
    }
  }
  const base = await findPython();
  say('env', `creating the converter environment in ${venv} with ${base} (first time only; about 5 GB from PyPI)`);
  await rm(venv, { recursive: true, force: true });
  await mkdir(venv, { recursive: true });
  const install = async (cmd: string, args: string[]): Promise<void> => {
    let last = '';
    const r = await runProcess(cmd, args, {
      onLine: (l) => {
        last = (last + l + '\n').slice(-4000);
        if (/^(Collecting|Downloading|Installing|Successfully)/.test(l)) say('install', l.trim());
      },
      signal: options.signal,
    });
    if (r.exitCode !== 0) {
      throw new ConverterInstallError({
        venv,
        command: [cmd, ...args],
        exitCode: r.exitCode,
        output: `${last}${r.stderr}`.slice(-4000),
      });
    }
  };
  const t0 = Date.now();
  await install(base, ['-m', 'venv', venv]);
  await install(python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--progress-bar',
    'off',
    '-r',
    REQUIREMENTS_FILE,
  ]);
  const p = await probe(python, options.signal);
  if (!p.versions) throw new ConverterDepsMissingError({ python, requirements: REQUIREMENTS_FILE, output: p.output });
  await writeFile(
    join(venv, STAMP),
    JSON.stringify(
      { requirementsSha256: hash, python: base, versions: p.versions, createdAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  say('env', `converter environment ready in ${Math.round((Date.now() - t0) / 1000)} s`);
  return { python, venv, reused: false, versions: p.versions };
}
