/**
 * The shared sample databases (../shared/datasets: chinook, northwind, world) for the benchmarks that hydrate
 * them. Benchmarks only: tests never depend on ../shared.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { recreateDatabase } from './pg-fixture.js';

export const PG_SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
export const MYSQL_SERVER = process.env.SYNTH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const DATASET_LOADER = resolve(process.cwd(), '../shared/datasets/load.sh');

export type Engine = 'pg' | 'mysql';

/** Null when ../shared/datasets is not beside the checkout; the benchmark then reports itself skipped. */
export function datasetsMissing(): string | null {
  return existsSync(DATASET_LOADER) ? null : `no ${DATASET_LOADER}`;
}

/** Loads a sample database into database `db` (dropped and recreated); returns its URL. */
export function loadDataset(name: string, engine: Engine, db: string): string {
  execFileSync('bash', [DATASET_LOADER, name, engine], { env: { ...process.env, DB: db, PGHOST: '127.0.0.1', PGUSER: 'postgres' }, stdio: 'ignore' });
  return engine === 'pg' ? `${PG_SERVER}/${db}` : `${MYSQL_SERVER}/${db}`;
}

/** An empty database (dropped first if it exists); returns its URL. */
export async function freshDatabase(engine: Engine, name: string): Promise<string> {
  if (engine === 'pg') return recreateDatabase(PG_SERVER, name);
  const c = await mysql.createConnection({ uri: MYSQL_SERVER });
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await c.end();
  }
  return `${MYSQL_SERVER}/${name}`;
}
