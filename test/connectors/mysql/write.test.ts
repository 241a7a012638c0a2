import { describe, expect, it } from 'vitest';
import { openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import type { IntegrityCheck, TargetConnector } from '../../../src/connectors/connector.js';
import type { Table } from '../../../src/schema/model.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { mysqlSourceAndTarget } from '../../support/mysql-connector.js';
import { collect } from './helpers.js';

const SOURCE_DDL = `
  CREATE TABLE customer (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL, vip TINYINT(1) NOT NULL DEFAULT 0,
    UNIQUE KEY uq_email (email)
  );
  CREATE TABLE orders (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED, total DECIMAL(10,2) NOT NULL,
    status ENUM('new','paid') NOT NULL, tags SET('a','b'), meta JSON, placed TIMESTAMP(3) NULL, shipped DATETIME ON UPDATE CURRENT_TIMESTAMP,
    flags BIT(3), doc BLOB, loc POINT, note TEXT, total_x2 DECIMAL(11,2) AS (total * 2) STORED,
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE SET NULL,
    CONSTRAINT ck_total CHECK (total >= 0),
    KEY ix_placed (placed)
  );
  CREATE TABLE pair (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b));
  CREATE TABLE pair_ref (id INT PRIMARY KEY, a INT, b INT, FOREIGN KEY (a, b) REFERENCES pair (a, b));
`;

function batches(columns: string[], rows: unknown[][], size = 2): AsyncIterable<RowBatch> {
  return (async function* () {
    for (let i = 0; i < rows.length; i += size) yield { columns, rows: rows.slice(i, i + size) as RowBatch['rows'] };
  })();
}

const ORDER_COLS = ['id', 'customer_id', 'total', 'status', 'tags', 'meta', 'placed', 'shipped', 'flags', 'doc', 'loc', 'note'];
const ORDER_ROWS = [
  [1, 1, '10.50', 'new', ['a', 'b'], { k: 'v\t"q"', n: [1, null] }, '2024-01-02 03:04:05.678+00', '2024-01-02 03:04:05', '101', new Uint8Array([0, 9, 10, 13, 92, 255]), 'POINT(3 4)', 'line1\nline2\\back\ttab'],
  [2, null, '0.00', 'paid', [], null, null, null, null, null, null, null],
  [3, 2, '99999999.99', 'paid', ['b'], 'text json', '1999-12-31 23:59:59+00', '2038-01-19 03:14:08', '000', new Uint8Array([]), 'POINT(0 0)', '\\N'],
];

const env = mysqlSourceAndTarget('synth_my', SOURCE_DDL);
const table = (name: string): Table => env.schema.tables.find((x) => x.name === name)!;

async function loadAll(tgt: TargetConnector, runId: string) {
  const shadow = await tgt.createShadow(runId, env.schema);
  expect(await tgt.load(shadow, table('customer'), batches(['id', 'email', 'vip'], [[1, 'a@x.io', true], [2, 'b@x.io', false]]))).toBe(2);
  const progress: number[] = [];
  expect(await tgt.load(shadow, table('orders'), batches(ORDER_COLS, ORDER_ROWS), (n) => progress.push(n))).toBe(3);
  expect(progress).toEqual([2, 3]);
  await tgt.load(shadow, table('pair'), batches(['a', 'b'], [[1, 1], [1, 2]]));
  await tgt.load(shadow, table('pair_ref'), batches(['id', 'a', 'b'], [[1, 1, 2], [2, null, 99]]));
  return shadow;
}

describe.each([
  ['LOAD DATA LOCAL INFILE', false],
  ['multi-row INSERT fallback', true],
])('mysql target load via %s', (_label, forceInsert) => {
  it('loads every type losslessly into a shadow and reads it back', async () => {
    const warnings: string[] = [];
    const tgt = await openMysqlTarget(env.target.url, { forceInsert, logger: (m) => warnings.push(m) });
    try {
      const shadow = await loadAll(tgt, 'r1');
      expect(shadow.namespaces).toEqual([{ live: env.target.name, shadow: `${env.target.name}__synth_shadow_r1` }]);
      expect(await tgt.countRows(shadow, table('orders'))).toBe(3);
      const back = await collect(tgt.readRows(shadow, table('orders'), { columns: [...ORDER_COLS, 'total_x2'] }));
      back.sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(back.map((r) => r.slice(0, ORDER_COLS.length))).toEqual(ORDER_ROWS);
      expect(back.map((r) => r[ORDER_COLS.length])).toEqual(['21.00', '0.00', '199999999.98']);
      expect(warnings).toEqual([]);
      // No keys yet but the primary keys of tables whose keys are generated in order (integer keys, not a foreign
      // key): the shadow takes rows that finalize would refuse, except a repeated primary key there (below).
      const cols = await env.target.query<{ k: string }>(`SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, '.', CONSTRAINT_TYPE) ORDER BY TABLE_NAME) AS k FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND NOT (CONSTRAINT_TYPE = 'CHECK' AND CONSTRAINT_NAME = 'meta')`, [shadow.namespaces[0]!.shadow]);
      expect(cols[0]!.k).toBe('customer.PRIMARY KEY,orders.PRIMARY KEY,pair_ref.PRIMARY KEY');
    } finally {
      await tgt.close();
    }
  });

  it('refuses a repeated primary key as it loads (the key exists in the shadow), naming the table and the key', async () => {
    const tgt = await openMysqlTarget(env.target.url, { forceInsert });
    try {
      const shadow = await tgt.createShadow('rd', env.schema);
      // The repeat in the first statement into the empty table: MariaDB's bulk insert (both checks off) would drop
      // it and every other row of the statement without an error (INSERT) or with a mere warning (LOAD DATA).
      const rows = Array.from({ length: 300 }, (_, i) => [i + 1, `c${i}@x.io`, false]);
      rows.splice(150, 0, [17, 'again@x.io', true]);
      const err = await tgt.load(shadow, table('customer'), batches(['id', 'email', 'vip'], rows, 1000)).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED', table: 'customer' });
      expect((err as Error).message).toMatch(/customer.*(repeat|Duplicate).*PRIMARY/s);
      expect((err as { hint?: string }).hint).toMatch(/live database is unchanged/);
    } finally {
      await tgt.close();
    }
  });
});

describe('mysql target', () => {
  it('falls back to INSERTs, warning once, when the server refuses local infile', async () => {
    const warnings: string[] = [];
    const tgt = await openMysqlTarget(env.target.url, { localInfile: false, logger: (m) => warnings.push(m) });
    try {
      const shadow = await loadAll(tgt, 'rf');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/LOAD DATA LOCAL INFILE/);
      const back = await collect(tgt.readRows(shadow, table('orders'), { columns: ORDER_COLS }));
      back.sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(back).toEqual(ORDER_ROWS);
    } finally {
      await tgt.close();
    }
  });

  it('refuses values that do not fit instead of letting LOAD DATA truncate them', async () => {
    const tgt = await openMysqlTarget(env.target.url);
    try {
      const shadow = await tgt.createShadow('r2', env.schema);
      await expect(tgt.load(shadow, table('customer'), batches(['id', 'email', 'vip'], [[1, 'x'.repeat(150), true]]))).rejects.toMatchObject({ code: 'LOAD_FAILED', table: 'customer' });
    } finally {
      await tgt.close();
    }
  });

  it('fails the load (without hanging) when the batch stream throws midway', async () => {
    for (const forceInsert of [false, true]) {
      const tgt = await openMysqlTarget(env.target.url, { forceInsert });
      try {
        const shadow = await tgt.createShadow(`boom${forceInsert ? 'i' : 'l'}`, env.schema);
        const failing = (async function* () {
          yield { columns: ['id', 'email', 'vip'], rows: [[1, 'a@x.io', true]] } as RowBatch;
          throw new Error('generator exploded');
        })();
        await expect(tgt.load(shadow, table('customer'), failing)).rejects.toThrow(/generator exploded/);
        // The connection pool is still usable afterwards.
        expect(await tgt.countRows(shadow, table('orders'))).toBe(0);
      } finally {
        await tgt.close();
      }
    }
  });

  it('applies deferred updates through a temporary table', async () => {
    const tgt = await openMysqlTarget(env.target.url);
    try {
      const shadow = await loadAll(tgt, 'r3');
      const n = await tgt.update(shadow, table('orders'), (async function* () {
        yield { keyColumns: ['id'], setColumns: ['customer_id', 'note'], rows: [[2, 2, 'set later'], [3, 1, null]] };
      })());
      expect(n).toBe(2);
      const rows = await env.target.query<{ id: number; customer_id: number; note: string | null }>(`SELECT id, customer_id, note FROM \`${shadow.namespaces[0]!.shadow}\`.orders ORDER BY id`);
      expect(rows.map((r) => [r.id, r.customer_id, r.note])).toEqual([[1, 1, 'line1\nline2\\back\ttab'], [2, 2, 'set later'], [3, 1, null]]);
    } finally {
      await tgt.close();
    }
  });

  it('counts planted violations in SQL', async () => {
    const tgt = await openMysqlTarget(env.target.url);
    try {
      const shadow = await loadAll(tgt, 'r4');
      const sh = shadow.namespaces[0]!.shadow;
      await env.target.exec(`
        INSERT INTO \`${sh}\`.customer VALUES (3, 'a@x.io', 0), (4, 'a@x.io', 0), (5, 'b@x.io', 1);
        INSERT INTO \`${sh}\`.orders (id, customer_id, total, status) VALUES (10, 77, '-1.00', 'new'), (11, 78, '5.00', 'new');
        INSERT INTO \`${sh}\`.pair_ref VALUES (3, 5, 5), (4, 5, NULL);
      `);
      const orders = table('orders');
      const checks: IntegrityCheck[] = [
        { kind: 'orphan', table: orders, foreignKey: orders.foreignKeys[0]! },
        { kind: 'orphan', table: table('pair_ref'), foreignKey: table('pair_ref').foreignKeys[0]! },
        { kind: 'duplicate', table: table('customer'), columns: ['email'], constraint: 'uq_email', nullsDistinct: true },
        { kind: 'duplicate', table: table('customer'), columns: ['id'], constraint: 'PRIMARY', nullsDistinct: true },
        { kind: 'not-null', table: orders, column: 'customer_id' },
        { kind: 'check', table: orders, constraint: 'ck_total', expression: orders.checks[0]!.expression, dialect: 'mysql' },
        // PostgreSQL SQL is translated (total > 0: the -1.00 row and the loaded 0.00 row) where it can be, else skipped.
        { kind: 'check', table: orders, constraint: 'pg', expression: 'total::numeric > 0', dialect: 'postgres' },
        { kind: 'check', table: orders, constraint: 'pg_regex', expression: "status ~ '^n'::text", dialect: 'postgres' },
      ];
      const res = await tgt.countViolations(shadow, checks);
      expect(res.map((r) => r.violations)).toEqual([2, 1, 3, 0, 1, 1, 2, 0]);
      expect(res[7]!.skipped).toMatch(/CHECK pg_regex is not copied to mysql/);
      expect(res.slice(0, 7).every((r) => r.skipped === undefined)).toBe(true);
    } finally {
      await tgt.close();
    }
  });

  it('finalize adds keys, uniques, checks, FKs, indexes and AUTO_INCREMENT = max + 1', async () => {
    const tgt = await openMysqlTarget(env.target.url);
    try {
      const shadow = await loadAll(tgt, 'r5');
      await tgt.finalize(shadow, env.schema);
      const sh = shadow.namespaces[0]!.shadow;
      const cons = await env.target.query<{ TABLE_NAME: string; CONSTRAINT_NAME: string; CONSTRAINT_TYPE: string }>(
        `SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? ORDER BY 1, 2`, [sh]);
      const got = cons.map((c) => `${c.TABLE_NAME}.${c.CONSTRAINT_NAME}:${c.CONSTRAINT_TYPE}`);
      expect(got).toEqual(expect.arrayContaining([
        'customer.PRIMARY:PRIMARY KEY', 'customer.uq_email:UNIQUE', 'orders.PRIMARY:PRIMARY KEY',
        'orders.fk_orders_customer:FOREIGN KEY', 'orders.ck_total:CHECK', 'pair.PRIMARY:PRIMARY KEY', 'pair_ref.PRIMARY:PRIMARY KEY',
      ]));
      expect(got.filter((g) => g.startsWith('pair_ref.') && g.endsWith('FOREIGN KEY'))).toHaveLength(1);
      const onUpdate = await env.target.query<{ EXTRA: string }>(`SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'shipped'`, [sh]);
      expect(onUpdate[0]!.EXTRA.toLowerCase()).toContain('on update current_timestamp');
      const idx = await env.target.query(`SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders' AND INDEX_NAME = 'ix_placed'`, [sh]);
      expect(idx).toHaveLength(1);
      const ai = await env.target.query<{ TABLE_NAME: string; AUTO_INCREMENT: number }>(`SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ('customer', 'orders') ORDER BY 1`, [sh]);
      expect(ai.map((r) => Number(r.AUTO_INCREMENT))).toEqual([3, 4]);
      // The constraints are real: the engine now refuses what validation counted.
      await expect(env.target.exec(`INSERT INTO \`${sh}\`.orders (customer_id, total, status) VALUES (1, -5, 'new')`)).rejects.toThrow(/CONSTRAINT/i);
      await expect(env.target.exec(`INSERT INTO \`${sh}\`.orders (customer_id, total, status) VALUES (99, 5, 'new')`)).rejects.toThrow(/foreign key/i);
    } finally {
      await tgt.close();
    }
  });
});
