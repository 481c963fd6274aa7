// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const SRC = 'packages/*/src/**/*.ts';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'tools/fixtures/**', '**/*.d.ts', '**/.venv/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Library sources: no console output; dependency direction enforced per package.
  { files: [SRC], rules: { 'no-console': 'error' } },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vitest'],
          // Documented subpaths (package.json "exports") are public; anything else is a deep import.
          patterns: [
            {
              group: ['@llama-pajamas/*/*', '!@llama-pajamas/run-core/families', '!@llama-pajamas/run-core/workers'],
              message: 'No deep imports into another package.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/run-core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['onnxruntime-node', 'fastify', 'vitest'],
          patterns: [{ group: ['@llama-pajamas/*'], message: 'run-core imports no other package of ours.' }],
        },
      ],
    },
  },
  {
    files: ['packages/models/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['onnxruntime-node', 'fastify', 'vitest'],
          patterns: [
            {
              group: ['@llama-pajamas/run-onnx', '@llama-pajamas/run-server', '@llama-pajamas/run-coreml'],
              message: 'The model manager depends on run-core only; the cli composes it with runtimes.',
            },
            { group: ['@llama-pajamas/*/*'], message: 'No deep imports into another package.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/run-server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['onnxruntime-node', 'vitest'],
          patterns: [
            {
              group: ['@llama-pajamas/run-onnx', '@llama-pajamas/run-coreml', '@llama-pajamas/run-llama'],
              message: 'run-server is handed backends; only the cli composes runtimes.',
            },
            {
              group: ['@llama-pajamas/*/*', '!@llama-pajamas/run-core/workers'],
              message: 'No deep imports into another package.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/playground/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vitest', 'onnxruntime-node'],
          patterns: [
            {
              group: ['@llama-pajamas/run-onnx', '@llama-pajamas/run-coreml', '@llama-pajamas/run-server'],
              message: 'The playground is served next to the API and talks to it over HTTP only.',
            },
            { group: ['@llama-pajamas/*/*'], message: 'No deep imports into another package.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/playground/src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fastify', '@llama-pajamas/*'],
              message: 'The page runs in the browser: public HTTP API only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'tools/**/*.ts', 'tools/**/*.mjs'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
