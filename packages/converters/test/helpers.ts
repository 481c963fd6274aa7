import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { converterVenvDir, ensureConverterEnv, PYTHON_DIR, type ConverterEnv } from '../src/index.js';
import { runProcess } from '../src/process.js';
import { asset } from '../../../tools/test/assets.js';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** Real photos and speech from Debian packages (tools/test/fetch-test-media.sh). */
export const IMAGES = asset('media/images');
export const SPEECH = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');
export const SOURCES = join(REPO, 'packages', 'converters', '.cache', 'sources');

/** True when a converter environment exists (CI makes it with tools/test/setup-converters.sh). */
export async function envAvailable(): Promise<boolean> {
  if (process.env.LLAMA_PAJAMAS_CONVERTERS_PYTHON) return true;
  return existsSync(join(await converterVenvDir(), '.llama-pajamas-stamp.json'));
}

/** The environment, and the tiny random-weight sources made by tools/fixtures/converters/make_sources.py. */
export async function sources(): Promise<ConverterEnv> {
  const env = await ensureConverterEnv();
  if (!existsSync(join(SOURCES, 'SOURCES.json'))) {
    const r = await runProcess(env.python, [join(REPO, 'tools/fixtures/converters/make_sources.py'), SOURCES], {
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, YOLO_OFFLINE: '1' },
      timeoutMs: 600_000,
    });
    if (r.exitCode !== 0) throw new Error(`make_sources.py failed:\n${r.stderr}`);
  }
  return env;
}
