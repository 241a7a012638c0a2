import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Shadow } from '../../src/connectors/connector.js';
import { hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { createTargetDatabase } from '../connectors/mysql/helpers.js';

/**
 * The gate after the reorder (keys built before validation where the target can): a duplicate or an orphan planted
 * in the loaded shadow is still counted, the swap refused, the shadow dropped and the live database untouched.
 */
const PARENTS = 400;
const CHILDREN = 6000;

const fixtures = {
  postgres: `
    CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), amount int NOT NULL);
    INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, ${PARENTS}) g;
    INSERT INTO child SELECT g, 1 + (g * 7919) % ${PARENTS}, g % 97 FROM generate_series(1, ${CHILDREN}) g;
    ANALYZE;`,
  mysql: `
    CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
    CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, amount INT NOT NULL, FOREIGN KEY (parent_id) REFERENCES parent (id));
    INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_${PARENTS};
    INSERT INTO child SELECT seq, 1 + (seq * 7919) % ${PARENTS}, seq % 97 FROM seq_1_to_${CHILDREN};`,
};

/** The shadow's child table, qualified for a statement run on the target's own connection. */
function shadowChild(dialect: 'postgres' | 'mysql', shadow: Shadow): string {
  const ns = shadow.namespaces[0]!.shadow;
  return dialect === 'postgres' ? `"${ns}".child` : `\`${ns}\`.child`;
}

for (const dialect of ['mysql', 'postgres'] as const) {
  describe(`${dialect}: the gate still catches what was planted after the load`, () => {
    let source: TestDatabase;
    let target: TestDatabase;

    beforeAll(async () => {
      source = await (dialect === 'postgres' ? createPgDatabase : createMysqlDatabase)('synth_keys_src');
      // MySQL's swap leaves a backup database next to the target: dropped with it.
      target = await (dialect === 'postgres' ? createPgDatabase : createTargetDatabase)('synth_keys_tgt');
      await source.exec(fixtures[dialect]);
    }, 60_000);

    afterAll(async () => {
      await source?.drop();
      await target?.drop();
    });

    const run = (plant: ((table: string) => string) | null): Promise<HydrateResult> => {
      const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, seed: 7 });
      return hydrate({
        config,
        target: 'dev',
        hooks: {
          async fault(point, ctx) {
            if (point === 'after-load-before-validate' && plant && ctx.shadow) await target.exec(plant(shadowChild(dialect, ctx.shadow)));
          },
        },
      });
    };

    async function shadowsLeft(): Promise<number> {
      const sql = dialect === 'postgres'
        ? "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name LIKE '%synth_shadow%'"
        : `SELECT count(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${target.name}\\_\\_synth\\_shadow%'`;
      const [row] = await target.query<{ n: string | number }>(sql);
      return Number(row!.n);
    }

    async function liveTables(): Promise<number> {
      const where = dialect === 'postgres' ? "table_schema = 'public'" : 'TABLE_SCHEMA = DATABASE()';
      const [row] = await target.query<{ n: string | number }>(`SELECT count(*) AS n FROM information_schema.tables WHERE ${where}`);
      return Number(row!.n);
    }

    it('a duplicate primary key is counted and refuses the swap', async () => {
      // MariaDB / MySQL create a shadow table whose keys arrive in order with its primary key (it refuses a repeated
      // row as it loads: write.test.ts); dropped here so the planted row goes in and the gate must find it.
      const dropKey = (t: string) => (dialect === 'mysql' ? `ALTER TABLE ${t} DROP PRIMARY KEY; ` : '');
      const result = await run((t) => `${dropKey(t)}INSERT INTO ${t} SELECT * FROM ${t} WHERE id = 17`);
      expect(result.status).toBe('refused');
      expect(result.refusal).toBe('integrity');
      const child = result.integrity.tables.find((t) => t.table.endsWith('.child'))!;
      expect(child.duplicates).toBe(1);
      expect(child.failures.join('\n')).toMatch(/unique .*\(id\): 1 violation/);
      expect(child.byIndex ?? []).toEqual([]);
      expect(await shadowsLeft()).toBe(0);
      expect(await liveTables()).toBe(0);
    }, 120_000);

    it('orphans are counted row by row (two of them on one missing key) and refuse the swap', async () => {
      const result = await run((t) => `UPDATE ${t} SET parent_id = CASE WHEN id = 25 THEN -6 ELSE -5 END WHERE id IN (23, 24, 25)`);
      expect(result.status).toBe('refused');
      const child = result.integrity.tables.find((t) => t.table.endsWith('.child'))!;
      expect(child.orphans).toBe(3);
      expect(child.duplicates).toBe(0);
      // MariaDB / MySQL: the rows come from the orphan count's own pass (the range proof no longer holds).
      expect(child.rows).toBe(CHILDREN);
      expect(result.integrity.foreignKeys.find((f) => f.table.endsWith('.child'))!.orphans).toBe(3);
      expect(await shadowsLeft()).toBe(0);
      expect(await liveTables()).toBe(0);
    }, 120_000);

    it('a clean shadow passes, its keys proven by the index built before the gate, and goes live with every key', async () => {
      const result = await run(null);
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      const child = result.integrity.tables.find((t) => t.table.endsWith('.child'))!;
      expect(child.rows).toBe(CHILDREN);
      expect(child.byIndex).toEqual([dialect === 'mysql' ? 'unique PRIMARY (id)' : 'unique child_pkey (id)']);
      const keys = dialect === 'postgres'
        ? "SELECT count(*) AS n FROM information_schema.table_constraints WHERE table_schema = 'public' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        : "SELECT count(*) AS n FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')";
      const [row] = await target.query<{ n: string | number }>(keys);
      expect(Number(row!.n)).toBe(3);
      expect(await shadowsLeft()).toBe(0);
    }, 120_000);
  });
}
