import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate, introspectAndPlan, readSample, trainModels } from '../../src/pipeline/index.js';
import { createGeneration } from '../../src/generation/generate.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../src/generation/artifact.js';
import { chooseAnchors, createEnforcer, describeInvariant, detectOrderInvariants, drawGap, type OrderInvariant } from '../../src/generation/order-invariants.js';
import { createRng } from '../../src/generation/rng.js';
import { findTable, tableKey } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { rulesConfig, rulesConfigInput, trainedUnder, type ModelKind } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';
import { ksStatistic } from '../support/stats.js';

// Orders with a placed date; lines shipped 1–60 days after it, received 1–20 days after shipping (5 % not yet),
// quantities min ≤ max, a `noise` date with no order to any other, and `dup_ship`, always equal to `ship`.
const FIXTURE = `
  SELECT setseed(0.17);
  CREATE TABLE store_order (id int PRIMARY KEY, placed date NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL, total numeric(10,2) NOT NULL);
  INSERT INTO store_order SELECT i, d, c, c + make_interval(mins => floor(random() * 30000)::int), round((random() * 900 + 10)::numeric, 2)
    FROM (SELECT i, d, d + make_interval(secs => floor(random() * 86400)::int) AS c
            FROM (SELECT i, date '2020-01-01' + floor(random() * 1000)::int AS d FROM generate_series(1, 600) i) x) y;
  CREATE TABLE order_line (id int PRIMARY KEY, order_id int NOT NULL REFERENCES store_order, ship date NOT NULL, dup_ship date NOT NULL,
    receipt date, noise date NOT NULL, min_qty int NOT NULL, max_qty int NOT NULL);
  INSERT INTO order_line SELECT row_number() OVER (), o.id, s, s, CASE WHEN random() < 0.05 THEN NULL ELSE s + 1 + floor(random() * random() * 20)::int END,
      date '2020-01-01' + floor(random() * 1100)::int, q, q + floor(random() * 30)::int
    FROM store_order o CROSS JOIN LATERAL generate_series(1, 1 + o.id % 4) n
    CROSS JOIN LATERAL (SELECT n AS line, o.placed + 1 + floor(random() * random() * 60)::int AS s, 1 + floor(random() * 40)::int AS q) r;
`;

const env = pgHydrationFixture('synth_inv', FIXTURE);

// Small enough that store_order (600 rows) is not taken for reference data.
const config = (model: ModelKind = 'baseline') => rulesConfig(env, model, { referenceMaxRows: 100, epochs: 30, quality: false });
const trained = (model: ModelKind = 'baseline') => trainedUnder(config(model));

const pairs = (invs: OrderInvariant[]) => invs.map((i) => `${i.table.name}: ${i.anchor.foreignKey ? `${i.anchor.foreignKey}→` : ''}${i.anchor.column} ≤ ${i.column}`).sort();

const BROKEN = `
  SELECT (SELECT count(*) FROM order_line l JOIN store_order o ON o.id = l.order_id WHERE l.ship < o.placed)
       + (SELECT count(*) FROM order_line WHERE receipt < ship) + (SELECT count(*) FROM order_line WHERE max_qty < min_qty)
       + (SELECT count(*) FROM store_order WHERE updated_at < created_at) AS n`;
const SHIP_GAPS = `SELECT (l.ship - o.placed)::int AS g FROM order_line l JOIN store_order o ON o.id = l.order_id`;
const RECEIPT_GAPS = `SELECT (receipt - ship)::int AS g FROM order_line WHERE receipt IS NOT NULL`;

async function gaps(db: typeof env.source, sql: string): Promise<number[]> {
  return (await db.query<{ g: number }>(sql)).map((r) => Number(r.g));
}

