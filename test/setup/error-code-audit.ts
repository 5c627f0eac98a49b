// Every dbkit error a test file constructs must carry a registered code whose family allows its kind (src/core/error-codes.ts).
import { afterAll, expect } from 'vitest';
import { codeProblem } from '../../src/core/error-codes.js';
import type { DbkitError } from '../../src/core/errors.js';

const violations = new Map<string, string>();
(globalThis as Record<symbol, unknown>)[Symbol.for('dbkit.errorCodeAudit')] = (error: DbkitError) => {
  const problem = codeProblem(error.code, error.kind);
  if (problem !== undefined) violations.set(`${error.kind} ${error.code}`, problem);
};

afterAll(() => {
  expect(Object.fromEntries(violations), 'errors constructed with codes outside the registry').toEqual({});
});
