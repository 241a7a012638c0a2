/**
 * The derive stage's SQL on real PostgreSQL and MariaDB tables (the target's own namespace stands in for a shadow):
 * sums written with the childless parents' learned value, child shares scaled down under their bound, and a sum
 * that overflows its column left as generated with a warning instead of failing the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Shadow, TargetConnector } from '../../src/connectors/connector.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import type { RunEvent } from '../../src/events.js';
import { NO_DATA_RULES, type DataRules } from '../../src/generation/data-rules.js';
import type { ModelSet } from '../../src/generation/fit.js';
import type { ValueGrid } from '../../src/generation/value-grid.js';
import { deriveAggregates } from '../../src/pipeline/derive-aggregates.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

const ddl = (dialect: 'postgres' | 'mysql') => `
  CREATE TABLE p (id int PRIMARY KEY, total numeric(4,2) NOT NULL, subtotal numeric(6,2) NULL, n_items int NOT NULL);
  CREATE TABLE c (id int PRIMARY KEY, p_id int NOT NULL REFERENCES p (id), price numeric(4,2) NOT NULL, qty int NOT NULL,
    pct ${dialect === 'postgres' ? 'real' : 'decimal(4,1)'} NOT NULL);
  INSERT INTO p VALUES (1, 1, 1, 1), (2, 2, 2, 2), (3, 3, 3, 3), (4, 4, 4, 4);
  INSERT INTO c VALUES (1, 1, 1.50, 2, 60), (2, 1, 2.25, 1, 50), (3, 2, 10.00, 3, 30), (4, 4, 60.00, 1, 70), (5, 4, 50.00, 1, 20);
  CREATE TABLE f (id int PRIMARY KEY, total ${dialect === 'postgres' ? 'double precision' : 'DOUBLE'} NOT NULL);
  CREATE TABLE fl (id int PRIMARY KEY, f_id int NOT NULL REFERENCES f (id), price ${dialect === 'postgres' ? 'double precision' : 'DOUBLE'} NOT NULL, qty int NOT NULL);
  INSERT INTO f VALUES (1, 0), (2, 0);
  INSERT INTO fl VALUES (1, 1, 4.99, 2), (2, 1, 1.99, 1), (3, 1, 0.7, 3), (4, 1, 0.99, 1), (5, 2, 0.1, 1), (6, 2, 0.2, 1);`;

/** Trained models holding only `grids` (table name → column → grid) and the rules. */
const modelsOf = (schema: DatabaseSchema, rules: DataRules, grids: Record<string, Record<string, ValueGrid>> = {}): Pick<ModelSet, 'tables' | 'rules'> => ({
  rules,
  tables: new Map(schema.tables.map((t) => [`${t.schema}.${t.name}`, { meta: Object.entries(grids[t.name] ?? {}).map(([column, grid]) => ({ column, grid })) }] as never)),
});

