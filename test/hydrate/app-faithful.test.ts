/**
 * "Data an application can run on" (issue 14, items 1–3) end to end on a small TPC-H-like schema: lookups copied
 * verbatim, 4 suppliers per part and 80 parts per supplier exactly, and no line item shipped before its order or
 * received before it shipped, with both models; `synth plan` lists all three.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfigInput, type ModelKind } from '../support/app-rules.js';
import { runCli } from '../support/cli.js';
import { pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { ksStatistic } from '../support/stats.js';
import { tpchLiteSql } from '../support/tpch-lite.js';

const env = pgHydrationFixture('synth_app', tpchLiteSql());

// region (5) and nation (25) are reference data; part (200) is above the threshold here; supplier and customer
// hold phone numbers (personal).
const settings = (model: ModelKind) => rulesConfigInput(env, model, { referenceMaxRows: 100, epochs: 15 });

const BROKEN = `
  SELECT (SELECT count(*) FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey WHERE l.l_shipdate < o.o_orderdate) AS ship_before_order,
         (SELECT count(*) FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey WHERE l.l_commitdate < o.o_orderdate) AS commit_before_order,
         (SELECT count(*) FROM lineitem WHERE l_receiptdate < l_shipdate) AS receipt_before_ship`;
const SHIP_GAPS = 'SELECT (l.l_shipdate - o.o_orderdate)::int AS g FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey';

async function table(db: TestDatabase, name: string): Promise<string[]> {
  return (await db.query<{ r: string }>(`SELECT t::text AS r FROM public."${name}" t ORDER BY 1`)).map((x) => x.r);
}

describe('an application can run on the generated TPC-H-like database', () => {
  for (const model of ['baseline', 'learned'] as const) {
    it(`(${model}) 0 broken invariants, reference tables identical, exact fan-outs, 0 violations`, async () => {
      const [before] = await env.source.query<Record<string, string>>(BROKEN);
      expect(Object.values(before!).map(Number)).toEqual([0, 0, 0]);
      const events: string[] = [];
      const result = await hydrate({ config: parseConfig(settings(model)), target: 'dev', emit: (e) => void (e.type === 'info' && events.push(e.message)) });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      expect(events.join('\n')).toMatch(/Data rules: copied verbatim \(reference data\): (region, nation|nation, region); \d+ order invariant\(s\) kept; \d+ exact fan-out\(s\) kept/);
      for (const t of ['region', 'nation']) expect(await table(env.target, t), t).toEqual(await table(env.source, t));
      const [after] = await env.target.query<Record<string, string>>(BROKEN);
      expect(after).toEqual({ ship_before_order: '0', commit_before_order: '0', receipt_before_ship: '0' });
      const perSupplier = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM partsupp GROUP BY ps_suppkey');
      expect(perSupplier.length).toBe(10);
      expect(new Set(perSupplier.map((r) => Number(r.n)))).toEqual(new Set([80]));
      const perPart = await env.target.query<{ n: string }>('SELECT count(ps.*) AS n FROM part p LEFT JOIN partsupp ps ON ps.ps_partkey = p.p_partkey GROUP BY p.p_partkey');
      expect(new Set(perPart.map((r) => Number(r.n)))).toEqual(new Set([4]));
      // Gaps keep their distribution (TPC-H: shipped 1–121 days after the order).
      const ks = ksStatistic((await env.source.query<{ g: number }>(SHIP_GAPS)).map((r) => r.g), (await env.target.query<{ g: number }>(SHIP_GAPS)).map((r) => r.g));
      expect(ks).toBeLessThan(0.1);
      // The quality report agrees: the partsupp fan-outs' Cardinality is exact (a spread scored 0.51 on such an FK).
      const fanOuts = result.quality!.cardinality.filter((c) => /(^|\.)partsupp$/.test(c.childTable));
      expect(fanOuts.map((c) => c.score)).toEqual([1, 1]);
      // Every customer's nation resolves to a real name an application would look up.
      const [unknown] = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM customer c LEFT JOIN nation n ON n.n_nationkey = c.c_nationkey WHERE n.n_name IS NULL`);
      expect(Number(unknown!.n)).toBe(0);
    }, 300_000);
  }

  it('synth plan lists the reference tables, the order invariants and the exact fan-outs', async () => {
    const configPath = join(env.outDir, 'synth.config.json');
    writeFileSync(configPath, JSON.stringify({ ...settings('baseline'), quality: { enabled: false } }));
    const r = await runCli(['plan', '--config', configPath, '--no-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/copy {7}public\.region: reference data: 5 rows \(≤ 100\), referenced by nation, no personal columns/);
    expect(r.stdout).toMatch(/synthesize public\.supplier: 10 rows, referenced by partsupp, but personal column\(s\) s_phone/);
    expect(r.stdout).toMatch(/public\.lineitem: lineitem_l_orderkey_fkey → o_orderdate ≤ l_shipdate \(\d+ rows; gap median \d+d, max 121d\)/);
    expect(r.stdout).toMatch(/public\.lineitem: l_shipdate ≤ l_receiptdate/);
    expect(r.stdout).toContain('every supplier row has exactly 80 partsupp rows (public.partsupp.partsupp_ps_suppkey_fkey)');
    expect(r.stdout).toContain('every part row has exactly 4 partsupp rows');
  }, 120_000);
});
