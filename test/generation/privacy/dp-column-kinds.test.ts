import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import { drawSpec } from '../../../src/generation/baseline/column-spec.js';
import { columnCharges, dpColumnSpec } from '../../../src/generation/privacy/dp-columns.js';
import { histogramQuantiles, structuredCharges } from '../../../src/generation/privacy/dp-structured.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { createRng } from '../../../src/generation/rng.js';
import { readSample } from '../../../src/pipeline/index.js';
import type { Table } from '../../../src/schema/model.js';
import type { TableSample } from '../../../src/generation/model.js';
import type { Value } from '../../../src/schema/values.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { PRIVACY_TYPE_ZOO } from '../../support/privacy-type-zoo.js';

let pg: TestDatabase;
let my: TestDatabase;
let item: Table;
let sample: TableSample;
let places: Table;
let placesSample: TableSample;

beforeAll(async () => {
  pg = await createPgDatabase('synth_dpkinds');
  await pg.exec(PRIVACY_TYPE_ZOO);
  const source = await openSource(pg.url);
  item = (await source.introspect({})).tables.find((t) => t.name === 'item')!;
  sample = await readSample(source, item, 5000, 1);
  await source.close();
  my = await createMysqlDatabase('synth_dpkinds');
  await my.exec(`CREATE TABLE place (id int PRIMARY KEY, pos POINT NOT NULL, area POLYGON NULL, kinds SET('park', 'shop', 'school') NOT NULL)`);
  for (let i = 0; i < 800; i++) {
    const x = (13 + (i % 50) / 100).toFixed(2);
    const y = (52 + (i % 30) / 100).toFixed(2);
    await my.exec(`INSERT INTO place VALUES (${i}, ST_GeomFromText('POINT(${x} ${y})'), ${i % 3 === 0 ? 'NULL' : `ST_GeomFromText('POLYGON((0 0, ${1 + (i % 4)} 0, ${1 + (i % 4)} 1, 0 0))')`}, '${i % 2 ? 'park,shop' : 'school'}')`);
  }
  const mysource = await openSource(my.url);
  places = (await mysource.introspect({})).tables.find((t) => t.name === 'place')!;
  placesSample = await readSample(mysource, places, 5000, 1);
  await mysource.close();
}, 120_000);
afterAll(async () => {
  await pg?.drop();
  await my?.drop();
});

function valuesOf(s: TableSample, column: string): Value[] {
  const i = s.columns.indexOf(column);
  return s.rows.map((r) => r[i] ?? null);
}

/** Fits one column's DP spec at ε and checks its spend against the plan made from the schema alone. */
function fit(table: Table, s: TableSample, column: string, epsilon: number, seed = 'kinds') {
  const col = table.columns.find((c) => c.name === column)!;
  const ledger = new PrivacyLedger();
  const spec = dpColumnSpec({ table, column: col, values: valuesOf(s, column), epsilon, delta: 1e-8, sampleSize: s.rows.length, ctx: { ledger, rng: SecureRandom.seededForTests(seed) } });
  const planned = new PrivacyLedger();
  for (const c of columnCharges(table, col, epsilon, 1e-8, false)) planned.charge(column, c);
  return { col, spec, ledger, planned };
}

/** A drawn value in the form the PostgreSQL driver sends (what the writer's COPY path gets from the generator). */
function wire(v: Value): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return JSON.stringify(v);
  return v;
}

