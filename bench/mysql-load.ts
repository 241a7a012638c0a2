/**
 * MySQL load throughput: 1M generated rows through the connector (`openMysqlTarget(...).load` into a shadow
 * table: neutral values → wire text → streamed LOAD DATA LOCAL INFILE) next to a raw LOAD DATA LOCAL INFILE of
 * the same rows (same columns, same tab-separated contents, read from a file through mysql2's
 * `infileStreamFactory`) on the same machine. Prints rows/s for both and peak RSS.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import mysql from 'mysql2/promise';
import { openMysqlTarget } from '../src/connectors/mysql/index.js';
import type { Column, DatabaseSchema, NeutralType, Table } from '../src/schema/model.js';
import type { Row, RowBatch } from '../src/schema/values.js';

const SERVER = process.env.SYNTH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const DATABASE = 'synth_bench_mysql_load';
const ROWS = Number(process.env.SYNTH_BENCH_MYSQL_ROWS ?? 1_000_000);
const BATCH = 10_000;

const COLUMNS_SQL = `id BIGINT NOT NULL, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, status VARCHAR(16) NOT NULL,
  created_at DATETIME(6) NOT NULL, paid TINYINT(1) NOT NULL, note VARCHAR(80) NULL`;

const col = (name: string, type: NeutralType, nativeType: string, nullable = false): Column => ({
  name, type, nativeType, nullable, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null,
});

const TABLE: Table = {
  schema: DATABASE, name: 'orders', primaryKey: { name: 'PRIMARY', columns: ['id'] }, uniques: [], foreignKeys: [], checks: [], indexes: [],
  partitioning: null, comment: null, estimatedRows: ROWS,
  columns: [
    col('id', { kind: 'integer', bytes: 8, unsigned: false }, 'bigint(20)'),
    col('customer_id', { kind: 'integer', bytes: 4, unsigned: false }, 'int(11)'),
    col('amount', { kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'),
    col('status', { kind: 'text', maxLength: 16, fixedLength: false }, 'varchar(16)'),
    col('created_at', { kind: 'timestamp', withTimeZone: false }, 'datetime(6)'),
    col('paid', { kind: 'boolean' }, 'tinyint(1)'),
    col('note', { kind: 'text', maxLength: 80, fixedLength: false }, 'varchar(80)', true),
  ],
};
const NAMES = TABLE.columns.map((c) => c.name);
const STATUSES = ['new', 'paid', 'paid', 'shipped', 'refunded'];

/** Row i, deterministic: the connector and the raw file carry exactly these values. */
function row(i: number): Row {
  const day = 1 + (i % 28);
  const second = i % 86400;
  const hh = String(Math.floor(second / 3600)).padStart(2, '0');
  const mm = String(Math.floor((second % 3600) / 60)).padStart(2, '0');
  const ss = String(second % 60).padStart(2, '0');
  return [
    i,
    1 + ((i * 7919) % 100_000),
    `${1 + ((i * 40503) % 50_000)}.${String(i % 100).padStart(2, '0')}`,
    STATUSES[i % STATUSES.length]!,
    `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')} ${hh}:${mm}:${ss}.${String(i % 1_000_000).padStart(6, '0')}`,
    i % 3 !== 0,
    i % 5 === 0 ? null : `note ${i % 997}`,
  ];
}

async function* batches(): AsyncGenerator<RowBatch> {
  for (let start = 1; start <= ROWS; start += BATCH) {
    const rows: Row[] = [];
    for (let i = start; i < Math.min(start + BATCH, ROWS + 1); i++) rows.push(row(i));
    yield { columns: NAMES, rows };
  }
}

/** The same rows as LOAD DATA text (tab-separated, `\N` for NULL, booleans as 0/1). */
function tsvLine(r: Row): string {
  return r.map((v) => (v === null ? '\\N' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))).join('\t') + '\n';
}

