import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the ```js example block of a package README under plain Node ESM, from a scratch folder inside the package
 * (so the package resolves to its built dist/ by name), and returns what it printed. Keeps README examples from
 * rotting. `files` maps the bare file names the example opens (`dog.jpg`) to the real test files, linked into the
 * scratch folder: a README on npm cannot point into this repository's test data.
 */
export function runReadmeExample(packageDir: string, files: Readonly<Record<string, string>> = {}): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const match = /```js example\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error(`${packageDir}/README.md has no \`\`\`js example block`);
  const dir = join(packageDir, `.readme-example-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const [name, target] of Object.entries(files)) symlinkSync(target, join(dir, name));
    writeFileSync(join(dir, 'example.mjs'), match[1]);
    return execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
