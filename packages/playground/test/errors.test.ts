import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PLAYGROUND_ERROR_CODES, PlaygroundAssetsMissingError } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('the playground error codes', () => {
  it('each has a three-column row in docs/errors.md, and the page lists no other ERR_RUN_PLAYGROUND_ code', () => {
    const documented = [...docs.matchAll(/^\|\s*`(ERR_RUN_PLAYGROUND_[A-Z_]+)`\s*\|(.*)$/gm)];
    expect(documented.map((m) => m[1]).sort()).toEqual([...PLAYGROUND_ERROR_CODES].sort());
    for (const m of documented) expect(m[2]!.split('|').filter((c) => c.trim()).length).toBe(2);
  });

  it('builds its message from typed arguments', () => {
    const e = new PlaygroundAssetsMissingError({ dir: '/x/dist/app', file: 'app.js' });
    expect(e.message).toMatchInlineSnapshot(
      `"The playground page is not built: app.js is missing from /x/dist/app. Expected the files that \`pnpm --filter @llama-pajamas/playground build\` writes to dist/app/. Build the package (or reinstall it from npm), or serve without the playground (\`--no-playground\`)."`,
    );
    expect(e).toMatchObject({ name: 'PlaygroundAssetsMissingError', code: 'ERR_RUN_PLAYGROUND_ASSETS_MISSING' });
  });
});
