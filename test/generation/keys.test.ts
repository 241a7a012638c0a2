import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { buildPlan } from '../../src/graph/plan.js';
import { fitModels } from '../../src/generation/fit.js';
import { createGeneration } from '../../src/generation/generate.js';
import { findTable, tableKey } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { isSynthError } from '../../src/errors.js';
import { allocateCounts, makeKeyFn } from '../../src/generation/keys/index.js';
import { createRng } from '../../src/generation/rng.js';
import { col, fk, int4, pk, readHistogram, readSample, schemaOf, table, text, uq, varchar } from './fixtures.js';
import { createShop, ddl, foreignKeysDdl, insertBatches, readShop, shopSchema } from './shop.js';

let db: TestDatabase;
let data: Awaited<ReturnType<typeof readShop>>;
const plan = buildPlan(shopSchema);

async function collect(gen: ReturnType<typeof createGeneration>, name: string): Promise<{ columns: string[]; rows: Row[] }> {
  const t = findTable(shopSchema, { schema: 'public', name })!;
  const rows: Row[] = [];
  let columns: string[] = [];
  for await (const b of gen.rows(t)) {
    columns = b.columns;
    expect(b.rows.length).toBeLessThanOrEqual(256);
    rows.push(...b.rows);
  }
  return { columns, rows };
}

beforeAll(async () => {
  db = await createPgDatabase('synth_keys');
  await createShop(db);
  data = await readShop(db);
});
afterAll(async () => {
  await db?.drop();
});

