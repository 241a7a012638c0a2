import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { fitBaseline } from '../../../src/generation/baseline/baseline-model.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import type { TableSample } from '../../../src/generation/model.js';
import { PrivacyRun } from '../../../src/generation/privacy/privacy-run.js';
import { createRng } from '../../../src/generation/rng.js';
import type { Table } from '../../../src/schema/model.js';
import { writableColumns } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let table: Table;
let sample: TableSample;

beforeAll(async () => {
  db = await createPgDatabase('synth_dprun');
  await db.exec(`
    CREATE TABLE account (id serial PRIMARY KEY, email text NOT NULL, plan text NOT NULL, seats int NOT NULL, since date NOT NULL);
    INSERT INTO account (email, plan, seats, since)
    SELECT 'user' || g || '@example-corp.org', (ARRAY['free','pro','team'])[1 + g % 3], 1 + (g * 7) % 40, DATE '2020-01-01' + (g * 3) % 900
    FROM generate_series(1, 800) g;`);
  source = await openSource(db.url);
  table = (await source.introspect({})).tables.find((t) => t.name === 'account')!;
  const columns = writableColumns(table).map((c) => c.name);
  const rows: Row[] = [];
  for await (const b of source.readRows(table, { columns })) rows.push(...b.rows);
  sample = { table: { schema: table.schema, name: table.name }, totalRows: rows.length, columns, rows };
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

function config(extra: Record<string, unknown> = {}) {
  return parseConfig({ source: { url: db.url }, targets: { dev: { url: 'postgresql://x@127.0.0.1/none' } }, privacy: { epsilon: 1, delta: 1e-6, copyFilters: true }, ...extra });
}

describe('PrivacyRun', () => {
  it('replaces detected PII deterministically with the key, and differently with another key', async () => {
    const a = await PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'key-one' })!.transformSample(table, sample);
    const b = await PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'key-one' })!.transformSample(table, sample);
    const c = await PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'key-two' })!.transformSample(table, sample);
    const ei = sample.columns.indexOf('email');
    const real = new Set(sample.rows.map((r) => r[ei]));
    expect(a.rows.map((r) => r[ei])).toEqual(b.rows.map((r) => r[ei]));
    expect(a.rows.filter((r) => real.has(r[ei]!))).toEqual([]);
    expect(a.rows.map((r) => r[ei])).not.toEqual(c.rows.map((r) => r[ei]));
    // Other columns are untouched.
    const pi = sample.columns.indexOf('plan');
    expect(a.rows.map((r) => r[pi])).toEqual(sample.rows.map((r) => r[pi]));
  });

  it("a column marked transform: 'keep' is left alone; no key is then needed", async () => {
    const run = PrivacyRun.forConfig(config({ tables: { account: { columns: { email: { transform: 'keep' } } } } }), {})!;
    const out = await run.transformSample(table, sample);
    expect(out.rows).toEqual(sample.rows);
    expect(run.pii.find((p) => p.column === 'email')?.transform).toBeNull();
  });

  it('regenerates the attributes of planted copies and keeps their keys', async () => {
    const run = PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'k' })!;
    run.remember(new Map([['public.account', sample]]));
    const meta = describeColumns(table, sample);
    const model = fitBaseline(table, sample, meta);
    const columns = ['id', ...model.columns];
    const fresh = model.sample(300, null, createRng(5)).map((r, i) => [100_000 + i, ...r]);
    // 40 exact copies of training rows, planted among fresh rows.
    const copies = sample.rows.slice(0, 40).map((r, i) => [200_000 + i, ...model.columns.map((c) => r[sample.columns.indexOf(c)] ?? null)]);
    const batches = (async function* (): AsyncGenerator<RowBatch> {
      yield { columns, rows: [...fresh, ...copies] };
    })();
    const out: Row[] = [];
    for await (const b of run.filterRows(table, meta, model, batches, createRng(9))) out.push(...b.rows);
    expect(out.length).toBe(340);
    const report = run.result().filters['public.account']!;
    expect(report.exactCopies).toBeGreaterThanOrEqual(40);
    expect(report.regenerated).toBeGreaterThanOrEqual(40);
    const key = (r: Row, cols: string[]) => JSON.stringify(['plan', 'seats', 'since'].map((c) => r[cols.indexOf(c)]));
    const training = new Set(sample.rows.map((r) => key(r, sample.columns)));
    const stillCopies = out.filter((r) => training.has(key(r, columns)));
    expect(stillCopies.length).toBeLessThanOrEqual(report.unresolved);
    // Keys of the planted rows are unchanged.
    expect(out.filter((r) => Number(r[0]) >= 200_000).map((r) => r[0])).toEqual(copies.map((r) => r[0]));
  });
});

