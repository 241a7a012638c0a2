/**
 * The PII transform key synth manages per source when the user configures none: stored once, so keyed fakes stay
 * the same across runs (joins on transformed emails keep working) without the user handling a secret.
 */
import type { Knex } from 'knex';
import type { MigrationContext } from './index.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).createTable('pii_keys', (t) => {
    t.string('source_fingerprint', 64).primary();
    t.text('secret').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).dropTableIfExists('pii_keys');
}
