#!/usr/bin/env node
// The `dbkit` command-line entry point.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { enginesCommand } from './engines-command.js';
import { backfillCommand } from './backfill-command.js';
import { iamCommand } from './iam-command.js';
import { migrateCommand } from './migrate-command.js';
import { syncCommand } from './sync-command.js';

function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
      ? pkg.version
      : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const program = new Command('dbkit')
  .description('dbkit: production-grade data access for DynamoDB, MongoDB and SQL through Prisma')
  .version(version());
program.addCommand(enginesCommand());
program.addCommand(iamCommand());
program.addCommand(migrateCommand());
program.addCommand(backfillCommand());
program.addCommand(syncCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`dbkit: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
