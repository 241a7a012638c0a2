/**
 * Two loads of one shadow table at once (a split table's windows, scale-out units) on MariaDB/MySQL. With
 * unique_checks and foreign_key_checks both off, InnoDB bulk-inserts into an empty table under a table lock held to the
 * end of the statement, so the second LOAD DATA waited out innodb_lock_wait_timeout (50 s) behind a long first one and
 * failed (`Lock wait timeout exceeded` on lineitem at SF1). A load marked `concurrent` must go through while the other
 * is still streaming.
 */
import { expect, it } from 'vitest';
import { openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import type { Table } from '../../../src/schema/model.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { mysqlSourceAndTarget } from '../../support/mysql-connector.js';

// line: keys loaded in no known order, so the shadow gets its key after the load; item: an integer key, generated
// in order, so the shadow holds its primary key while the windows load (mysql-shadow.ts keyOrdered).
const env = mysqlSourceAndTarget('synth_myconc', `CREATE TABLE line (order_id INT NOT NULL, n INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (order_id, n));
  CREATE TABLE item (order_id INT NOT NULL PRIMARY KEY, n INT NOT NULL, qty INT NOT NULL)`);

function rows(from: number, count: number): RowBatch {
  return { columns: ['order_id', 'n', 'qty'], rows: Array.from({ length: count }, (_, i) => [from + i, 1, (from + i) % 7]) };
}

it.each(['line', 'item'])('a concurrent load of a table (%s) goes through while another load of it is still streaming', async (name) => {
  const { target, schema } = env;
  const tgt = await openMysqlTarget(target.url);
  try {
    const shadow = await tgt.createShadow('conc', schema);
    const table = schema.tables.find((t) => t.name === name) as Table;
    const keyed = await target.query(`SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'`, [shadow.namespaces[0]!.shadow, name]);
    expect(keyed.length > 0).toBe(name === 'item');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstSent!: () => void;
    const sent = new Promise<void>((resolve) => (firstSent = resolve));
    // The first window sends a batch, then waits (a slow generator) until the second window has loaded.
    const first = tgt.load(shadow, table, (async function* () {
      yield rows(0, 5000);
      firstSent();
      await held;
      yield rows(5000, 5000);
    })(), undefined, { concurrent: true });
    await sent;
    // Give the server the first batch's rows (the table is no longer empty to anyone from here on).
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const second = await Promise.race([
      tgt.load(shadow, table, (async function* () {
        yield rows(100_000, 5000);
      })(), undefined, { concurrent: true }),
      new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 15_000)),
    ]);
    release();
    expect(second, 'the second load waited on a lock the first holds').toBe(5000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await first).toBe(10_000);
  } finally {
    await tgt.close();
  }
}, 90_000);