describe('order invariants', () => {
  it('detects a ≤ b within a row and across a FK, and skips equal-always, unordered and range-separated pairs', async () => {
    const { models } = await trained();
    const found = pairs(models.rules!.invariants);
    expect(found).toContain('store_order: created_at ≤ updated_at');
    expect(found).toContain('order_line: ship ≤ receipt');
    expect(found).toContain('order_line: min_qty ≤ max_qty');
    expect(found.some((f) => /order_line: order_line_order_id_fkey→placed ≤ ship$/.test(f))).toBe(true);
    // dup_ship equals ship on every row: kept once, as a zero gap (the copy stays a copy), not in both directions.
    expect(found.filter((f) => /: (dup_ship ≤ ship|ship ≤ dup_ship)$/.test(f))).toEqual(['order_line: ship ≤ dup_ship']);
    expect(models.rules!.invariants.find((i) => i.column === 'dup_ship' && i.anchor.column === 'ship')!.gaps.every((g) => g === 0)).toBe(true);
    expect(found.filter((f) => f.includes('noise'))).toEqual([]);
    // total (10..910) vs. a date never compare; min_qty (1..40) vs. total overlaps but is not ordered on every row.
    expect(found.filter((f) => f.includes('total'))).toEqual([]);
    const receipt = models.rules!.invariants.find((i) => i.column === 'receipt' && i.anchor.column === 'ship')!;
    expect(receipt.support).toBeGreaterThan(1000);
    expect(receipt.gaps.every((g) => g >= 86_400_000)).toBe(true);
    expect(describeInvariant(receipt)).toMatch(/^ship ≤ receipt \(\d+ rows; gap median \d+d, max 20d\)$/);
  });

  it('finds nothing when a single source row breaks the order, or when support is too small', async () => {
    const source = await openSource(env.source.url);
    try {
      const { schema } = await introspectAndPlan(source, config());
      const table = findTable(schema, { schema: 'public', name: 'order_line' })!;
      const sample = await readSample(source, table, 100_000, 1);
      const at = (c: string) => sample.columns.indexOf(c);
      expect(pairs(detectOrderInvariants(table, sample, [], new Map()))).toContain('order_line: ship ≤ receipt');
      const broken: Row[] = sample.rows.map((r) => [...r]);
      broken[0]![at('receipt')] = '1999-01-01';
      expect(pairs(detectOrderInvariants(table, { columns: sample.columns, rows: broken }, [], new Map()))).not.toContain('order_line: ship ≤ receipt');
      expect(detectOrderInvariants(table, { columns: sample.columns, rows: sample.rows.slice(0, 10) }, [], new Map())).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('invariants: false turns them off; minSupport above the sample finds none', async () => {
    const source = await openSource(env.source.url);
    try {
      for (const invariants of [false, { minSupport: 100_000 }] as const) {
        const c = parseConfig({ ...rulesConfigInput(env, 'baseline', { referenceMaxRows: 100, epochs: 30 }), invariants });
        const { schema, plan } = await introspectAndPlan(source, c);
        expect((await trainModels(source, schema, plan, c)).rules!.invariants).toEqual([]);
      }
    } finally {
      await source.close();
    }
  });

  it('chooses the closest lower bound as the anchor and settles same-row anchors first', async () => {
    const { models } = await trained();
    const line = models.rules!.invariants.filter((i) => i.table.name === 'order_line');
    const chosen = chooseAnchors(line);
    // receipt ≥ ship ≥ placed, receipt ≥ placed: receipt is built on ship (the tighter bound), after ship.
    const receipt = chosen.findIndex((i) => i.column === 'receipt');
    const ship = chosen.findIndex((i) => i.column === 'ship');
    expect(chosen[receipt]!.anchor.column).toBe('ship');
    expect(ship).toBeLessThan(receipt);
    const rng = createRng(3);
    const g = drawGap(chosen[receipt]!.gaps, rng);
    expect(chosen[receipt]!.gaps).toContain(g);
  });

  it('without the rules the baseline breaks them; with them generated rows break none', async () => {
    const { schema, plan, models } = await trained();
    const count = async (m: typeof models): Promise<number> => {
      const gen = createGeneration(schema, plan, m, { scale: 1, seed: 5 });
      let broken = 0;
      for (const name of ['store_order', 'order_line']) {
        const t = findTable(schema, { schema: 'public', name })!;
        for await (const b of gen.rows(t)) {
          const i = (c: string) => b.columns.indexOf(c);
          for (const r of b.rows) {
            if (name === 'order_line' && r[i('receipt')] !== null && String(r[i('receipt')]) < String(r[i('ship')])) broken++;
            if (name === 'order_line' && Number(r[i('max_qty')]) < Number(r[i('min_qty')])) broken++;
            if (name === 'store_order' && String(r[i('updated_at')]) < String(r[i('created_at')])) broken++;
          }
        }
      }
      return broken;
    };
    expect(await count({ ...models, rules: { reference: [], invariants: [], fanOuts: [] } })).toBeGreaterThan(100);
    expect(await count(models)).toBe(0);
    // The rules travel with stored models (synth train, then generate).
    const stored = modelSetFromArtifact(JSON.parse(JSON.stringify(modelSetToArtifact(models))), schema);
    expect(stored.rules).toEqual(models.rules);
    expect(await count(stored)).toBe(0);
    expect(tableKey(models.rules!.invariants[0]!.table)).toMatch(/^public\./);
  });

  it('createEnforcer rebuilds the later column from its anchor and leaves NULLs alone', async () => {
    const { schema, models } = await trained();
    const table = findTable(schema, { schema: 'public', name: 'order_line' })!;
    const inv = models.rules!.invariants.filter((i) => i.table.name === 'order_line' && i.anchor.foreignKey === undefined);
    const columns = ['ship', 'receipt', 'min_qty', 'max_qty'];
    const enforcer = createEnforcer(table, columns, inv, () => null, false)!;
    const rows: Row[] = [
      ['2021-05-10', '2021-05-01', 30, 2],
      ['2021-05-10', null, 5, 9],
    ];
    enforcer.apply(rows, 0, createRng(9));
    expect(String(rows[0]![1]) > '2021-05-10').toBe(true);
    expect(Number(rows[0]![3])).toBeGreaterThanOrEqual(30);
    expect(rows[1]![1]).toBeNull();
  });

  it('createEnforcer (rank-matched, the learned model) deals the same gaps in the order of the gaps the model drew, ties by row', async () => {
    const { schema, models } = await trained();
    const table = findTable(schema, { schema: 'public', name: 'order_line' })!;
    const inv = models.rules!.invariants.filter((i) => i.table.name === 'order_line' && i.anchor.foreignKey === undefined);
    const columns = ['ship', 'receipt'];
    const DAY = 86_400_000;
    const modelGaps = [10, 1, 5, 1, 30, 0, 5, 2];
    const make = (): Row[] => modelGaps.map((g) => ['2021-05-10', new Date(Date.parse('2021-05-10') + g * DAY).toISOString().slice(0, 10)]);
    const gapOf = (r: Row): number => (Date.parse(String(r[1])) - Date.parse(String(r[0]))) / DAY;
    const ranked = make();
    createEnforcer(table, columns, inv, () => null, true)!.apply(ranked, 0, createRng(9));
    const plain = make();
    createEnforcer(table, columns, inv, () => null, false)!.apply(plain, 0, createRng(9));
    const ascending = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    // The same draws from the source's gaps, handed out by rank.
    expect(ascending(ranked.map(gapOf))).toEqual(ascending(plain.map(gapOf)));
    const byModelGap = modelGaps.map((g, r) => [g, r] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, r]) => r);
    const dealt = byModelGap.map((r) => gapOf(ranked[r]!));
    expect(dealt).toEqual(ascending(dealt));
    expect(new Set(plain.map(gapOf)).size).toBeGreaterThan(2);
  });

  // Both ways of ranking: a batch whose model gaps take a few values (counted), and one where nearly every row's differs (sorted).
  it.each([
    ['few distinct model gaps', 40],
    ['thousands of distinct model gaps', 1_000_000],
  ] as const)('createEnforcer (rank-matched) hands out the drawn gaps in the order of the model gaps, ties by row: %s', (_, spread) => {
    const column = (name: string) => ({ name, type: { kind: 'integer', bytes: 4, unsigned: false }, nativeType: 'integer', nullable: false, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null });
    const table = { schema: 'public', name: 't', columns: [column('lo'), column('hi')], primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0 } as unknown as Parameters<typeof createEnforcer>[0];
    // 256 source gaps with repeats (ties among the dealt gaps too).
    const inv: OrderInvariant = { table, column: 'hi', anchor: { column: 'lo' }, kind: 'number', sameType: true, support: 1000, gaps: Array.from({ length: 256 }, (_, i) => Math.floor(i / 3) * 7) };
    const rng = createRng(3, 'rows');
    const modelGaps = Array.from({ length: 5000 }, () => rng.int(spread) - 5);
    const make = (): Row[] => modelGaps.map((g, r) => [r * 10, r * 10 + g]);
    const ranked = make();
    createEnforcer(table, ['lo', 'hi'], [inv], () => null, true)!.apply(ranked, 0, createRng(9));
    const plain = make();
    createEnforcer(table, ['lo', 'hi'], [inv], () => null, false)!.apply(plain, 0, createRng(9));
    const gapOf = (r: Row): number => Number(r[1]) - Number(r[0]);
    const ascending = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    expect(ascending(ranked.map(gapOf))).toEqual(ascending(plain.map(gapOf)));
    const byModelGap = modelGaps.map((g, r) => [g, r] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, r]) => r);
    expect(byModelGap.map((r) => gapOf(ranked[r]!))).toEqual(ascending(plain.map(gapOf)));
    expect(new Set(modelGaps).size).toBeGreaterThan(spread > 100 ? 2048 : 10);
  });

  for (const model of ['baseline', 'learned'] as const) {
    it(`hydrates (${model}) with 0 broken invariants and the source's gap distributions (KS < 0.1)`, async () => {
      const result = await hydrate({ config: config(model), target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      const [broken] = await env.target.query<{ n: string }>(BROKEN);
      expect(Number(broken!.n)).toBe(0);
      const ship = ksStatistic(await gaps(env.source, SHIP_GAPS), await gaps(env.target, SHIP_GAPS));
      const receipt = ksStatistic(await gaps(env.source, RECEIPT_GAPS), await gaps(env.target, RECEIPT_GAPS));
      expect(ship, `KS of ship − placed`).toBeLessThan(0.1);
      expect(receipt, `KS of receipt − ship`).toBeLessThan(0.1);
      const [dup] = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM order_line WHERE dup_ship <> ship');
      expect(Number(dup!.n)).toBe(0);
    }, 180_000);
  }
});