describe('key assignment on a real PostgreSQL shop', () => {
  it('generates every table so PostgreSQL accepts all PK, UNIQUE, NOT NULL and FK constraints (scale 2)', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 11 });
    const gen = createGeneration(shopSchema, plan, models, { scale: 2, seed: 11, batchSize: 256 });
    await db.exec(ddl('gen'));
    await db.exec(foreignKeysDdl('gen'));
    await db.exec('begin');
    for (const step of plan.steps) {
      const t = findTable(shopSchema, step.table)!;
      const { columns, rows } = await collect(gen, t.name);
      expect(rows.length).toBe(gen.rowCounts.get(tableKey(t)));
      await insertBatches(db, 'gen', t, columns, rows);
    }
    let updated = 0;
    for (const step of plan.steps) {
      for await (const u of gen.deferredUpdates(step.table)) {
        for (const r of u.rows) {
          const k = u.keyColumns.length;
          const set = u.setColumns.map((c, i) => `"${c}" = $${k + i + 1}`).join(', ');
          const where = u.keyColumns.map((c, i) => `"${c}" = $${i + 1}`).join(' and ');
          await db.query(`update gen."${step.table.name}" set ${set} where ${where}`, r as unknown[]);
          updated++;
        }
      }
    }
    await db.exec('commit'); // deferred FKs are checked here: throws on any orphan
    expect(updated).toBeGreaterThan(0);
    const counts = await db.query<{ t: string; n: number }>(
      `select 'customer' t, count(*)::int n from gen.customer union all select 'order_item', count(*)::int from gen.order_item
       union all select 'country_capital', count(capital)::int from gen.country`,
    );
    const by = Object.fromEntries(counts.map((r) => [r.t, r.n]));
    expect(by.customer).toBe(800);
    expect(by.order_item).toBe(2 * data.samples.get('public.order_item')!.totalRows);
    // Source: 3 letters-prefixes < 'DZ' → about 80% of countries have a capital; kept via null-then-update.
    const srcCap = await db.query<{ n: number }>('select count(capital)::int n from public.country');
    expect(Math.abs(by.country_capital! - 2 * srcCap[0]!.n)).toBeLessThanOrEqual(2);
  });

  it('keeps child-count distributions close to the source (orders per customer)', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 5 });
    const gen = createGeneration(shopSchema, plan, models, { scale: 1, seed: 5, batchSize: 256 });
    const orders = await collect(gen, 'orders');
    const ci = orders.columns.indexOf('customer_id');
    const perCustomer = new Map<unknown, number>();
    for (const r of orders.rows) perCustomer.set(r[ci], (perCustomer.get(r[ci]) ?? 0) + 1);
    const customers = gen.rowCounts.get('public.customer')!;
    const zeroShareGen = (customers - perCustomer.size) / customers;
    const srcHist = data.histograms.find((h) => h.foreignKey === 'orders_customer_fk')!.counts;
    const srcParents = srcHist.reduce((s, e) => s + e.parents, 0);
    const zeroShareSrc = (srcHist.find((e) => e.children === 0)?.parents ?? 0) / srcParents;
    expect(Math.abs(zeroShareGen - zeroShareSrc)).toBeLessThan(0.06);
    // mean and spread of orders per customer (zeros included) match the source histogram
    const genCounts = Array.from({ length: customers }, (_, i) => perCustomer.get(i + 1) ?? 0);
    const srcCounts = srcHist.flatMap((e) => Array<number>(e.parents).fill(e.children));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(avg(xs.map((x) => (x - avg(xs)) ** 2)));
    expect(Math.abs(avg(genCounts) - avg(srcCounts))).toBeLessThan(0.05 * avg(srcCounts));
    expect(Math.abs(sd(genCounts) - sd(srcCounts))).toBeLessThan(0.15 * sd(srcCounts));
    const maxGen = Math.max(...perCustomer.values());
    expect(maxGen).toBeLessThanOrEqual(8);
    // Every FK value is the key of a generated customer (ids 1..N).
    for (const v of perCustomer.keys()) expect(v as number).toBeGreaterThanOrEqual(1), expect(v as number).toBeLessThanOrEqual(customers);
    // Skewed region distribution survives: the busiest region holds a clearly larger share than uniform.
    const cust = await collect(gen, 'customer');
    const ri = cust.columns.indexOf('region_id');
    const perRegion = new Map<unknown, number>();
    for (const r of cust.rows) perRegion.set(r[ri], (perRegion.get(r[ri]) ?? 0) + 1);
    const srcRegion = data.histograms.find((h) => h.foreignKey === 'customer_region_fk')!.counts;
    const srcMax = Math.max(...srcRegion.map((e) => e.children));
    expect(Math.abs(Math.max(...perRegion.values()) - srcMax)).toBeLessThan(srcMax * 0.25);
  });

  it('builds self-references as a forest with the source root share, and link tables with exact distinct pairs', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 9 });
    const gen = createGeneration(shopSchema, plan, models, { scale: 3, seed: 9, batchSize: 256 });
    const cust = await collect(gen, 'customer');
    const id = cust.columns.indexOf('id');
    const ref = cust.columns.indexOf('referred_by');
    const parentOf = new Map(cust.rows.map((r) => [r[id], r[ref]]));
    for (const r of cust.rows) {
      if (r[ref] !== null) expect(r[ref] as number).toBeLessThan(r[id] as number);
      // walking up always terminates at a root
      let cur: unknown = r[id];
      let steps = 0;
      while (cur !== null && steps++ < cust.rows.length) cur = parentOf.get(cur as Row[number]) ?? null;
      expect(cur).toBeNull();
    }
    const rootsGen = cust.rows.filter((r) => r[ref] === null).length / cust.rows.length;
    const srcRows = data.samples.get('public.customer')!;
    const rootsSrc = srcRows.rows.filter((r) => r[srcRows.columns.indexOf('referred_by')] === null).length / srcRows.rows.length;
    expect(Math.abs(rootsGen - rootsSrc)).toBeLessThan(0.02);
    expect(new Set(cust.rows.map((r) => r[id])).size).toBe(cust.rows.length);
    const codes = cust.rows.map((r) => r[cust.columns.indexOf('code')] as string);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => /^C-\d{6}$/.test(c))).toBe(true);

    const items = await collect(gen, 'order_item');
    expect(items.rows.length).toBe(3 * data.samples.get('public.order_item')!.totalRows);
    const pairs = new Set(items.rows.map((r) => `${r[0]}/${r[1]}`));
    expect(pairs.size).toBe(items.rows.length);
    const products = gen.rowCounts.get('public.product')!;
    for (const r of items.rows) expect(r[1] as number).toBeLessThanOrEqual(products);
  });

  it('refuses with UNIQUENESS_IMPOSSIBLE when a link table needs more pairs than parentA × parentB', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 1 });
    // Refused when the generation is created (before any target is touched), not when order_item streams.
    const err = await (async () => {
      const gen = createGeneration(shopSchema, plan, models, {
        scale: 1,
        seed: 1,
        // 1 product only: every order can hold at most one item, far below the planned item count.
        tableScale: (t) => (t.name === 'product' ? 1 / 50 : 1),
      });
      return collect(gen, 'order_item');
    })().catch((e: unknown) => e);
    expect(isSynthError(err) && err.code).toBe('UNIQUENESS_IMPOSSIBLE');
    expect((err as Error).message).toContain('public.order_item');
  });
});

