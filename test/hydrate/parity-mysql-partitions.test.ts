import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { carryOverNotes } from '../../src/connectors/carry-over.js';
import { hydrate } from '../../src/pipeline/index.js';
import { compareSchemas } from '../../src/validation/schema-parity.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { partitionsOf } from '../support/mysql-partitions.js';
import { dropWithBackup } from '../support/torture-mysql.js';

// InnoDB partitioned tables take no foreign keys, so these stand alone. RANGE ends in MAXVALUE and LIST has a DEFAULT
// partition (bounds without them: mysql-partition-bounds.test.ts).
const FIXTURE = [
  `CREATE TABLE visit (id INT NOT NULL AUTO_INCREMENT, y SMALLINT NOT NULL, note VARCHAR(20), PRIMARY KEY (id, y))
     PARTITION BY RANGE (y) (PARTITION p_old VALUES LESS THAN (2000), PARTITION p_new VALUES LESS THAN (2020), PARTITION p_max VALUES LESS THAN MAXVALUE)`,
  `CREATE TABLE region_sale (id INT NOT NULL, region TINYINT NOT NULL, amount DECIMAL(8,2) NOT NULL, PRIMARY KEY (id, region))
     PARTITION BY LIST (region) (PARTITION p_west VALUES IN (1, 2), PARTITION p_east VALUES IN (3, 4), PARTITION p_other DEFAULT)`,
  `CREATE TABLE hashed (id INT NOT NULL PRIMARY KEY, v INT) COMMENT='hash-partitioned' PARTITION BY HASH (id) PARTITIONS 4`,
  `CREATE TABLE keyed (code VARCHAR(8) NOT NULL PRIMARY KEY, v INT) PARTITION BY KEY (code) PARTITIONS 3`,
];

let source: TestDatabase;
let target: TestDatabase;

beforeAll(async () => {
  source = await createMysqlDatabase('synth_ppart_src');
  target = await createMysqlDatabase('synth_ppart_dst');
  for (const sql of FIXTURE) await source.exec(sql);
  await source.exec(`INSERT INTO visit (y, note) SELECT 1990 + seq % 40, CONCAT('n', seq) FROM seq_1_to_200`);
  await source.exec(`INSERT INTO region_sale SELECT seq, 1 + seq % 4, seq / 7 FROM seq_1_to_200`);
  await source.exec(`INSERT INTO hashed SELECT seq, seq * 2 FROM seq_1_to_100`);
  await source.exec(`INSERT INTO keyed SELECT CONCAT('k', seq), seq FROM seq_1_to_100`);
}, 60_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

describe('MySQL/MariaDB partitioning and schema parity', () => {
  it('RANGE, LIST, HASH and KEY partitioning is recreated in the target and counted by the parity check', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences).toEqual([]);
    expect(await partitionsOf(target)).toEqual(await partitionsOf(source));
    const [visit] = await target.query<{ n: number }>(`SELECT count(*) AS n FROM visit PARTITION (p_max)`);
    expect(Number(visit!.n)).toBeGreaterThan(0);
  }, 120_000);

  it('the parity check sees a table that lost its partitioning', async () => {
    const src = await openSource(source.url);
    const dst = await openSource(target.url);
    try {
      const before = await src.introspect();
      await target.exec('ALTER TABLE hashed REMOVE PARTITIONING');
      const after = await dst.introspect();
      const parity = compareSchemas(before, after, { namespaces: [{ source: source.name, shadow: target.name }] });
      expect(parity.differences).toEqual([
        { kind: 'partitioning', object: `${source.name}.hashed`, source: 'PARTITION BY HASH (`id`) PARTITIONS 4', target: null },
      ]);
    } finally {
      await src.close();
      await dst.close();
    }
  });

  it('synth plan --target postgres announces that the partitions are not recreated', async () => {
    const src = await openSource(source.url);
    try {
      const notes = carryOverNotes(await src.introspect(), 'postgres').filter((n) => n.from.startsWith('PARTITION BY'));
      expect(notes.map((n) => [n.table.split('.')[1], n.from])).toEqual([
        ['hashed', 'PARTITION BY HASH'],
        ['keyed', 'PARTITION BY KEY'],
        ['region_sale', 'PARTITION BY LIST'],
        ['visit', 'PARTITION BY RANGE'],
      ]);
      expect(notes[0]!.note).toMatch(/unpartitioned/);
    } finally {
      await src.close();
    }
  });
});
