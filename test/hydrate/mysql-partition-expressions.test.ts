/**
 * MySQL/MariaDB RANGE and LIST partitions on an expression and without a catch-all partition: a generated row the
 * expression maps outside every partition is an error on insert. A RANGE on a non-decreasing expression of one integer
 * or date column becomes a RANGE on the column (the server evaluates the expression to find each bound), so generation
 * keeps the values inside; any other expression (without a catch-all partition) is refused at plan time, by
 * `synth plan` and before a hydrate writes anything, with an error that names the expression and the fixes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { unfittedPartitioning } from '../../src/connectors/mysql/mysql-partitions.js';
import type { RunEvent } from '../../src/events.js';
import { checkTargetsCanLoad, hydrate } from '../../src/pipeline/index.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { SynthError } from '../../src/errors.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { partitionsOf } from '../support/mysql-partitions.js';
import { runCli } from '../support/cli.js';
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

  it('an expression that is not a non-decreasing function of one column is refused at plan time, naming the expression and the fixes', async () => {
    const src2 = await createMysqlDatabase('synth_h5pexs2');
    const dst2 = await createMysqlDatabase('synth_h5pexd2');
    const dir = mkdtempSync(join(tmpdir(), 'synth-partition-plan-'));
    try {
      // MOD(k, 7) in (0..3) only: generated values of k past the source's fall on residues no partition lists.
      await src2.exec(`CREATE TABLE modded (id INT NOT NULL, k INT NOT NULL, PRIMARY KEY (id, k))
        PARTITION BY LIST (MOD(k, 7)) (PARTITION p01 VALUES IN (0, 1), PARTITION p23 VALUES IN (2, 3))`);
      // The same kind of expression with a catch-all partition: every row has one, so it is not refused.
      await src2.exec(`CREATE TABLE summed (id INT NOT NULL, a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (id, a, b))
        PARTITION BY RANGE (a + b) (PARTITION low VALUES LESS THAN (100), PARTITION rest VALUES LESS THAN MAXVALUE)`);
      await src2.exec(`INSERT INTO modded SELECT seq, seq * 7 + seq % 4 FROM seq_1_to_500`);
      await src2.exec(`INSERT INTO summed SELECT seq, seq % 90, seq % 70 FROM seq_1_to_500`);
      const src = await openSource(src2.url);
      let schema: DatabaseSchema;
      try {
        schema = await src.introspect();
      } finally {
        await src.close();
      }
      const table = (name: string) => schema.tables.find((t) => t.name === name)!;
      expect(table('modded').partitioning!.key).toBe('`k` MOD 7');
      expect([unfittedPartitioning(table('modded')), unfittedPartitioning(table('summed'))]).toEqual([true, false]);

      const settings = { source: { url: src2.url }, targets: { dev: { url: dst2.url } }, quality: { enabled: false }, outDir: join(dir, 'out') };
      const config = parseConfig(settings);
      // A PostgreSQL target leaves MySQL partitioning out, so only a MySQL target refuses the table.
      expect(() => checkTargetsCanLoad(schema, config, [{ name: 'pg', dialect: 'postgres' }])).not.toThrow();

      const configPath = join(dir, 'synth.config.json');
      writeFileSync(configPath, JSON.stringify(settings));
      const planned = await runCli(['plan', '--config', configPath, '--json']);
      expect(planned.code).not.toBe(0);
      expect(planned.stdout + planned.stderr).toMatch(/modded: generated rows may fit no partition of PARTITION BY LIST \(`k` MOD 7\), so loading it into target 'dev' would fail/);

      const events: RunEvent[] = [];
      const err = await hydrate({ config, target: 'dev', emit: (e) => events.push(e) }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).code).toBe('IMPOSSIBLE_CONSTRAINT');
      expect((err as SynthError).message).toMatch(/modded: generated rows may fit no partition of PARTITION BY LIST \(`k` MOD 7\)/);
      expect((err as SynthError).hint).toMatch(/tables\.modded\.skip: true.*tables\.modded\.mode: 'copy'.*catch-all partition/);
      // Refused before training, and nothing was written to the target: no shadow database, no table.
      expect(events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => (e as { stage: string }).stage)).toEqual(['connect', 'introspect', 'plan']);
      expect(await dst2.query(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`${dst2.name}\\_\\_synth%`])).toEqual([]);
      expect(await dst2.query('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [dst2.name])).toEqual([]);

      // Skipping the table (or copying it) is one of the fixes the hint names: the plan then goes through.
      writeFileSync(configPath, JSON.stringify({ ...settings, tables: { modded: { skip: true } } }));
      const skipped = await runCli(['plan', '--config', configPath, '--json']);
      expect(skipped.stderr).toBe('');
      expect(skipped.code).toBe(0);
      expect(() => checkTargetsCanLoad(schema, parseConfig({ ...settings, tables: { modded: { mode: 'copy' } } }), [{ name: 'dev', dialect: 'mysql' }])).not.toThrow();
    } finally {
      await src2.drop();
      await dropWithBackup(dst2);
    }
  }, 120_000);
});
