import { describe, expect, it } from 'vitest';
import { hydrate } from '../../src/pipeline/index.js';
import { allocateInSupport, constantFanOut, dealDistinct, describeFanOut, valuesForCounts, type FanOutRule } from '../../src/generation/fan-out.js';
import { createGeneration } from '../../src/generation/generate.js';
import { createRng } from '../../src/generation/rng.js';
import { findTable } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { rulesConfig, trainedUnder, type ModelKind } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';

// 10 suppliers × 80 part-suppliers each = 200 parts × 4 suppliers each; a plan's tier fixes its seats
// (basic 1, pro 3, team 5).
const FIXTURE = `
  SELECT setseed(0.23);
  CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_acctbal numeric(12,2) NOT NULL);
  INSERT INTO supplier SELECT i, round((random() * 10000)::numeric, 2) FROM generate_series(1, 10) i;
  CREATE TABLE part (p_partkey int PRIMARY KEY, p_size int NOT NULL);
  INSERT INTO part SELECT i, 1 + floor(random() * 50)::int FROM generate_series(1, 200) i;
  CREATE TABLE partsupp (ps_partkey int NOT NULL REFERENCES part, ps_suppkey int NOT NULL REFERENCES supplier,
    ps_availqty int NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey));
  INSERT INTO partsupp SELECT p, ((p + k) % 10) + 1, 1 + floor(random() * 9999)::int FROM generate_series(1, 200) p, generate_series(0, 3) k;
  CREATE TABLE plan (id int PRIMARY KEY, tier text NOT NULL, price numeric(8,2) NOT NULL);
  INSERT INTO plan SELECT i, (ARRAY['basic','pro','team'])[1 + floor(random() * 3)::int], round((random() * 100)::numeric, 2) FROM generate_series(1, 300) i;
  CREATE TABLE seat (id serial PRIMARY KEY, plan_id int NOT NULL REFERENCES plan, label text NOT NULL);
  INSERT INTO seat (plan_id, label) SELECT p.id, 'seat ' || n FROM plan p
    CROSS JOIN LATERAL generate_series(1, CASE p.tier WHEN 'basic' THEN 1 WHEN 'pro' THEN 3 ELSE 5 END) n;
`;

const env = pgHydrationFixture('synth_fan', FIXTURE);

// Every table here is small: copying them as reference data would make the fan-outs trivially exact.
const config = (model: ModelKind = 'baseline') => rulesConfig(env, model, { referenceMaxRows: 0, epochs: 20, quality: false });
const trained = (model: ModelKind = 'baseline') => trainedUnder(config(model));

/** Children per parent index of one generated FK column. */
async function childrenPerParent(gen: ReturnType<typeof createGeneration>, schema: Awaited<ReturnType<typeof trained>>['schema'], names: string[], child: string, column: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const name of names) {
    for await (const b of gen.rows(findTable(schema, { schema: 'public', name })!)) {
      if (name !== child) continue;
      const i = b.columns.indexOf(column);
      for (const r of b.rows) counts.set(String(r[i]), (counts.get(String(r[i])) ?? 0) + 1);
    }
  }
  return counts;
}

const ORDER = ['supplier', 'part', 'partsupp'];

