#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one workspace-wide line that CI reads:
//   "N passed, N failed, N skipped"
// Each package's Vitest writes .reports/vitest.json (see vitest.shared.ts); stale reports are removed first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir).filter((name) => existsSync(join(packagesDir, name, 'package.json')));
const reportOf = (name) => join(packagesDir, name, '.reports', 'vitest.json');

for (const name of packages) rmSync(reportOf(name), { force: true });

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--continue', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
// Tests whose describe title carries LAB_ONLY need files that are never committed (licence) and exist only in a
// ../shared lab folder beside the checkout; where there is none, their skips are expected, not a missing set-up.
const LAB_ONLY = '[needs ../shared]';
const hasLab = existsSync(join(root, '..', 'shared'));
let labSkipped = 0;
const missing = [];
for (const name of packages) {
  const pkg = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  if (!existsSync(reportOf(name))) {
    missing.push(name);
    continue;
  }
  const report = JSON.parse(readFileSync(reportOf(name), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if ((t.status === 'pending' || t.status === 'skipped') && t.fullName.includes(LAB_ONLY)) labSkipped++;
    }
  }
  console.log(
    `${name.padEnd(14)} ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`,
  );
}
if (missing.length > 0)
  console.log(`no test report from: ${missing.join(', ')} (their test run crashed before reporting)`);
// In CI every optional dependency is installed (tools/test/setup-test-deps.sh), so a skipped test means a
// set-up step silently failed: fail the run rather than pass with less tested.
const unexpectedSkips = skipped - (hasLab ? 0 : labSkipped);
const skipsFail = process.env.CI === 'true' && unexpectedSkips > 0;
if (!hasLab && labSkipped > 0) console.log(`${labSkipped} test(s) need a ../shared lab folder, and there is none.`);
if (skipsFail) {
  console.log(`CI=true and ${unexpectedSkips} test(s) were skipped: a test dependency is missing (see above).`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status === 0 && failed === 0 && missing.length === 0 && !skipsFail ? 0 : 1);
