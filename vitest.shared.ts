import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Shared Vitest settings for every package. Each package's `vitest.config.ts` merges this.
 * The JSON report feeds `tools/test/run-all.mjs`, which prints the workspace-wide `N passed, N failed` line.
 */
export default defineConfig({
  // Resolve workspace packages to their TypeScript sources (see each package.json's exports).
  resolve: { conditions: ['@llama-pajamas/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@llama-pajamas/source', ...defaultServerConditions] } },
  test: {
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
});
