/**
 * Keeps the mechanism-level charges behind each privacy spend (e.g. the RDP accountant's ledger entries), so
 * later runs can compose across runs more tightly than the summed (ε, δ) of basic composition.
 */
import type { Knex } from 'knex';
import type { MigrationContext } from './index.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).alterTable('privacy_ledger', (t) => {
    t.text('detail').nullable();
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).alterTable('privacy_ledger', (t) => {
    t.dropColumn('detail');
  });
}
