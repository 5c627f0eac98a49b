// Vitest configuration: tests under test/, real engines provisioned once per run by test/global-setup.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
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
