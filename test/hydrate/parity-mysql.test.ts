import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { dropWithBackup } from '../support/torture-mysql.js';
import { PARITY_MY_TABLES, createParityFixture } from '../support/torture-mysql-parity.js';

let source: TestDatabase;
let target: TestDatabase;
let result: HydrateResult;

const b = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/** information_schema rows of one database, the database's own name replaced so two databases compare. */
async function catalog(db: TestDatabase, view: string, columns: string, schemaColumn: string, order: string): Promise<unknown[]> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${columns} FROM information_schema.${view} WHERE ${schemaColumn} = DATABASE() ORDER BY ${order}`);
  return JSON.parse(JSON.stringify(rows).split(db.name).join('<db>')) as unknown[];
}

const CATALOG: Array<[view: string, columns: string, schemaColumn: string, order: string]> = [
  ['TABLES', 'TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, TABLE_COMMENT', 'TABLE_SCHEMA', 'TABLE_NAME'],
  [
    'COLUMNS',
    `TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION,
     NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_TYPE, COLUMN_KEY, EXTRA, COLUMN_COMMENT,
     IS_GENERATED, GENERATION_EXPRESSION`,
    'TABLE_SCHEMA', 'TABLE_NAME, ORDINAL_POSITION',
  ],
  ['STATISTICS', 'TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, NULLABLE, INDEX_TYPE, INDEX_COMMENT', 'TABLE_SCHEMA', 'TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX'],
  ['TABLE_CONSTRAINTS', 'TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE', 'TABLE_SCHEMA', 'TABLE_NAME, CONSTRAINT_NAME'],
  ['CHECK_CONSTRAINTS', 'TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE', 'CONSTRAINT_SCHEMA', 'TABLE_NAME, CONSTRAINT_NAME'],
  ['REFERENTIAL_CONSTRAINTS', 'TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, UPDATE_RULE, DELETE_RULE', 'CONSTRAINT_SCHEMA', 'TABLE_NAME, CONSTRAINT_NAME'],
  ['VIEWS', 'TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, SECURITY_TYPE, ALGORITHM', 'TABLE_SCHEMA', 'TABLE_NAME'],
  [
    'ROUTINES',
    'ROUTINE_NAME, ROUTINE_TYPE, DATA_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, SQL_MODE, ROUTINE_COMMENT',
    'ROUTINE_SCHEMA', 'ROUTINE_NAME',
  ],
  ['TRIGGERS', 'TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, ACTION_ORIENTATION, ACTION_TIMING, SQL_MODE', 'TRIGGER_SCHEMA', 'TRIGGER_NAME'],
  [
    'EVENTS',
    'EVENT_NAME, TIME_ZONE, EVENT_BODY, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, SQL_MODE, STARTS, ENDS, STATUS, ON_COMPLETION, EVENT_COMMENT',
    'EVENT_SCHEMA', 'EVENT_NAME',
  ],
];

async function showCreate(db: TestDatabase, table: string): Promise<string> {
  const [row] = await db.query<Record<string, string>>(`SHOW CREATE TABLE ${b(table)}`);
  // The counter is past each database's own max id, which differs between source and synthetic data.
  // A sequence default names the table's own database (nextval(`db`.`seq`)).
  return row!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '').split(db.name).join('<db>');
}

beforeAll(async () => {
  source = await createMysqlDatabase('synth_par_my');
  target = await createMysqlDatabase('synth_par_myd');
  await createParityFixture(source);
  const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
  result = await hydrate({ config, target: 'dev' });
}, 120_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

describe('MariaDB → MariaDB schema parity', () => {
  it("passes synth's own parity check at 100 %", () => {
    expect(result.status).toBe('ok');
    expect(result.parity?.differences).toEqual([]);
    expect(result.parity!.matched).toBe(result.parity!.total);
    // Tables, columns, keys, indexes, CHECKs, FKs, the views, trigger, procedure, function and event.
    expect(result.parity!.total).toBeGreaterThan(40);
  });

  it.each(CATALOG)('information_schema.%s of the target equals the source', async (view, columns, schemaColumn, order) => {
    expect(await catalog(target, view, columns, schemaColumn, order)).toEqual(await catalog(source, view, columns, schemaColumn, order));
  });

  it('SHOW CREATE TABLE of every table is the same (AUTO_INCREMENT= aside)', async () => {
    for (const t of PARITY_MY_TABLES) expect(await showCreate(target, t), t).toBe(await showCreate(source, t));
  });

  it('sets every AUTO_INCREMENT counter past the max, so an app-style INSERT without id works in every table', async () => {
    const [item] = await target.query<{ id: number }>('SELECT MAX(id) AS id FROM shop_item');
    await target.exec(`INSERT INTO shop_item (sku, title, price, qty, location) VALUES ('NEW-1', 'new', 1.5, 2, POINT(1, 2))`);
    await target.exec(`INSERT INTO shop_order (item_id, placed_at, amount) VALUES (${item!.id}, NOW(6), 3.25)`);
    await target.exec(`INSERT INTO item_log (item_id, what) VALUES (${item!.id}, 'app')`);
    await target.exec(`INSERT INTO tag (item_id, label) VALUES (${item!.id}, 'app-tag')`);
    const [fresh] = await target.query<{ id: number }>(`SELECT id FROM shop_item WHERE sku = 'NEW-1'`);
    expect(Number(fresh!.id)).toBeGreaterThan(Number(item!.id));
    // The trigger came along and fires on new rows (and fired on none of the generated ones).
    const [logged] = await target.query<{ n: number }>(`SELECT COUNT(*) AS n FROM item_log WHERE what = 'ordered'`);
    expect(Number(logged!.n)).toBe(1);
    // ON UPDATE CURRENT_TIMESTAMP(6) is live.
    await target.exec(`UPDATE shop_item SET qty = qty + 1 WHERE sku = 'NEW-1'`);
    const [u] = await target.query<{ stale: number }>(`SELECT updated_at < NOW(6) - INTERVAL 1 MINUTE AS stale FROM shop_item WHERE sku = 'NEW-1'`);
    expect(Number(u!.stale)).toBe(0);
  });

  it('copies the SEQUENCE, draws the key default from the target\'s own copy and sets it past the generated keys', async () => {
    expect(result.parity?.differences).toEqual([]);
    const [seq] = await target.query<Record<string, string>>('SHOW CREATE SEQUENCE ticket_seq');
    const [srcSeq] = await source.query<Record<string, string>>('SHOW CREATE SEQUENCE ticket_seq');
    expect(seq!['Create Table']).toBe(srcSeq!['Create Table']);
    const [col] = await target.query<{ d: string }>(
      `SELECT COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ticket' AND COLUMN_NAME = 'id'`,
    );
    expect(col!.d).toBe(`nextval(${b(target.name)}.\`ticket_seq\`)`);
    const [max] = await target.query<{ m: string }>('SELECT MAX(id) AS m FROM ticket');
    await target.exec(`INSERT INTO ticket (label) VALUES ('app')`);
    const [fresh] = await target.query<{ id: string }>(`SELECT id FROM ticket WHERE label = 'app'`);
    expect(BigInt(fresh!.id)).toBeGreaterThan(BigInt(max!.m));
    // The source's sequence was not used.
    const [src] = await source.query<{ n: string }>('SELECT NEXT VALUE FOR ticket_seq AS n');
    expect(BigInt(src!.n)).toBe(1000n + 150n * 5n);
  });

  it('the procedure and function work on the new data', async () => {
    const [o] = await target.query<{ id: string }>('SELECT MIN(order_id) AS id FROM shop_order');
    const [v] = await target.query<{ v: string; a: string }>(`SELECT order_value(${o!.id}) AS v, (SELECT amount FROM shop_order WHERE order_id = ${o!.id}) AS a`);
    expect(v!.v).toBe(v!.a);
    await target.exec(`CALL restock(${o!.id}, 1)`);
  });

  it('round-trips microseconds and DECIMAL scale', async () => {
    const [t] = await target.query<{ micros: number; ts_micros: number; scaled: number }>(
      `SELECT SUM(MICROSECOND(created_at) <> 0) AS micros, SUM(MICROSECOND(updated_at) <> 0) AS ts_micros, SUM(price * 10000 % 100 <> 0) AS scaled FROM shop_item`,
    );
    expect(Number(t!.micros)).toBeGreaterThan(0);
    expect(Number(t!.ts_micros)).toBeGreaterThan(0);
    expect(Number(t!.scaled)).toBeGreaterThan(0);
    const [o] = await target.query<{ micros: number }>(`SELECT SUM(MICROSECOND(placed_at) <> 0) AS micros FROM shop_order`);
    expect(Number(o!.micros)).toBeGreaterThan(0);
  });

  it('a second hydrate moves the previous sequence into the backup with its tables and draws from the new one', async () => {
    // After the tests that read the first (learned) run's values; the backup and the sequence are the same whatever
    // model filled the tables, so the second run takes the quicker baseline.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline' });
    const again = await hydrate({ config, target: 'dev' });
    expect(again.parity?.differences).toEqual([]);
    const backup = again.swap!.backups[0]!.backup;
    const [kept] = await target.query<{ t: string }>(`SELECT TABLE_TYPE AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'ticket_seq'`, [backup]);
    expect(kept!.t).toBe('SEQUENCE');
    const [max] = await target.query<{ m: string }>('SELECT MAX(id) AS m FROM ticket');
    await target.exec(`INSERT INTO ticket (label) VALUES ('app2')`);
    const [fresh] = await target.query<{ id: string }>(`SELECT id FROM ticket WHERE label = 'app2'`);
    expect(BigInt(fresh!.id)).toBeGreaterThan(BigInt(max!.m));
  }, 120_000);
});

