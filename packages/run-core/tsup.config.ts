import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    families: 'src/families.ts',
    workers: 'src/workers.ts',
    // The worker threads' entry: beside the chunk that starts them (dist/), found by URL at run time.
    'worker-entry': 'src/workers/worker-entry.ts',
  },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // An optional dependency (tsup bundles those by default): loaded from node_modules, with its native binary.
  external: ['koffi'],
});
