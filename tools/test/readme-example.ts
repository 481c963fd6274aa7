import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the ```js example block of a package README under plain Node ESM, from the package folder (so the package
 * resolves to its built dist/ by name), and returns what it printed. Keeps README examples from rotting.
 */
export function runReadmeExample(packageDir: string): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const match = /```js example\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error(`${packageDir}/README.md has no \`\`\`js example block`);
  const file = join(packageDir, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, match[1]);
  try {
    return execFileSync(process.execPath, [file], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(file, { force: true });
  }
}
