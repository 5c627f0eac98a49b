#!/usr/bin/env node
// Counts from vitest's JSON report (written where DBKIT_TEST_REPORT says, see vitest.config.ts), for
// the per-line results of scripts/ci-node-lines.mjs and scripts/ci-lowest.mjs and the closing line of
// .ci/run.
//
// Usage:
//   node scripts/ci-report.mjs count REPORT STATUS          `N passed, N failed, N skipped` of one run
//   node scripts/ci-report.mjs total [--failed N] SUMMARY...
//       adds up summary files ({ passed, failed, skipped }) and N more failures (e.g. a failed
//       `npm run check`) into the closing line; a missing or unreadable summary counts as one failure.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `{ passed, failed, skipped, complete }` of one `vitest run` from its JSON report and exit status.
 * A test file that failed to load has no failed assertion of its own: it counts as one failure. A run
 * that exited non-zero with nothing failed (or left no report) counts as one failure too.
 */
export function countResults(file, status) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { passed: 0, failed: status === 0 ? 0 : 1, skipped: 0, complete: false };
  }
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  let failed = (report.numFailedTests ?? 0) + brokenFiles;
  if (status !== 0 && failed === 0) failed = 1;
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    complete: true,
  };
}

export const formatCounts = ({ passed, failed, skipped }) =>
  `${passed} passed, ${failed} failed, ${skipped} skipped`;

function main([command, ...args]) {
  if (command === 'count' && args.length === 2) {
    console.log(formatCounts(countResults(args[0], Number(args[1]))));
    return 0;
  }
  if (command === 'total') {
    const totals = { passed: 0, failed: 0, skipped: 0 };
    const at = args.indexOf('--failed');
    if (at !== -1) totals.failed += Number(args.splice(at, 2)[1] ?? 0);
    for (const file of args) {
      try {
        const s = JSON.parse(readFileSync(file, 'utf8'));
        totals.passed += s.passed;
        totals.failed += s.failed;
        totals.skipped += s.skipped;
      } catch {
        console.log(`[ci] no summary at ${file}: counted as one failure`);
        totals.failed += 1;
      }
    }
    console.log(formatCounts(totals));
    return 0;
  }
  console.error('usage: node scripts/ci-report.mjs count REPORT STATUS | total [--failed N] SUMMARY...');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
