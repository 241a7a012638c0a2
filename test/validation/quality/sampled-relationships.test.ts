/**
 * Relationships of tables the report reads as samples. Cardinality: scored on children-per-parent histograms both
 * databases count in full, so an output whose fan-outs equal the source's scores 1 (the sampled counts of 8 tags
 * scatter and used to score ~0.6), and a real difference is still measured exactly. Intertable Trends: the sampled
 * children are joined to the parents they point at (read by key), not to the parent's own sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource, openTarget } from '../../../src/connectors/index.js';
import type { TargetConnector } from '../../../src/connectors/connector.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import { readSample } from '../../../src/pipeline/index.js';
import { measureQuality } from '../../../src/validation/measure-quality.js';
import { ksStatisticOfBins } from '../../../src/validation/quality/cardinality.js';
import { ksStatistic } from '../../../src/validation/quality/stats.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../../support/databases.js';

// 8 tags with 300 order_tag rows each (2 400 rows, read as a sample of 200), orders with 0–3 lines.
const TABLES = `
CREATE TABLE tag (tag_id int PRIMARY KEY, label text NOT NULL);
CREATE TABLE orders (order_id int PRIMARY KEY, status text NOT NULL);
CREATE TABLE order_tag (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders (order_id), tag_id int NOT NULL REFERENCES tag (tag_id), note text NOT NULL);`;
const ROWS = `
INSERT INTO tag SELECT g, concat('tag ', g) FROM generate_series(1, 8) g;
INSERT INTO orders SELECT g, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END FROM generate_series(1, 1200) g;
INSERT INTO order_tag SELECT g, 1 + (g * 7) % 1200, 1 + g % 8, CASE WHEN (1 + (g * 7) % 1200) % 3 = 0 THEN 'follow up' ELSE 'archived' END FROM generate_series(1, 2400) g;`;

describe('ksStatisticOfBins', () => {
  it('equals the two-sample KS statistic of the expanded counts', () => {
    const expand = (bins: Array<{ children: number; parents: number }>): number[] => bins.flatMap((b) => Array<number>(b.parents).fill(b.children));
    const cases: Array<[Array<{ children: number; parents: number }>, Array<{ children: number; parents: number }>]> = [
      [[{ children: 0, parents: 3 }, { children: 2, parents: 5 }, { children: 7, parents: 1 }], [{ children: 2, parents: 4 }, { children: 3, parents: 4 }]],
      [[{ children: 80, parents: 10 }], [{ children: 79, parents: 2 }, { children: 80, parents: 6 }, { children: 81, parents: 2 }]],
      [[{ children: 4, parents: 9 }], [{ children: 4, parents: 9 }]],
      [[{ children: 1, parents: 2 }, { children: 1, parents: 3 }, { children: 5, parents: 0 }], [{ children: 5, parents: 1 }, { children: 1, parents: 1 }]],
    ];
    for (const [a, b] of cases) expect(ksStatisticOfBins(a, b)).toBeCloseTo(ksStatistic(expand(a), expand(b)), 12);
    expect(ksStatisticOfBins([], [{ children: 1, parents: 1 }])).toBeNaN();
  });
});

describe('Cardinality of sampled tables is scored on all rows', () => {
  let source: TestDatabase;
  let pgCopy: TestDatabase;
  let mysqlCopy: TestDatabase;
  beforeAll(async () => {
    [source, pgCopy, mysqlCopy] = await Promise.all([createPgDatabase('synth_card_src'), createPgDatabase('synth_card_pg'), createMysqlDatabase('synth_card_my')]);
    await source.exec(`${TABLES}${ROWS} ANALYZE;`);
    // The same fan-outs on rows of other ids, so the report's samples (chosen by a hash of the row) differ.
    await pgCopy.exec(`${TABLES}${ROWS.replace('SELECT g, 1 + (g * 7)', 'SELECT 2401 - g, 1 + (g * 7)')}`);
    // MySQL has no generate_series: the same rows from a recursive CTE.
    const series = (n: number) => `WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${n})`;
    await mysqlCopy.exec('SET SESSION max_recursive_iterations = 10000');
    await mysqlCopy.exec(TABLES.replace(/REFERENCES \w+ \(\w+\)/g, ''));
    await mysqlCopy.exec(`INSERT INTO tag ${series(8)} SELECT g, concat('tag ', g) FROM s`);
    await mysqlCopy.exec(`INSERT INTO orders ${series(1200)} SELECT g, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END FROM s`);
    await mysqlCopy.exec(`INSERT INTO order_tag ${series(2400)} SELECT g, 1 + (g * 7) % 1200, 1 + g % 8, CASE WHEN (1 + (g * 7) % 1200) % 3 = 0 THEN 'follow up' ELSE 'archived' END FROM s`);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([source?.drop(), pgCopy?.drop(), mysqlCopy?.drop()]);
  });

  async function report(targetUrl: string, strip = false) {
    const q = await measure(targetUrl, strip);
    return Object.fromEntries(q.cardinality.map((c) => [`${c.childTable}.${c.foreignKey}`, c]));
  }

  /** The report on the source against `targetUrl`; `strip` leaves out the target's count and key reads. */
  async function measure(targetUrl: string, strip = false, keysRead: number[] = []) {
    const src = await openSource(source.url);
    const opened = await openTarget(targetUrl);
    const target: TargetConnector = strip ? { ...opened, childCountHistogram: undefined, readRowsByKeys: undefined } : opened;
    const byKeys = src.readRowsByKeys!.bind(src);
    src.readRowsByKeys = (table, columns, keyColumns, keys) => {
      keysRead.push(keys.length);
      return byKeys(table, columns, keyColumns, keys);
    };
    try {
      const schema = await src.introspect();
      const meta = [];
      for (const t of schema.tables) meta.push(...describeColumns(t, await readSample(src, t, 200, 42)));
      return await measureQuality({ source: src, target, shadow: null, schema, meta, sampleRows: 200, seed: 42 });
    } finally {
      await src.close();
      await opened.close();
    }
  }

  it('scores an identical copy 1 on every sampled relationship (PostgreSQL and MySQL targets)', async () => {
    for (const url of [pgCopy.url, mysqlCopy.url]) {
      const card = await report(url);
      expect(card['order_tag.tag_id']).toMatchObject({ score: 1, counted: 'all rows' });
      expect(card['order_tag.order_id']).toMatchObject({ score: 1, counted: 'all rows' });
    }
    // Scored on the two samples, the same fan-outs read as different: each tag's ~25 sampled children scatter.
    const sampled = await report(pgCopy.url, true);
    expect(sampled['order_tag.tag_id']!.counted).toBeUndefined();
    expect(sampled['order_tag.tag_id']!.score!).toBeLessThan(0.9);
  }, 60_000);

  it('joins the sampled children to the parents they point at for Intertable Trends (PostgreSQL and MySQL targets)', async () => {
    for (const url of [pgCopy.url, mysqlCopy.url]) {
      const keysRead: number[] = [];
      const q = await measure(url, false, keysRead);
      // orders (1 200 rows) is sampled: the parents of the 200 sampled order_tag rows are read, ~170 distinct orders.
      expect(keysRead.length).toBe(1);
      expect(keysRead[0]!).toBeGreaterThan(150);
      const pair = q.intertableTrends.find((d) => d.childTable === 'order_tag' && d.parentTable === 'orders' && d.column1 === 'status' && d.column2 === 'note')!;
      // The copy keeps note a function of the order's status: the joined contingency tables agree closely.
      expect(pair.score!).toBeGreaterThan(0.9);
    }
  }, 60_000);

  it("reuses the sample stage's histograms, and estimates the synthetic side from its parent sample where the source's was estimated", async () => {
    for (const url of [pgCopy.url, mysqlCopy.url]) {
      const src = await openSource(source.url);
      const target = await openTarget(url);
      const grouped: string[] = [];
      const group = src.childCountHistogram.bind(src);
      try {
        const schema = await src.introspect();
        const child = schema.tables.find((t) => t.name === 'order_tag')!;
        const fk = child.foreignKeys.find((f) => f.columns[0] === 'order_id')!;
        // As the sample stage hands it over for a big child: counted for a sample of parents, with its error.
        const counts = await group(child, fk);
        const sourceChildCounts = [{ child: { schema: child.schema, name: child.name }, foreignKey: fk.name, counts, estimate: { parentsSampled: 300, parents: 1200, meanChildren: 2, margin: 0.1 } }];
        src.childCountHistogram = (c, f) => {
          grouped.push(f.name);
          return group(c, f);
        };
        // The sample stage's exact row counts are reused too: only tables it has no count for are counted.
        const counted: string[] = [];
        const count = src.countRows.bind(src);
        src.countRows = (t) => {
          counted.push(t.name);
          return count(t);
        };
        const sourceRows = new Map([[`${child.schema}.order_tag`, 2400], [`${child.schema}.orders`, 1200]]);
        const meta = [];
        for (const t of schema.tables) meta.push(...describeColumns(t, await readSample(src, t, 200, 42)));
        counted.length = 0;
        const q = await measureQuality({ source: src, target, shadow: null, schema, meta, sampleRows: 200, seed: 42, sourceChildCounts, sourceRows });
        expect(counted).toEqual(['tag']);
        expect(q.sampling!.tables[`${child.schema}.order_tag`]).toMatchObject({ real: 200, realOf: 2400 });
        // The source is grouped only for the FK the sample stage did not count.
        expect(grouped).toEqual([child.foreignKeys.find((f) => f.columns[0] === 'tag_id')!.name]);
        const note = q.sampling!.childCounts!.find((c) => c.side === 'synthetic')!;
        expect(note).toMatchObject({ table: `${child.schema}.order_tag`, foreignKey: fk.name, parentsSampled: 200, parents: 1200 });
        // Every order has exactly 2 of the 2 400 children: so has every sampled one, without error.
        expect(note).toMatchObject({ meanChildren: 2, margin: 0 });
        const card = q.cardinality.find((c) => c.childTable === 'order_tag' && c.foreignKey === 'order_id')!;
        expect(card.score!).toBeGreaterThan(0.8);
      } finally {
        await src.close();
        await target.close();
      }
    }
  }, 60_000);

  it('measures a real difference exactly', async () => {
    // Tag 1 loses 150 of its 300 rows to tag 2 (450): two of eight parents differ, KS = 1/8.
    await pgCopy.exec('UPDATE order_tag SET tag_id = 2 WHERE tag_id = 1 AND id % 16 < 8');
    const card = await report(pgCopy.url);
    expect(card['order_tag.tag_id']).toMatchObject({ score: 0.875, counted: 'all rows' });
  }, 60_000);
});
