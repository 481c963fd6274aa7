import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from './fixtures/index.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

// The built package (and the built run-core) must work under plain Node ESM without the source condition: this
// catches CommonJS-interop mistakes (protobufjs is CommonJS). `pnpm test` builds first.
describe('built dist/', () => {
  it('reads a real .mlpackage and explains CoreML off macOS, under plain Node', () => {
    const script = `
      import { readCoreMLSpec, loadBinding } from '@llama-pajamas/run-coreml';
      const spec = await readCoreMLSpec(${JSON.stringify(fixtures.flexible)});
      let code = 'loaded';
      try { loadBinding(); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ shapes: spec.inputs[0].shapes, ranges: spec.inputs[1].ranges, code }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
      shapes: [
        [1, 4],
        [2, 4],
        [4, 4],
      ],
      ranges: [
        { min: 1, max: 16 },
        { min: 4, max: 4 },
      ],
      code: process.platform === 'darwin' ? 'loaded' : 'ERR_RUN_COREML_UNSUPPORTED_PLATFORM',
    });
  });
});
