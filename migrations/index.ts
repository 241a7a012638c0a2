/**
 * The ordered list of state-database migrations. Loaded through a custom knex `migrationSource` (see
 * src/scheduler/state-migrations.ts) rather than knex's directory scan, so the same modules run under tsx,
 * vitest and a bundled build without knex having to guess how to import TypeScript.
 */
import type { Knex } from 'knex';
import * as initial from './20261123000000_initial.js';
import * as privacyDetail from './20261123010000_privacy_detail.js';
import * as piiKeys from './20261206000000_pii_keys.js';
import * as runLiveness from './20261206010000_run_liveness.js';

export interface MigrationContext {
  /** PostgreSQL/PGlite schema holding the tables, or null for MySQL (the connection's database). */
  schema: string | null;
}

export interface StateMigration {
  name: string;
  up(knex: Knex, ctx: MigrationContext): Promise<void>;
  down(knex: Knex, ctx: MigrationContext): Promise<void>;
}

/** Append only: a released migration is never edited, a change is a new entry. */
export const migrations: StateMigration[] = [
  { name: '20261123000000_initial', ...initial },
  { name: '20261123010000_privacy_detail', ...privacyDetail },
  { name: '20261206000000_pii_keys', ...piiKeys },
  { name: '20261206010000_run_liveness', ...runLiveness },
];