describe('exact fan-outs', () => {
  it('detects constant fan-outs and a count fixed by a parent column', async () => {
    const { models } = await trained();
    const rules = models.rules!.fanOuts;
    const constant = (fk: string) => rules.find((r) => r.foreignKey === fk && r.kind === 'constant') as Extract<FanOutRule, { kind: 'constant' }> | undefined;
    expect(constant('partsupp_ps_suppkey_fkey')?.count).toBe(80);
    expect(constant('partsupp_ps_partkey_fkey')?.count).toBe(4);
    const byTier = rules.find((r) => r.kind === 'column' && r.foreignKey === 'seat_plan_id_fkey') as Extract<FanOutRule, { kind: 'column' }>;
    expect(byTier.column).toBe('tier');
    expect(Object.fromEntries(byTier.byValue.map((e) => [e.value, e.count]))).toEqual({ basic: 1, pro: 3, team: 5 });
    expect(describeFanOut(byTier, 'plan')).toContain('plan.tier (');
    const histogram = models.tables.get('public.partsupp')!.histograms.find((h) => h.foreignKey === 'partsupp_ps_suppkey_fkey');
    expect(constantFanOut(histogram)).toBe(80);
    // A spread is no constant fan-out.
    expect(constantFanOut(models.tables.get('public.seat')!.histograms[0])).toBeNull();
  });

  it('every supplier gets exactly 80, with the rules (scale 1 and 2) and without them (a link table deals each second parent its drawn count)', async () => {
    const { schema, plan, models } = await trained();
    const without = await childrenPerParent(createGeneration(schema, plan, { ...models, rules: { reference: [], invariants: [], fanOuts: [] } }, { scale: 1, seed: 3 }), schema, ORDER, 'partsupp', 'ps_suppkey');
    expect(without.size).toBe(10);
    expect([...new Set(without.values())]).toEqual([80]);
    for (const scale of [1, 2]) {
      const perSupplier = await childrenPerParent(createGeneration(schema, plan, models, { scale, seed: 3 }), schema, ORDER, 'partsupp', 'ps_suppkey');
      expect(perSupplier.size).toBe(10 * scale);
      expect([...new Set(perSupplier.values())]).toEqual([80]);
      const perPart = await childrenPerParent(createGeneration(schema, plan, models, { scale, seed: 3 }), schema, ORDER, 'partsupp', 'ps_partkey');
      expect(perPart.size).toBe(200 * scale);
      expect([...new Set(perPart.values())]).toEqual([4]);
    }
    // A per-table scale the config asks for wins over the fan-out: half the part-suppliers, as asked.
    const halved = createGeneration(schema, plan, models, { scale: 1, seed: 3, tableScale: (t) => (t.name === 'partsupp' ? 0.5 : 1) });
    expect(halved.rowCounts.get('public.partsupp')).toBe(400);
  });

  it('allocateInSupport keeps every count one the source has; dealDistinct never repeats a parent within a group', async () => {
    const { models } = await trained();
    const seats = models.tables.get('public.seat')!.histograms[0]!.counts;
    const counts = allocateInSupport(seats, 300, 900, createRng(1));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(900);
    expect([...new Set(counts)].every((c) => [1, 3, 5].includes(c))).toBe(true);
    // 200 groups of 4 rows over 10 parents with 80 rows each.
    const first = Int32Array.from({ length: 800 }, (_, i) => Math.floor(i / 4));
    const dealt = dealDistinct(first, new Uint32Array(10).fill(80), createRng(2))!;
    for (let g = 0; g < 200; g++) expect(new Set(dealt.slice(g * 4, g * 4 + 4)).size).toBe(4);
    const per = new Map<number, number>();
    for (const b of dealt) per.set(b, (per.get(b) ?? 0) + 1);
    expect([...new Set(per.values())]).toEqual([80]);
    // Impossible: a group of 3 among 2 parents.
    expect(dealDistinct(Int32Array.from([0, 0, 0]), Uint32Array.from([2, 1]), createRng(3))).toBeNull();
  });

  it('valuesForCounts gives each parent a value whose source count matches its children', async () => {
    const { models } = await trained();
    const rule = models.rules!.fanOuts.find((r) => r.kind === 'column') as Extract<FanOutRule, { kind: 'column' }>;
    const values = valuesForCounts(rule, [1, 3, 5, 5, 1], createRng(4));
    expect(values).toEqual(['basic', 'pro', 'team', 'team', 'basic']);
  });

  for (const model of ['baseline', 'learned'] as const) {
    it(`hydrates (${model}): every supplier has exactly 80 partsupp, every part 4, every plan the seats its tier fixes`, async () => {
      const result = await hydrate({ config: config(model), target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      const suppliers = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM partsupp GROUP BY ps_suppkey');
      expect(suppliers.length).toBe(10);
      expect(new Set(suppliers.map((r) => Number(r.n)))).toEqual(new Set([80]));
      const parts = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM part p LEFT JOIN partsupp ps ON ps.ps_partkey = p.p_partkey GROUP BY p.p_partkey');
      expect(new Set(parts.map((r) => Number(r.n)))).toEqual(new Set([4]));
      const wrong = await env.target.query<Row>(`
        SELECT p.id FROM plan p LEFT JOIN seat s ON s.plan_id = p.id GROUP BY p.id, p.tier
        HAVING count(s.id) <> CASE p.tier WHEN 'basic' THEN 1 WHEN 'pro' THEN 3 ELSE 5 END`);
      expect(wrong).toEqual([]);
      const tiers = await env.target.query<{ tier: string }>('SELECT DISTINCT tier FROM plan ORDER BY tier');
      expect(tiers.map((t) => t.tier)).toEqual(['basic', 'pro', 'team']);
    }, 180_000);
  }
});
