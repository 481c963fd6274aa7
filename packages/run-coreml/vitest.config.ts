import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// test/darwin/** needs macOS (the real CoreML framework): it is not even collected elsewhere, so that a Linux CI
// run, where a skipped test fails the run, has nothing platform-gated to skip.
const darwin = process.platform === 'darwin';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'run-coreml',
      include: darwin ? ['test/**/*.test.ts'] : ['test/*.test.ts'],
    },
  }),
);
