// Vitest configuration: tests under test/, real engines provisioned once per run by test/global-setup.ts.
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `dbkit`, `dbkit/dynamo`, ... (examples/, bench/) resolve to src/*.ts through the `dbkit-source`
  // export condition, so tests need no build. Never a condition for consumers: the package ships dist/ only.
  // Vitest's own defaults (Vite's server conditions without `module`) plus that one.
  ssr: {
    resolve: { conditions: [...defaultServerConditions.filter((c) => c !== 'module'), 'dbkit-source'] },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Fails a file whose errors carry codes outside the registry (src/core/error-codes.ts).
    setupFiles: ['test/setup/error-code-audit.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The JSON report feeds the `N passed, N failed, N skipped` line printed by .ci/run.
    reporters: [
      'default',
      ['json', { outputFile: process.env['DBKIT_TEST_REPORT'] ?? '.dbkit/vitest-results.json' }],
    ],
  },
});
