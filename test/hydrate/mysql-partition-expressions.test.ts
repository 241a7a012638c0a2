/**
 * MySQL/MariaDB RANGE and LIST partitions on an expression and without a catch-all partition: a generated row the
 * expression maps outside every partition is an error on insert. A RANGE on a non-decreasing expression of one integer
 * or date column becomes a RANGE on the column (the server evaluates the expression to find each bound), so generation
 * keeps the values inside; any other expression fails the load with an error that names the expression and the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import { SynthError } from '../../src/errors.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { partitionsOf } from '../support/mysql-partitions.js';
import { dropWithBackup } from '../support/torture-mysql.js';

const SUPPORTED = [
  // y is part of the key only because MySQL demands it, so it is generated as an attribute and reaches past 2030.
  `CREATE TABLE shifted (id INT NOT NULL, y SMALLINT NOT NULL, PRIMARY KEY (id, y))
     PARTITION BY RANGE (y + 0) (PARTITION p_old VALUES LESS THAN (2000), PARTITION p_new VALUES LESS THAN (2030))`,
  `CREATE TABLE tens (id INT NOT NULL, x INT NOT NULL, PRIMARY KEY (id, x))
     PARTITION BY RANGE (x DIV 10) (PARTITION p0 VALUES LESS THAN (5), PARTITION p1 VALUES LESS THAN (10))`,
  `CREATE TABLE dated (id INT NOT NULL, d DATE NOT NULL, PRIMARY KEY (id, d))
     PARTITION BY RANGE (TO_DAYS(d) - 737790) (PARTITION h1 VALUES LESS THAN (182), PARTITION h2 VALUES LESS THAN (366))`,
];

let source: TestDatabase;
let target: TestDatabase;

beforeAll(async () => {
  source = await createMysqlDatabase('synth_h5pexs');
  target = await createMysqlDatabase('synth_h5pexd');
  for (const sql of SUPPORTED) await source.exec(sql);
  await source.exec(`INSERT INTO shifted SELECT seq, 1990 + seq % 40 FROM seq_1_to_2000`);
  await source.exec(`INSERT INTO tens SELECT seq, seq % 100 FROM seq_1_to_2000`);
  await source.exec(`INSERT INTO dated SELECT seq, DATE '2020-01-01' + INTERVAL seq % 366 DAY FROM seq_1_to_2000`);
}, 60_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

describe('MySQL partitioning by an expression', () => {
  it('reads a RANGE on a non-decreasing expression of one column as a RANGE on the column', async () => {
    const src = await openSource(source.url);
    try {
      const schema = await src.introspect();
      const by = (name: string) => schema.tables.find((t) => t.name === name)!.partitioning;
      expect(by('shifted')).toMatchObject({ strategy: 'range', key: 'y', partitions: [{ bound: 'FROM (MINVALUE) TO (2000)' }, { bound: 'FROM (2000) TO (2030)' }] });
      expect(by('tens')!.partitions.map((p) => p.bound)).toEqual(['FROM (MINVALUE) TO (50)', 'FROM (50) TO (100)']);
      expect(by('dated')!.partitions.map((p) => p.bound)).toEqual([`FROM (MINVALUE) TO ('2020-07-01')`, `FROM ('2020-07-01') TO ('2021-01-01')`]);
    } finally {
      await src.close();
    }
  });

  it('hydrates them: every generated row lands in a partition, and the partitions are the source\'s', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences).toEqual([]);
    expect(await partitionsOf(target)).toEqual(await partitionsOf(source));
    const [row] = await target.query<{ n: number; y: number; x: number; d: number }>(
      `SELECT (SELECT count(*) FROM shifted) AS n, (SELECT count(*) FROM shifted WHERE y >= 2030) AS y,
              (SELECT count(*) FROM tens WHERE x >= 100) AS x, (SELECT count(*) FROM dated WHERE d >= '2021-01-01') AS d`,
    );
    expect(Number(row!.n)).toBeGreaterThan(1500);
    expect([Number(row!.y), Number(row!.x), Number(row!.d)]).toEqual([0, 0, 0]);
  }, 120_000);

  it('an expression that is not a non-decreasing function of one column fails the load naming the expression and the fix', async () => {
    const src2 = await createMysqlDatabase('synth_h5pexs2');
    const dst2 = await createMysqlDatabase('synth_h5pexd2');
    try {
      // MOD(id, 7) in (0..3) only: generated ids past the source's fall on residues no partition lists.
      await src2.exec(`CREATE TABLE modded (id INT NOT NULL, k INT NOT NULL, PRIMARY KEY (id, k))
        PARTITION BY LIST (MOD(k, 7)) (PARTITION p01 VALUES IN (0, 1), PARTITION p23 VALUES IN (2, 3))`);
      await src2.exec(`INSERT INTO modded SELECT seq, seq * 7 + seq % 4 FROM seq_1_to_500`);
      const src = await openSource(src2.url);
      try {
        expect((await src.introspect()).tables[0]!.partitioning!.key).toBe('`k` MOD 7');
      } finally {
        await src.close();
      }
      const config = parseConfig({ source: { url: src2.url }, targets: { dev: { url: dst2.url } }, quality: { enabled: false } });
      const err = await hydrate({ config, target: 'dev' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/modded: generated rows fit no partition of PARTITION BY LIST \(`k` MOD 7\)/);
      expect((err as SynthError).hint).toMatch(/tables\.modded\.skip/);
    } finally {
      await src2.drop();
      await dropWithBackup(dst2);
    }
  }, 120_000);
});
