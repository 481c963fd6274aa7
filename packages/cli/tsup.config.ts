import { defineConfig } from 'tsup';

// Two entries: the library (index) and the `llama-pajamas` bin (cli.ts starts with a shebang, which tsup keeps
// and marks executable).
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