describe('keyAt', () => {
  const t = table('t', [col('code', varchar(2), { nullable: false }), col('id', int4, { nullable: false })], { primaryKey: pk('code') });
  const s = schemaOf([t]);
  it('packs indexes into short text keys and refuses when the length cannot hold N', () => {
    const c = s.tables[0]!.columns[0]!;
    const fn = makeKeyFn(t, c, { column: 'code', kind: 'text-alphabet', classes: 'U', length: 2 }, 600, 1);
    const vals = Array.from({ length: 600 }, (_, i) => fn(i) as string);
    expect(new Set(vals).size).toBe(600);
    expect(vals.every((v) => v.length <= 2)).toBe(true);
    try {
      makeKeyFn(t, c, { column: 'code', kind: 'text-alphabet', classes: 'U', length: 2 }, 5000, 1);
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e) && e.code).toBe('UNIQUENESS_IMPOSSIBLE');
      expect(isSynthError(e) && e.column).toBe('code');
    }
  });
  it('keeps integer keys inside the column type and the source offset', () => {
    const tiny = col('id', { kind: 'integer', bytes: 1, unsigned: false }, { nullable: false });
    const fn = makeKeyFn(t, tiny, { column: 'id', kind: 'integer', start: '100', step: 1 }, 20, 1);
    expect(fn(0)).toBe(100);
    expect(fn(19)).toBe(119);
    // 30 values from 100 would overflow tinyint: shifted down to end at 127.
    const shifted = makeKeyFn(t, tiny, { column: 'id', kind: 'integer', start: '100', step: 1 }, 30, 1);
    expect(shifted(0)).toBe(98);
    expect(shifted(29)).toBe(127);
    expect(() => makeKeyFn(t, tiny, { column: 'id', kind: 'integer', start: '1', step: 1 }, 300, 1)).toThrow(/distinct values/);
  });
  it('makes distinct uuid, date, timestamp, decimal, pattern and binary keys that fit their types', () => {
    const n = 5000;
    const cases: Array<[ReturnType<typeof col>, Parameters<typeof makeKeyFn>[2], RegExp | null]> = [
      [col('u', { kind: 'uuid' }), { column: 'u', kind: 'uuid' }, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
      [col('d', { kind: 'date' }), { column: 'd', kind: 'date', start: Date.UTC(2020, 0, 1) }, /^\d{4}-\d{2}-\d{2}$/],
      [col('ts', { kind: 'timestamp', withTimeZone: true }), { column: 'ts', kind: 'timestamp', start: Date.UTC(2020, 0, 1), span: 86400000 }, /^2020-01-0[12] \d{2}:\d{2}:\d{2}\+00$/],
      [col('m', { kind: 'decimal', precision: 6, scale: 2 }), { column: 'm', kind: 'decimal', start: 10, step: 1 }, /^-?\d{1,4}\.\d{2}$/],
      [col('sku', varchar(8)), { column: 'sku', kind: 'text-pattern', prefix: 'SK', suffix: '', width: 6, offset: 1 }, /^SK\d{6}$/],
      [col('b', { kind: 'binary', maxLength: 4 }), { column: 'b', kind: 'binary', length: 2 }, null],
    ];
    for (const [c, stats, re] of cases) {
      const fn = makeKeyFn(t, c, stats, n, 3);
      const vals = Array.from({ length: n }, (_, i) => fn(i));
      const keys = vals.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)));
      expect(new Set(keys).size, c.name).toBe(n);
      if (re) for (const v of vals) expect(String(v), c.name).toMatch(re);
      expect(makeKeyFn(t, c, stats, n, 3)(17), c.name).toEqual(fn(17));
    }
    // decimal(3,2) holds only 1999 distinct values: refused for more.
    expect(() => makeKeyFn(t, col('x', { kind: 'decimal', precision: 3, scale: 2 }), { column: 'x', kind: 'decimal', start: 0, step: 1 }, 3000, 1)).toThrow(/distinct values/);
  });
  it('allocates child counts that sum exactly to the target', () => {
    const counts = allocateCounts([{ children: 0, parents: 50 }, { children: 4, parents: 50 }], 1000, 1999, createRng(1));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1999);
    const zeros = counts.filter((c) => c === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
  });
});

