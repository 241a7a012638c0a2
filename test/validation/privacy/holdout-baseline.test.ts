/**
 * The copy filters' holdout baseline: a dense table (two numeric columns whose values a fresh real row matches within
 * 1 % about as often as a generated one) lets near copies through up to the held-out share and keeps redrawing exact
 * copies; a sparse table (a value no other row holds) measures 0 and keeps every nudge; a personal table keeps every
 * nudge whatever its baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import { fitBaseline } from '../../../src/generation/baseline/baseline-model.js';
import type { GeneratedBatch } from '../../../src/generation/generate.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import type { TableSample } from '../../../src/generation/model.js';
import { PrivacyRun } from '../../../src/generation/privacy/privacy-run.js';
import { createRng } from '../../../src/generation/rng.js';
import type { Table } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import type { FilterScope } from '../../../src/validation/privacy/filter-scope.js';
import { PrivacyFilter, type FilterColumn } from '../../../src/validation/privacy/filters.js';
import { holdoutBaseline, wilsonLower } from '../../../src/validation/privacy/holdout-baseline.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let stock: { table: Table; sample: TableSample };
let badge: { table: Table; sample: TableSample };

async function read(name: string, columns: string[]): Promise<{ table: Table; sample: TableSample }> {
  const source = await openSource(db.url);
  try {
    const table = (await source.introspect({})).tables.find((t) => t.name === name)!;
    const rows: Row[] = [];
    for await (const b of source.readRows(table, { columns })) rows.push(...b.rows);
    return { table, sample: { table: { schema: table.schema, name }, totalRows: rows.length, columns, rows } };
  } finally {
    await source.close();
  }
}

beforeAll(async () => {
  db = await createPgDatabase('h12_holdout');
  // stock: partsupp-like, 3000 rows of two dense amounts. badge: every code unique (a sparse table).
  await db.exec(`
    CREATE TABLE stock (id serial PRIMARY KEY, qty int NOT NULL, cost numeric(8,2) NOT NULL);
    INSERT INTO stock (qty, cost) SELECT 1 + (g * 7919) % 999, round((1 + (g * 104729) % 99900 / 100.0)::numeric, 2)
      FROM generate_series(1, 3000) g;
    CREATE TABLE badge (id serial PRIMARY KEY, code text NOT NULL, qty int NOT NULL);
    INSERT INTO badge (code, qty) SELECT 'B' || (g * 7919) % 100003, 1 + (g * 7919) % 999 FROM generate_series(1, 3000) g;`);
  stock = await read('stock', ['id', 'qty', 'cost']);
  badge = await read('badge', ['id', 'code', 'qty']);
});
afterAll(async () => {
  await db?.drop();
});

const DENSE: FilterColumn[] = [
  { name: 'qty', kind: 'numeric', step: 1 },
  { name: 'cost', kind: 'numeric', step: 0.01 },
];

describe('holdoutBaseline', () => {
  it('measures how often held-out real rows are copies: often in a dense table, never in a sparse one', () => {
    const rng = createRng(1, 'split');
    const dense = holdoutBaseline(stock.sample, { columns: DENSE, matchTolerance: 0.01 }, () => rng.next());
    expect(dense.heldOut).toBe(300);
    expect(dense.indexed).toBe(2700);
    expect(dense.nearShare).toBeGreaterThan(0.2);
    expect(dense.allowance).toBeGreaterThan(0.1);
    expect(dense.allowance).toBeLessThan(dense.nearShare);
    // The same count by brute force over the split's two halves is what the index says.
    const again = createRng(1, 'split');
    expect(holdoutBaseline(stock.sample, { columns: DENSE, matchTolerance: 0.01 }, () => again.next())).toEqual(dense);

    const sparse = holdoutBaseline(badge.sample, { columns: [{ name: 'code', kind: 'categorical' }, { name: 'qty', kind: 'numeric', step: 1 }], matchTolerance: 0.01 }, () => rng.next());
    expect(sparse.near + sparse.exact).toBe(0);
    expect(sparse.allowance).toBe(0);
    // Too few rows to trust a share: nothing held out, nothing allowed.
    const few = holdoutBaseline({ columns: stock.sample.columns, rows: stock.sample.rows.slice(0, 400) }, { columns: DENSE, matchTolerance: 0.01 }, () => rng.next());
    expect(few).toMatchObject({ heldOut: 0, allowance: 0 });
  });

  it('wilsonLower is the lower end of the Wilson interval', () => {
    expect(wilsonLower(0, 100)).toBe(0);
    expect(wilsonLower(50, 100)).toBeCloseTo(0.4038, 3);
    expect(wilsonLower(300, 2000)).toBeCloseTo(0.1349, 3);
  });
});

describe('copy filters with the holdout baseline', () => {
  const run = async (scope: FilterScope) => {
    const config = parseConfig({ source: { url: db.url }, targets: { dev: { url: db.url } } });
    const { table, sample } = stock;
    const meta = describeColumns(table, sample);
    const model = fitBaseline(table, sample, meta);
    const privacy = PrivacyRun.forConfig(config)!;
    privacy.remember(new Map([['public.stock', { ...sample, filterScope: scope }]]));
    const batches = (async function* (): AsyncGenerator<GeneratedBatch> {
      for (let b = 0; b < 3; b++) {
        const rows = model.sample(1000, null, createRng(2, `batch${b}`)).map((r, i) => [b * 1000 + i, ...r]);
        yield { columns: ['id', ...model.columns], rows, start: b * 1000, batch: b };
      }
    })();
    const out: Row[] = [];
    for await (const b of privacy.filterRows(table, meta, model, batches, createRng(4))) out.push(...b.rows);
    const report = privacy.result().filters['public.stock']!;
    // What the target gets, judged by a filter on the whole sample.
    const filter = new PrivacyFilter(sample, { columns: DENSE, matchTolerance: config.filters.tolerance });
    const counts = filter.filterBatch({ columns: ['id', ...model.columns], rows: out }, false).counts;
    return { report, counts };
  };

  it('lets a dense, nobody\'s table keep near copies up to the held-out share, and still removes exact copies', async () => {
    const { report, counts } = await run({ guarded: true, linkedTo: 'public.person' });
    expect(report.holdout!.nearShare).toBeGreaterThan(0.1);
    // Each batch lets through its share of the allowance (floor(a × end) − floor(a × start)), no more.
    expect(report.allowedNear).toBeGreaterThan(0);
    expect(report.allowedNear).toBeLessThanOrEqual(Math.floor(report.holdout!.allowance * 3000));
    expect(report.nearCopies).toBeGreaterThan(report.allowedNear!);
    expect(counts.exactCopies).toBe(0);
    // Near copies in the output: those let through (a nudge or redraw never makes another).
    expect(counts.nearCopies).toBeGreaterThanOrEqual(report.allowedNear!);
    expect(counts.nearCopies / 3000).toBeLessThanOrEqual(report.holdout!.nearShare + 0.02);
  }, 30_000);

  it('keeps every nudge for a personal table: it ends with no near copy', async () => {
    const { report, counts } = await run({ guarded: true, personal: ['qty'] });
    expect(report.holdout!.nearShare).toBeGreaterThan(0.1);
    expect(report.allowedNear).toBeUndefined();
    expect(counts.nearCopies + counts.exactCopies).toBe(0);
  }, 30_000);
});
