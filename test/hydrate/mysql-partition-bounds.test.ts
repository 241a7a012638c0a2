import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { partitionsOf } from '../support/mysql-partitions.js';
import { dropWithBackup } from '../support/torture-mysql.js';

// RANGE and LIST partitions with no MAXVALUE and no DEFAULT partition: a generated row whose partition column falls
// outside every partition is an error on insert, so generation must keep the values inside the source's bounds —
// also under differential privacy, whose noisy bounds reach past the data.
const FIXTURE = [
  `CREATE TABLE visit (id INT NOT NULL AUTO_INCREMENT, y SMALLINT NOT NULL, note VARCHAR(20), PRIMARY KEY (id, y))
     PARTITION BY RANGE (y) (PARTITION p_old VALUES LESS THAN (2000), PARTITION p_mid VALUES LESS THAN (2010), PARTITION p_new VALUES LESS THAN (2030))`,
  `CREATE TABLE sale (id INT NOT NULL, sold DATE NOT NULL, amount DECIMAL(8,2) NOT NULL, PRIMARY KEY (id, sold))
     PARTITION BY RANGE (YEAR(sold)) (PARTITION y2019 VALUES LESS THAN (2020), PARTITION y2020 VALUES LESS THAN (2021), PARTITION y2021 VALUES LESS THAN (2022))`,
  `CREATE TABLE booking (id INT NOT NULL, day DATE NOT NULL, logged TIMESTAMP NOT NULL DEFAULT '2020-06-01 00:00:00', PRIMARY KEY (id, day))
     PARTITION BY RANGE (TO_DAYS(day)) (PARTITION h1 VALUES LESS THAN (TO_DAYS('2020-07-01')), PARTITION h2 VALUES LESS THAN (TO_DAYS('2021-01-01')))`,
  `CREATE TABLE login (id INT NOT NULL, at TIMESTAMP NOT NULL, PRIMARY KEY (id, at))
     PARTITION BY RANGE (UNIX_TIMESTAMP(at)) (PARTITION q1 VALUES LESS THAN (UNIX_TIMESTAMP('2020-04-01 00:00:00')), PARTITION q2 VALUES LESS THAN (UNIX_TIMESTAMP('2020-07-01 00:00:00')))`,
  `CREATE TABLE region_sale (id INT NOT NULL, region TINYINT NOT NULL, amount DECIMAL(8,2) NOT NULL, PRIMARY KEY (id, region))
     PARTITION BY LIST (region) (PARTITION p_west VALUES IN (1, 5), PARTITION p_east VALUES IN (10, 20))`,
];

let source: TestDatabase;
let target: TestDatabase;

beforeAll(async () => {
  source = await createMysqlDatabase('synth_pbound_src');
  target = await createMysqlDatabase('synth_pbound_dst');
  for (const sql of FIXTURE) await source.exec(sql);
  await source.exec(`INSERT INTO visit (y, note) SELECT 1990 + seq % 40, CONCAT('n', seq) FROM seq_1_to_3000`);
  await source.exec(`INSERT INTO sale SELECT seq, DATE '2019-01-01' + INTERVAL (seq * 7) % 1095 DAY, seq / 7 FROM seq_1_to_3000`);
  await source.exec(`INSERT INTO booking (id, day) SELECT seq, DATE '2020-01-01' + INTERVAL seq % 366 DAY FROM seq_1_to_3000`);
  await source.exec(`SET time_zone = '+00:00'`);
  await source.exec(`INSERT INTO login SELECT seq, TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq * 2593) % 15724800 SECOND FROM seq_1_to_3000`);
  await source.exec(`INSERT INTO region_sale SELECT seq, ELT(1 + seq % 4, 1, 5, 10, 20), seq / 7 FROM seq_1_to_3000`);
}, 60_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

const run = async (extra: Record<string, unknown>) => {
  const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, ...extra });
  const result = await hydrate({ config, target: 'dev' });
  expect(result.status).toBe('ok');
  expect(result.parity?.differences).toEqual([]);
  expect(await partitionsOf(target)).toEqual(await partitionsOf(source));
  const [row] = await target.query<{ y: number; d: number; r: number; n: number; b: number }>(
    // The first RANGE partition takes everything below its bound (MINVALUE); past the last one nothing fits.
    `SELECT (SELECT count(*) FROM visit WHERE y >= 2030) AS y, (SELECT count(*) FROM sale WHERE sold >= '2022-01-01') AS d,
            (SELECT count(*) FROM region_sale WHERE region NOT IN (1, 5, 10, 20)) AS r, (SELECT count(*) FROM visit) AS n,
            (SELECT count(*) FROM booking WHERE day >= '2021-01-01') + (SELECT count(*) FROM login WHERE UNIX_TIMESTAMP(at) >= UNIX_TIMESTAMP('2020-07-01 00:00:00')) AS b`,
  );
  expect(Number(row!.n)).toBeGreaterThan(2000);
  return row;
};

describe('MariaDB → MariaDB: generated values fall in the RANGE and LIST partitions', () => {
  it('the introspected partitioning carries the bounds, in the form generation fits values to', async () => {
    const src = await openSource(source.url);
    try {
      const schema = await src.introspect();
      const by = (name: string) => schema.tables.find((t) => t.name === name)!.partitioning;
      expect(by('visit')).toEqual({
        strategy: 'range', key: 'y',
        partitions: [
          { schema: source.name, name: 'p_old', bound: 'FROM (MINVALUE) TO (2000)' },
          { schema: source.name, name: 'p_mid', bound: 'FROM (2000) TO (2010)' },
          { schema: source.name, name: 'p_new', bound: 'FROM (2010) TO (2030)' },
        ],
      });
      // RANGE on YEAR(date) is a RANGE on the date: YEAR(d) < 2020 exactly when d < '2020-01-01'.
      expect(by('sale')!.key).toBe('sold');
      expect(by('sale')!.partitions.map((p) => p.bound)).toEqual(["FROM (MINVALUE) TO ('2020-01-01')", "FROM ('2020-01-01') TO ('2021-01-01')", "FROM ('2021-01-01') TO ('2022-01-01')"]);
      expect(by('region_sale')!.partitions.map((p) => p.bound)).toEqual(['IN (1,5)', 'IN (10,20)']);
      expect(by('booking')).toMatchObject({ key: 'day', partitions: [{ bound: "FROM (MINVALUE) TO ('2020-07-01')" }, { bound: "FROM ('2020-07-01') TO ('2021-01-01')" }] });
      expect(by('login')).toMatchObject({ key: 'at', partitions: [{ bound: "FROM (MINVALUE) TO ('2020-04-01 00:00:00')" }, { bound: "FROM ('2020-04-01 00:00:00') TO ('2020-07-01 00:00:00')" }] });
    } finally {
      await src.close();
    }
  });

  it('baseline model: every row lands in a partition', async () => {
    expect(await run({ model: 'baseline' })).toMatchObject({ y: 0, d: 0, r: 0, b: 0 });
  }, 120_000);

  it('differential privacy (noisy bounds): every row lands in a partition', async () => {
    expect(await run({ model: 'baseline', privacy: { epsilon: 1, mst: false } })).toMatchObject({ y: 0, d: 0, r: 0, b: 0 });
  }, 180_000);
});
