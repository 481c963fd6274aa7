import { defineConfig } from 'tsup';

export default defineConfig([
  // The Fastify plugin (Node).
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'node20',
  },
  // The page: one browser bundle and one stylesheet, plus the static files in src/app/public (index.html, icon).
  {
    entry: { app: 'src/app/main.ts', style: 'src/app/style.css' },
    outDir: 'dist/app',
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    dts: false,
    publicDir: 'src/app/public',
    tsconfig: 'src/app/tsconfig.json',
  },
]);