describe('line numbers, one-to-one FKs and nullable unique columns', () => {
  const ddlExtra = (s: string) => `
    create schema ${s};
    create table ${s}.ord (id int primary key, email varchar(40) unique, ext varchar(10) not null unique);
    create table ${s}.ord_ref (id int primary key, ord_ext varchar(10) not null references ${s}.ord(ext) deferrable initially deferred);
    create table ${s}.line (ord_id int not null references ${s}.ord(id) deferrable initially deferred, line_no smallint not null, amount int,
      primary key (ord_id, line_no));
    create table ${s}.ord_detail (ord_id int primary key references ${s}.ord(id) deferrable initially deferred, note text);`;
  const extra = schemaOf([
    table('ord', [col('id', int4, { nullable: false }), col('email', varchar(40)), col('ext', varchar(10), { nullable: false })], {
      schema: 'extra',
      primaryKey: pk('id'),
      uniques: [uq('ord_email_key', 'email'), uq('ord_ext_key', 'ext')],
    }),
    table('ord_ref', [col('id', int4, { nullable: false }), col('ord_ext', varchar(10), { nullable: false })], {
      schema: 'extra',
      primaryKey: pk('id'),
      foreignKeys: [fk('ord_ref_ext_fk', ['ord_ext'], 'ord', ['ext'], 'extra')],
    }),
    table('line', [col('ord_id', int4, { nullable: false }), col('line_no', { kind: 'integer', bytes: 2, unsigned: false }, { nullable: false }), col('amount', int4)], {
      schema: 'extra',
      primaryKey: pk('ord_id', 'line_no'),
      foreignKeys: [fk('line_ord_fk', ['ord_id'], 'ord', ['id'], 'extra')],
    }),
    table('ord_detail', [col('ord_id', int4, { nullable: false }), col('note', text)], {
      schema: 'extra',
      primaryKey: pk('ord_id'),
      foreignKeys: [fk('ord_detail_ord_fk', ['ord_id'], 'ord', ['id'], 'extra')],
    }),
  ]);

  it('numbers lines within each parent, gives one-to-one children distinct parents, keeps unique NULL share', async () => {
    await db.exec(`${ddlExtra('extra')}
      insert into extra.ord select g, case when g % 2 = 0 then 'u' || g || '@x.org' end, 'X' || (1000 - g) from generate_series(1, 200) g;
      insert into extra.ord_ref select g, 'X' || (1000 - (g % 200) - 1) from generate_series(1, 500) g;
      insert into extra.line select g, k, g * k from generate_series(1, 200) g, generate_series(1, g % 5 + 1) k;
      insert into extra.ord_detail select g, 'n' from generate_series(1, 150) g;`);
    const p = buildPlan(extra);
    const samples = new Map();
    const hists = [];
    for (const t of extra.tables) {
      samples.set(tableKey(t), await readSample(db, t, 'extra'));
      for (const f of t.foreignKeys) hists.push(await readHistogram(db, t, f.name));
    }
    const models = await fitModels(extra, p, samples, hists, { seed: 4 });
    const gen = createGeneration(extra, p, models, { scale: 2, seed: 4, batchSize: 128 });
    await db.exec(ddlExtra('extra_gen'));
    await db.exec('begin');
    const out = new Map<string, Row[]>();
    for (const s of p.steps) {
      const t = findTable(extra, s.table)!;
      const rows: Row[] = [];
      let columns: string[] = [];
      for await (const b of gen.rows(t)) {
        columns = b.columns;
        rows.push(...b.rows);
      }
      out.set(t.name, rows);
      await insertBatches(db, 'extra_gen', t, columns, rows);
    }
    await db.exec('commit');
    const lines = out.get('line')!;
    expect(lines.length).toBe(2 * 600);
    const maxLine = Math.max(...lines.map((r) => r[1] as number));
    expect(maxLine).toBeLessThanOrEqual(12);
    expect(Math.min(...lines.map((r) => r[1] as number))).toBe(1);
    const details = out.get('ord_detail')!;
    expect(details.length).toBe(300);
    expect(new Set(details.map((r) => r[0])).size).toBe(300);
    const emails = out.get('ord')!.map((r) => r[1]);
    const nullShare = emails.filter((e) => e === null).length / emails.length;
    expect(Math.abs(nullShare - 0.5)).toBeLessThan(0.08);
    expect(new Set(emails.filter((e) => e !== null)).size).toBe(emails.filter((e) => e !== null).length);
    // FK to a UNIQUE non-PK column: values are the parent's generated `ext` keys
    const exts = new Set(out.get('ord')!.map((r) => r[2]));
    const refs = out.get('ord_ref')!;
    expect(refs.length).toBe(1000);
    for (const r of refs) expect(exts.has(r[1])).toBe(true);
  });

  it('refuses a one-to-one child larger than its parent with UNIQUENESS_IMPOSSIBLE', async () => {
    const p = buildPlan(extra);
    const samples = new Map();
    for (const t of extra.tables) samples.set(tableKey(t), await readSample(db, t, 'extra'));
    const models = await fitModels(extra, p, samples, [], { seed: 4 });
    const t = findTable(extra, { schema: 'extra', name: 'ord_detail' })!;
    const err = await (async () => {
      const gen = createGeneration(extra, p, models, { scale: 1, seed: 4, tableScale: (x) => (x.name === 'ord_detail' ? 2 : 1) });
      for await (const _ of gen.rows(t)) void _;
    })().catch((e: unknown) => e);
    expect(isSynthError(err) && err.code).toBe('UNIQUENESS_IMPOSSIBLE');
    expect((err as Error).message).toContain('extra.ord_detail');
  });
});