describe('MariaDB → MariaDB: routines and triggers that name their own database', () => {
  it('are recreated against the target, never the source', async () => {
    const src = await createMysqlDatabase('synth_par_myq');
    const dst = await createMysqlDatabase('synth_par_myqd');
    try {
      await src.exec(`CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(80) NOT NULL); INSERT INTO t (v) SELECT CONCAT('v', seq) FROM seq_1_to_50;
        CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(80) NOT NULL);`);
      await src.exec(`CREATE PROCEDURE add_row() INSERT INTO \`${src.name}\`.t (v) VALUES ('${src.name}.kept')`);
      await src.exec(`CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW INSERT INTO ${src.name}.audit (what) VALUES (NEW.v)`);
      // Routines and triggers are recreated from the schema whatever model fills the rows: the baseline is quicker.
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, model: 'baseline' });
      const r = await hydrate({ config, target: 'dev' });
      expect(r.parity?.differences).toEqual([]);
      const before = await src.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
      await dst.exec('CALL add_row()');
      expect(await dst.query<{ v: string }>(`SELECT v FROM t WHERE v LIKE '%.kept'`)).toEqual([{ v: `${src.name}.kept` }]);
      expect(await dst.query<{ what: string }>('SELECT what FROM audit')).toEqual([{ what: `${src.name}.kept` }]);
      expect(await src.query<{ n: number }>('SELECT COUNT(*) AS n FROM t')).toEqual(before);
      expect(await src.query('SELECT * FROM audit')).toEqual([]);
    } finally {
      await src.drop();
      await dropWithBackup(dst);
    }
  }, 120_000);
});
