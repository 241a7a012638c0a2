/**
 * First state-database schema. Times are `datetime(3)` (MySQL) / `timestamptz(3)` (PostgreSQL): written and read
 * as UTC by the state store. JSON payloads are plain text so every dialect (and PGlite) round-trips them alike.
 */
import type { Knex } from 'knex';
import type { MigrationContext } from './index.js';

const TABLES = ['privacy_ledger', 'model_artifacts', 'quality_results', 'validation_results', 'run_steps', 'runs'];

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const s = () => (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema));
  const time = (t: Knex.CreateTableBuilder, name: string) => t.datetime(name, { precision: 3 });

  await s().createTable('runs', (t) => {
    t.string('id', 64).primary();
    t.string('kind', 32).notNullable();
    t.string('source_url', 1024).nullable();
    t.string('target', 255).notNullable();
    t.string('status', 16).notNullable();
    time(t, 'started_at').notNullable();
    time(t, 'finished_at').nullable();
    t.string('error_code', 64).nullable();
    t.text('error_message').nullable();
    t.string('seed', 64).nullable();
    t.string('config_hash', 128).nullable();
    t.index(['target', 'started_at'], 'runs_target_started_idx');
  });

  await s().createTable('run_steps', (t) => {
    t.bigIncrements('id').primary();
    t.string('run_id', 64).notNullable().references('id').inTable(qualified(ctx, 'runs')).onDelete('CASCADE');
    t.string('table_name', 255).nullable();
    t.string('step', 16).notNullable();
    time(t, 'started_at').notNullable();
    time(t, 'finished_at').nullable();
    t.bigInteger('rows').nullable();
    t.double('rows_per_sec').nullable();
    t.text('detail').nullable();
    t.index(['run_id'], 'run_steps_run_idx');
  });

  await s().createTable('validation_results', (t) => {
    t.bigIncrements('id').primary();
    t.string('run_id', 64).notNullable().references('id').inTable(qualified(ctx, 'runs')).onDelete('CASCADE');
    t.string('table_name', 255).nullable();
    t.string('check_kind', 32).notNullable();
    t.string('constraint_name', 255).nullable();
    t.bigInteger('violations').notNullable();
    t.text('skipped').nullable();
    t.text('detail').nullable();
    t.index(['run_id'], 'validation_results_run_idx');
  });

  await s().createTable('quality_results', (t) => {
    t.bigIncrements('id').primary();
    t.string('run_id', 64).notNullable().references('id').inTable(qualified(ctx, 'runs')).onDelete('CASCADE');
    t.string('table_name', 255).nullable();
    t.double('score').nullable();
    t.text('report').notNullable();
    t.index(['run_id'], 'quality_results_run_idx');
  });

  await s().createTable('model_artifacts', (t) => {
    t.bigIncrements('id').primary();
    t.string('source_fingerprint', 128).notNullable();
    t.string('table_name', 255).notNullable();
    t.string('location', 2048).notNullable();
    time(t, 'created_at').notNullable();
    t.string('schema_hash', 128).notNullable();
    t.string('sample_hash', 128).nullable();
    t.string('run_id', 64).nullable();
    t.index(['source_fingerprint', 'created_at'], 'model_artifacts_fp_idx');
  });

  await s().createTable('privacy_ledger', (t) => {
    t.bigIncrements('id').primary();
    t.string('source_fingerprint', 128).notNullable();
    t.string('run_id', 64).nullable();
    t.string('table_name', 255).nullable();
    t.double('epsilon').notNullable();
    t.double('delta').notNullable();
    t.string('mechanism', 64).notNullable();
    time(t, 'created_at').notNullable();
    t.index(['source_fingerprint'], 'privacy_ledger_fp_idx');
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  for (const name of TABLES) {
    await (ctx.schema === null ? knex.schema : knex.schema.withSchema(ctx.schema)).dropTableIfExists(name);
  }
}

function qualified(ctx: MigrationContext, table: string): string {
  return ctx.schema === null ? table : `${ctx.schema}.${table}`;
}
