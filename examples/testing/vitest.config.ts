// The example user's vitest configuration: engines once per run, an isolated database per test file, files in parallel.
import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In this repository `dbkit/...` resolves to its TypeScript sources (the `dbkit-source` export
  // condition); in your project, leave this out and import the installed package.
  // Vitest's own defaults (Vite's server conditions without `module`) plus that one.
  ssr: {
    resolve: { conditions: [...defaultServerConditions.filter((c) => c !== 'module'), 'dbkit-source'] },
  },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['tests/**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    // files run in parallel, each in its own database, schema or table
    fileParallelism: true,
    hookTimeout: 120_000,
    // a fixed secret for pagination cursors, so dbkit does not warn about its development default
    env: { DBKIT_CURSOR_SECRET: 'example-suite-cursor-secret-0123456789' },
    testTimeout: 30_000,
  },
});