export async function benchMysqlLoad(): Promise<Record<string, number | string>> {
  const admin = await mysql.createConnection({ uri: SERVER });
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const url = `${SERVER}/${DATABASE}`;
  const dir = mkdtempSync(join(tmpdir(), 'synth-bench-mysql-'));
  try {
    // Generation alone, so its share of the connector figure is visible.
    let genStart = Date.now();
    let generated = 0;
    for await (const b of batches()) generated += b.rows.length;
    const genMs = Date.now() - genStart;
    const rssAfterGenerate = Math.round(process.resourceUsage().maxRSS / 1024);

    // Through the connector, into a shadow table created from the schema model.
    const target = await openMysqlTarget(url);
    const schema: DatabaseSchema = { dialect: 'mysql', serverVersion: '', schemas: [DATABASE], tables: [TABLE], enums: [], otherObjects: [] };
    let connRows = 0;
    let connMs = 0;
    try {
      const shadow = await target.createShadow('bench_load', schema);
      const started = Date.now();
      connRows = await target.load(shadow, TABLE, batches());
      connMs = Date.now() - started;
      const counted = await target.countRows(shadow, TABLE);
      if (counted !== ROWS) throw new Error(`connector loaded ${counted} rows, expected ${ROWS}`);
      await target.dropShadow(shadow);
    } finally {
      await target.close();
    }
    const rssAfterConnector = Math.round(process.resourceUsage().maxRSS / 1024);

    // Raw: the same rows written once to a file, then LOAD DATA LOCAL INFILE streams that file.
    const file = join(dir, 'orders.tsv');
    genStart = Date.now();
    const out = createWriteStream(file);
    for await (const b of batches()) {
      if (!out.write(b.rows.map(tsvLine).join(''))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const fileMs = Date.now() - genStart;
    const raw = await mysql.createConnection({ uri: url, flags: ['+LOCAL_FILES'] });
    let rawMs = 0;
    try {
      await raw.query(`CREATE TABLE raw_orders (${COLUMNS_SQL}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      // As the connector loads: no FK/unique checks, keys added afterwards.
      await raw.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
      const started = Date.now();
      const [result] = await raw.query({
        sql: `LOAD DATA LOCAL INFILE 'orders.tsv' INTO TABLE raw_orders CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${NAMES.map((n) => `\`${n}\``).join(', ')})`,
        infileStreamFactory: () => createReadStream(file),
      });
      rawMs = Date.now() - started;
      const info = result as { affectedRows?: number; warningStatus?: number };
      if (info.affectedRows !== ROWS || (info.warningStatus ?? 0) > 0) throw new Error(`raw load: ${info.affectedRows} rows, ${info.warningStatus} warnings`);
    } finally {
      await raw.end();
    }
    const mb = statSync(file).size / (1024 * 1024);
    return {
      rows: ROWS,
      'generate rows only s': +(genMs / 1000).toFixed(1),
      'connector load s': +(connMs / 1000).toFixed(1),
      'connector rows/s': Math.round(connRows / (connMs / 1000)),
      'raw file MiB': +mb.toFixed(1),
      'raw file write s': +(fileMs / 1000).toFixed(1),
      'raw LOAD DATA s': +(rawMs / 1000).toFixed(1),
      'raw LOAD DATA rows/s': Math.round(ROWS / (rawMs / 1000)),
      'connector / raw': +(connRows / connMs / (ROWS / rawMs)).toFixed(2),
      'peak RSS MiB (generate only)': rssAfterGenerate,
      'peak RSS MiB (connector)': rssAfterConnector,
      'peak RSS MiB (overall)': Math.round(process.resourceUsage().maxRSS / 1024),
      generated,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const a = await mysql.createConnection({ uri: SERVER });
    const [dbs] = await a.query(`SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'synth\\_bench\\_mysql\\_load%'`);
    for (const d of dbs as Array<{ s: string }>) await a.query(`DROP DATABASE IF EXISTS \`${d.s}\``);
    await a.end();
  }
}