const ref = (name: string, schema: string) => ({ schema, name });

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`derive stage (${dialect})`, () => {
    let db: TestDatabase;
    let target: TargetConnector;
    let schema: DatabaseSchema;
    let shadow: Shadow;
    beforeAll(async () => {
      db = dialect === 'postgres' ? await createPgDatabase('synth_derive') : await createMysqlDatabase('synth_derive');
      await db.exec(ddl(dialect));
      const source = await openSource(db.url);
      schema = await source.introspect();
      await source.close();
      target = await openTarget(db.url);
      const live = schema.tables[0]!.schema;
      shadow = { runId: 'derive', namespaces: [{ live, shadow: live }] };
    }, 60_000);
    afterAll(async () => {
      await target?.close();
      await db?.drop();
    });

    it('scales shares down, writes sums (NULL without children), skips an overflowing sum with a warning', async () => {
      const s = schema.tables[0]!.schema;
      const fk = schema.tables.find((t) => t.name === 'c')!.foreignKeys[0]!.name;
      const rules: DataRules = {
        ...NO_DATA_RULES,
        aggregates: [
          // p 4's lines come to 110.00, past numeric(4,2): total keeps its values.
          { kind: 'sum', parent: ref('p', s), column: 'total', child: ref('c', s), foreignKey: fk, terms: ['price', 'qty'], empty: 'zero', support: 30 },
          { kind: 'sum', parent: ref('p', s), column: 'subtotal', child: ref('c', s), foreignKey: fk, terms: ['price', 'qty'], empty: 'null', support: 30 },
          { kind: 'sum', parent: ref('p', s), column: 'n_items', child: ref('c', s), foreignKey: fk, terms: ['qty'], empty: 'zero', support: 30 },
          { kind: 'share', child: ref('c', s), foreignKey: fk, column: 'pct', bound: 100, decimals: 1, support: 30 },
        ],
      };
      const events: RunEvent[] = [];
      await deriveAggregates(target, shadow, schema, modelsOf(schema, rules), (e) => void events.push(e));
      const warnings = events.filter((e): e is Extract<RunEvent, { type: 'warning' }> => e.type === 'warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ column: 'total' });
      expect(warnings[0]!.message).toContain('reaches 110');
      expect(events.some((e) => e.type === 'stage' && e.stage === 'derive' && e.status === 'done')).toBe(true);
      const parents = await db.query<{ id: number; total: string; subtotal: string | null; n_items: number }>('SELECT id, total, subtotal, n_items FROM p ORDER BY id');
      expect(parents.map((r) => [Number(r.id), Number(r.total), r.subtotal === null ? null : Number(r.subtotal), Number(r.n_items)])).toEqual([
        [1, 1, 5.25, 3],
        [2, 2, 30, 3],
        [3, 3, null, 0],
        [4, 4, 110, 2],
      ]);
      // Country 1: 60 + 50 = 110 → 54.5 + 45.4; country 4: 70 + 20 = 90 stays.
      const shares = await db.query<{ id: number; pct: number | string }>('SELECT id, pct FROM c ORDER BY id');
      expect(shares.map((r) => Number(Number(r.pct).toFixed(1)))).toEqual([54.5, 45.4, 30, 70, 20]);
    }, 60_000);

    it('no rules: no stage, nothing written', async () => {
      const events: RunEvent[] = [];
      await deriveAggregates(target, shadow, schema, modelsOf(schema, NO_DATA_RULES), (e) => void events.push(e));
      expect(events).toEqual([]);
    });

    it('writes only the rows whose value changes, and compacts a table it wrote', async () => {
      await db.exec(`
        CREATE TABLE g (id int PRIMARY KEY, total numeric(10,2) NOT NULL, pad varchar(200) NOT NULL);
        CREATE TABLE gl (id int PRIMARY KEY, g_id int NOT NULL REFERENCES g (id), price numeric(6,2) NOT NULL);
        INSERT INTO g SELECT seq, 0, REPEAT('x', 150) FROM ${dialect === 'postgres' ? 'generate_series(1, 4000) seq' : 'seq_1_to_4000'};
        INSERT INTO gl SELECT seq, 1 + seq % 4000, (seq % 500) / 100 + 0.5 FROM ${dialect === 'postgres' ? 'generate_series(1, 8000) seq' : 'seq_1_to_8000'};`);
      const s = schema.tables[0]!.schema;
      const source = await openSource(db.url);
      const withG = await source.introspect();
      await source.close();
      const fk = withG.tables.find((t) => t.name === 'gl')!.foreignKeys[0]!.name;
      const rules: DataRules = {
        ...NO_DATA_RULES,
        aggregates: [{ kind: 'sum', parent: ref('g', s), column: 'total', child: ref('gl', s), foreignKey: fk, terms: ['price'], empty: 'zero', support: 30 }],
      };
      const written = async () => {
        const events: RunEvent[] = [];
        await deriveAggregates(target, shadow, withG, modelsOf(withG, rules), (e) => void events.push(e));
        return events.flatMap((e) => (e.type === 'table' && e.table.endsWith('.g') ? [e.rows] : []));
      };
      // PostgreSQL: the table's file, which VACUUM FULL replaces (how much it gives back depends on the server's oldest
      // snapshot, measured in docs/scale.md, so the test checks that it ran).
      const file = async () => (dialect === 'postgres' ? (await db.query<{ f: string }>("SELECT pg_relation_filenode('g')::text AS f"))[0]!.f : '');
      const loaded = await file();
      expect(await written()).toEqual([4000]);
      const compacted = await file();
      if (dialect === 'postgres') expect(compacted).not.toBe(loaded);
      // The second run finds every total right: nothing written, nothing to compact.
      expect(await written()).toEqual([0]);
      expect(await file()).toBe(compacted);
      const [wrong] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM g JOIN (SELECT g_id, SUM(price) AS v FROM gl GROUP BY g_id) s ON s.g_id = g.id WHERE g.total <> s.v');
      expect(Number(wrong!.n)).toBe(0);
    });

    it("rounds a sum into a float column to the decimals of the column's grid, and writes it as summed without one", async () => {
      const s = schema.tables[0]!.schema;
      const fk = schema.tables.find((t) => t.name === 'fl')!.foreignKeys[0]!.name;
      const rules: DataRules = {
        ...NO_DATA_RULES,
        aggregates: [{ kind: 'sum', parent: ref('f', s), column: 'total', child: ref('fl', s), foreignKey: fk, terms: ['price', 'qty'], empty: 'zero', support: 30 }],
      };
      const totals = async () => (await db.query<{ total: number | string }>('SELECT total FROM f ORDER BY id')).map((r) => String(r.total));
      await deriveAggregates(target, shadow, schema, modelsOf(schema, rules, { f: { total: { decimals: 2, lo: 0, hi: 100 } } }), () => undefined);
      expect(await totals()).toEqual(['15.06', '0.3']);
      // No grid (the source's totals were not on one): the database's own sum, MariaDB's in binary floating point.
      await deriveAggregates(target, shadow, schema, modelsOf(schema, rules), () => undefined);
      expect(await totals()).toEqual(dialect === 'mysql' ? ['15.06', '0.30000000000000004'] : ['15.06', '0.3']);
    });
  });
}