describe('a DP generator per column kind (PostgreSQL type zoo, MariaDB geometry)', () => {
  const pgColumns = ['uid', 'feeling', 'tags', 'scores', 'days', 'attrs', 'raw_doc', 'blob', 'warranty', 'ip', 'net', 'mac', 'flags', 'vflags', 'doc', 'page', 'price', 'opens'];

  it.each(pgColumns)('%s: spends within its plan, records the spend, and draws values PostgreSQL accepts as the column type', async (column) => {
    const { col, spec, ledger, planned } = fit(item, sample, column, 3);
    expect(ledger.entries.length + (col.type.kind === 'uuid' ? 1 : 0)).toBeGreaterThan(0);
    for (const order of [1.5, 2, 8, 32, 256]) {
      const actual = new PrivacyLedger({ orders: [order] });
      for (const e of ledger.entries) actual.charge(e.label, e.charge);
      const plan = new PrivacyLedger({ orders: [order] });
      for (const e of planned.entries) plan.charge(e.label, e.charge);
      expect(actual.spent(1e-6).epsilon, `${column} at order ${order}`).toBeLessThanOrEqual(plan.spent(1e-6).epsilon + 1e-12);
    }
    const rng = createRng(7, column);
    for (let i = 0; i < 40; i++) {
      const v = rng.next() < spec.nullRate ? null : drawSpec(spec.spec, rng);
      if (v === null) continue;
      const [row] = await pg.query<{ ok: boolean }>(`SELECT $1::${col.nativeType} IS NOT NULL AS ok`, [wire(v)]);
      expect(row!.ok, `${column}: ${JSON.stringify(wire(v))}`).toBe(true);
    }
  });

  it('composite and range columns: each part gets its own DP spec and spend', () => {
    const size = fit(item, sample, 'size', 3);
    expect(size.spec.spec.type).toBe('record');
    if (size.spec.spec.type === 'record') expect(size.spec.spec.fields.map((f) => f.name)).toEqual(['w', 'h', 'label']);
    for (const part of ['w', 'h', 'label']) expect(size.ledger.entries.some((e) => e.label.startsWith(`public.item.size.${part} `)), part).toBe(true);
    const period = fit(item, sample, 'period', 3);
    expect(period.spec.spec).toMatchObject({ type: 'record', range: { bounds: { type: 'constant', value: '[)' } } });
    expect(period.ledger.entries.some((e) => e.label === 'public.item.period empty ranges count')).toBe(true);
    expect(period.ledger.spent(1e-6).epsilon).toBeLessThanOrEqual(period.planned.spent(1e-6).epsilon + 1e-12);
  });

  it('arrays of categories at a generous ε: the lengths and the element categories come back, nothing else', () => {
    const { spec } = fit(item, sample, 'tags', 8);
    expect(spec.spec.type).toBe('array');
    if (spec.spec.type !== 'array') return;
    expect(spec.spec.element.type).toBe('categorical');
    if (spec.spec.element.type === 'categorical') expect([...spec.spec.element.values].sort()).toEqual(['Behind the Scenes', 'Commentaries', 'Deleted Scenes', 'Trailers']);
    expect(Math.min(...spec.spec.lengths)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...spec.spec.lengths)).toBeLessThanOrEqual(3);
  });

  it('json at a generous ε: a column of few documents is a vocabulary of them; varied documents keep their keys and leaf kinds', () => {
    const raw = fit(item, sample, 'raw_doc', 8).spec.spec;
    expect(raw.type).toBe('categorical');
    if (raw.type === 'categorical') expect(raw.values).toEqual(expect.arrayContaining([{ kind: 'a' }, { kind: 'b' }]));
    const attrs = fit(item, sample, 'attrs', 8).spec.spec;
    expect(attrs.type).toBe('json');
    if (attrs.type !== 'json') return;
    const drawn = drawSpec(attrs, createRng(1)) as Record<string, unknown>;
    expect(Object.keys(drawn).sort()).toEqual(['color', 'note', 'ok', 'size']);
    expect(typeof drawn.size).toBe('number');
    expect(typeof drawn.ok).toBe('boolean');
    // No real note value ('n123') is kept: strings are drawn as text of the released length.
    expect(String(drawn.note)).not.toMatch(/^n\d+$/);
  });

  it('geometry (MariaDB POINT and POLYGON): coordinates within DP ranges of the data, valid WKT, spend within plan', async () => {
    for (const column of ['pos', 'area']) {
      const { spec, ledger, planned } = fit(places, placesSample, column, 4, `geo-${column}`);
      expect(ledger.entries.some((e) => e.label.startsWith(`${places.schema}.place.${column} slot`)), column).toBe(true);
      expect(ledger.spent(1e-6).epsilon).toBeLessThanOrEqual(planned.spent(1e-6).epsilon + 1e-12);
      const rng = createRng(3, column);
      for (let i = 0; i < 30; i++) {
        const v = drawSpec(spec.spec, rng);
        const [row] = await my.query<{ ok: number }>(`SELECT ST_GeomFromText(?) IS NOT NULL AS ok`, [v]);
        expect(row!.ok, String(v)).toBe(1);
        if (column === 'pos') {
          const [x, y] = String(v).match(/-?\d+(\.\d+)?/g)!.map(Number);
          expect(x! > 12 && x! < 14.5 && y! > 51 && y! < 53.5, String(v)).toBe(true);
        }
      }
    }
  });

  it('MariaDB SET: each member’s DP presence share, within plan', () => {
    const { spec, ledger, planned } = fit(places, placesSample, 'kinds', 4);
    expect(ledger.spent(1e-6).epsilon).toBeLessThanOrEqual(planned.spent(1e-6).epsilon + 1e-12);
    expect(spec.spec.type).toBe('set');
    if (spec.spec.type !== 'set') return;
    expect(spec.spec.values).toEqual(['park', 'shop', 'school']);
    for (const [i, p] of spec.spec.probs.entries()) expect(Math.abs(p - 0.5), spec.spec.values[i]).toBeLessThan(0.05);
  });

  it('plans never charge less than a structured release spends, for every slot count (one position taking the whole share is the costliest)', () => {
    const ledgerOf = (charges: ReturnType<typeof columnCharges>, order: number) => {
      const l = new PrivacyLedger({ orders: [order] });
      for (const c of charges) l.charge('x', c);
      return l.spent(1e-6).epsilon;
    };
    const geo = places.columns.find((c) => c.name === 'pos')!;
    for (const eps of [0.01, 0.3, 2, 10]) {
      const planned = structuredCharges(geo, eps, 1e-8, () => [])!;
      for (const positions of [1, 2, 5, 8]) {
        const per = (0.7 * eps) / positions;
        const actual = [
          { mechanism: 'laplace' as const, epsilon: 0.3 * eps, count: 1 },
          { mechanism: 'approx-dp' as const, epsilon: 0, delta: 1e-8, count: 1 },
          ...Array.from({ length: positions }, () => [
            { mechanism: 'laplace' as const, epsilon: 0.3 * per, count: 1 },
            { mechanism: 'laplace' as const, epsilon: 0.7 * per, count: 1 },
          ]).flat(),
        ];
        for (const order of [1.5, 4, 64]) expect(ledgerOf(actual, order)).toBeLessThanOrEqual(ledgerOf(planned, order) + 1e-12);
      }
    }
  });

  it('histogramQuantiles: equal-mass points of an integer histogram', () => {
    expect(histogramQuantiles([0, 0, 0, 10], 5)).toEqual([3, 3, 3, 3, 3]);
    expect(histogramQuantiles([5, 0, 5], 3)).toEqual([0, 0, 2]);
    expect(histogramQuantiles([0, 0])).toEqual([0]);
  });
});