describe('PrivacyRun.filterRows with a conditioned model', () => {
  it('draws a flagged row again with the parents it was generated for', async () => {
    // Only a categorical attribute, so no copy can be nudged out of its band: every flagged row is drawn again.
    const keep = ['id', 'email', 'plan'];
    const narrowTable = { ...table, columns: table.columns.filter((c) => keep.includes(c.name)) };
    const at = keep.map((c) => sample.columns.indexOf(c));
    const narrow: TableSample = { ...sample, columns: keep, rows: sample.rows.map((r) => at.map((i) => r[i] ?? null)) };
    const run = PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'k' })!;
    run.remember(new Map([['public.account', narrow]]));
    const meta = describeColumns(narrowTable, narrow);
    const baseline = fitBaseline(narrowTable, narrow, meta);
    const seen: Array<Row | null> = [];
    // A model that records the context of every redraw and otherwise draws from the baseline.
    const model = {
      columns: baseline.columns,
      sample(n: number, context: Row[] | null, rng: ReturnType<typeof createRng>) {
        if (context) seen.push(...context);
        return baseline.sample(n, null, rng);
      },
    };
    const columns = ['id', ...model.columns];
    const copies = narrow.rows.slice(0, 30).map((r, i) => [300_000 + i, ...model.columns.map((c) => r[narrow.columns.indexOf(c)] ?? null)]);
    const context = copies.map((_r, i) => (i % 3 === 0 ? null : [`parent-${i}`]));
    const batches = (async function* () {
      yield { columns, rows: copies, context };
    })();
    for await (const _ of run.filterRows(narrowTable, meta, model, batches, createRng(3))) void _;
    const report = run.result().filters['public.account']!;
    expect(report.regenerated).toBe(30);
    // Every redraw saw the contexts of exactly the rows it replaced, in their order.
    expect(seen.length).toBeGreaterThan(0);
    for (const c of seen) expect(c === null || /^parent-\d+$/.test(String(c[0]))).toBe(true);
    expect(new Set(seen.filter((c) => c !== null).map((c) => c![0])).size).toBeGreaterThan(1);
  });
});

describe('PrivacyRun.filterRows against SDMetrics NewRowSynthesis', () => {
  it('leaves no row that NewRowSynthesis (with the quality metadata of the table) counts as a copy', async () => {
    const { newRowSynthesis } = await import('../../../src/validation/quality/diagnostics.js');
    const { metadataFromSchema } = await import('../../../src/validation/quality/metadata-from-schema.js');
    const own = await createPgDatabase('synth_dprun_nrs');
    const src = await openSource(own.url);
    try {
      // Like world.city: a text name, a few categories and one dense integer (1 % bands cover most of its range).
      await own.exec(`
        CREATE TABLE town (id serial PRIMARY KEY, name text NOT NULL, kind text NOT NULL, population int NOT NULL CHECK (population > 0));
        INSERT INTO town (name, kind, population)
        SELECT 'Town ' || g, (ARRAY['city','village'])[1 + g % 2], 500 + (g * 7919) % 200000 FROM generate_series(1, 1500) g;`);
      const schema = await src.introspect({});
      const town = schema.tables.find((t) => t.name === 'town')!;
      const columns = writableColumns(town).map((c) => c.name);
      const rows: Row[] = [];
      for await (const b of src.readRows(town, { columns })) rows.push(...b.rows);
      const s: TableSample = { table: { schema: town.schema, name: town.name }, totalRows: rows.length, columns, rows };
      const run = PrivacyRun.forConfig(config(), { SYNTH_PII_KEY: 'k' })!;
      run.remember(new Map([['public.town', s]]));
      const meta = describeColumns(town, s);
      const model = fitBaseline(town, s, meta);
      const outCols = ['id', ...model.columns];
      const batches = (async function* (): AsyncGenerator<RowBatch> {
        for (let b = 0; b < 3; b++) yield { columns: outCols, rows: model.sample(1000, null, createRng(20 + b)).map((r, i) => [b * 1000 + i + 1, ...r]) };
      })();
      const out: Row[] = [];
      for await (const b of run.filterRows(town, meta, model, batches, createRng(4))) out.push(...b.rows);
      expect(out.length).toBe(3000);
      const sdtypes = Object.fromEntries(Object.entries(metadataFromSchema(schema, meta).tables['town']!.columns).map(([c, m]) => [c, m.sdtype]));
      const cells = (cols: string[], rs: Row[]) => ({ columns: cols, rows: rs.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)) as Array<string | number | null>) });
      const nrs = newRowSynthesis(cells(columns, rows), cells(outCols, out), 'town', sdtypes, 0.01, 100_000);
      const report = run.result().filters['public.town']!;
      expect(report.nearCopies + report.exactCopies).toBeGreaterThan(300);
      expect(report.nudged ?? 0).toBeGreaterThan(300);
      expect(nrs.score).toBeGreaterThanOrEqual(0.99);
      const pop = outCols.indexOf('population');
      for (const r of out) {
        expect(Number.isInteger(Number(r[pop]))).toBe(true);
        expect(Number(r[pop])).toBeGreaterThan(0);
      }
    } finally {
      await src.close();
      await own.drop();
    }
  });
});
