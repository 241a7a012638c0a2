/**
 * Who runs a run and whether it is still alive: the host and pid of its process, a heartbeat the process refreshes
 * while it works, and the stage it reached. A run whose process died (kill -9, power loss) is then recognisable and
 * marked `abandoned` instead of staying `running` forever; an interrupted run names the stage it stopped in.
 */
import type { Knex } from 'knex';
import type { MigrationContext } from './index.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).alterTable('runs', (t) => {
    t.string('host', 255).nullable();
    t.integer('pid').nullable();
    t.datetime('heartbeat_at', { precision: 3 }).nullable();
    t.string('stage', 64).nullable();
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).alterTable('runs', (t) => {
    t.dropColumn('host');
    t.dropColumn('pid');
    t.dropColumn('heartbeat_at');
    t.dropColumn('stage');
  });
}
