/** A knex MigrationSource over our own migration modules, bound to the schema the state lives in. */
import type { Knex } from 'knex';
import { migrations, type MigrationContext, type StateMigration } from '../../migrations/index.js';

export function stateMigrationSource(ctx: MigrationContext): Knex.MigrationSource<StateMigration> {
  return {
    getMigrations: async () => migrations,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({
      up: (knex: Knex) => m.up(knex, ctx),
      down: (knex: Knex) => m.down(knex, ctx),
    }),
  };
}
