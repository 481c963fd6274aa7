import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/families.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // An optional dependency (tsup bundles those by default): loaded from node_modules, with its native binary.
  external: ['koffi'],
});
