/**
 * Issue 14 items 1–3 on the TPC-H-like fixture (test/support/tpch-lite.ts), per model, generated in memory with the
 * data rules and without them: the share of line items shipped before their order, committed before it or received
 * before they shipped, the spread of part-suppliers per supplier (source: exactly 80), and whether the lookups
 * (region, nation) come out as the source's rows.
 *   npm run bench -- app-faithful
 *   SYNTH_APP_ORDERS=15000 npm run bench -- app-faithful
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { readReferenceRows } from '../src/pipeline/index.js';
import { introspectAndPlan, trainModels } from '../src/pipeline/index.js';
import { createGeneration } from '../src/generation/generate.js';
import type { ModelSet } from '../src/generation/fit.js';
import { parseEpoch } from '../src/generation/conform.js';
import type { DatabaseSchema } from '../src/schema/model.js';
import type { Row, Value } from '../src/schema/values.js';
import type { HydrationPlan } from '../src/graph/plan.js';
import { tpchLiteSql } from '../test/support/tpch-lite.js';
import { exec, recreateDatabase } from './pg-fixture.js';
import { PG_SERVER } from './sample-datasets.js';

interface Outcome {
  broken: number;
  lines: number;
  supplierMin: number;
  supplierMax: number;
  lookupsVerbatim: boolean;
}

async function generateAndMeasure(schema: DatabaseSchema, plan: HydrationPlan, models: ModelSet, reference: Map<string, { columns: string[]; rows: Row[] }>, sourceLookups: string[]): Promise<Outcome> {
  const gen = createGeneration(schema, plan, models, { scale: 1, seed: 42, reference });
  const orderDate = new Map<string, number>();
  const perSupplier = new Map<string, number>();
  const lookups: string[] = [];
  let broken = 0;
  let lines = 0;
  for (const step of plan.steps) {
    const table = schema.tables.find((t) => t.schema === step.table.schema && t.name === step.table.name)!;
    for await (const b of gen.rows(table)) {
      const at = (c: string) => b.columns.indexOf(c);
      for (const r of b.rows) {
        if (table.name === 'region' || table.name === 'nation') lookups.push(JSON.stringify(r));
        if (table.name === 'orders') orderDate.set(String(r[at('o_orderkey')]), parseEpoch(r[at('o_orderdate')] as Value)!);
        if (table.name === 'partsupp') perSupplier.set(String(r[at('ps_suppkey')]), (perSupplier.get(String(r[at('ps_suppkey')])) ?? 0) + 1);
        if (table.name === 'lineitem') {
          lines++;
          const order = orderDate.get(String(r[at('l_orderkey')]))!;
          const ship = parseEpoch(r[at('l_shipdate')] as Value)!;
          const commit = parseEpoch(r[at('l_commitdate')] as Value)!;
          const receipt = parseEpoch(r[at('l_receiptdate')] as Value)!;
          if (ship < order || commit < order || receipt < ship) broken++;
        }
      }
    }
  }
  const counts = [...perSupplier.values()];
  return { broken, lines, supplierMin: Math.min(...counts), supplierMax: Math.max(...counts), lookupsVerbatim: JSON.stringify(lookups.sort()) === JSON.stringify(sourceLookups) };
}

export async function benchAppFaithful(): Promise<Record<string, number | string>> {
  const orders = Number(process.env.SYNTH_APP_ORDERS ?? 1500);
  const url = await recreateDatabase(PG_SERVER, 'synth_bench_app');
  await exec(url, tpchLiteSql({ orders, customers: Math.max(300, orders / 5) }));
  const out: Record<string, number | string> = { orders };
  const source = await openSource(url);
  try {
    for (const model of ['baseline', 'learned'] as const) {
      const config = parseConfig({ source: { url }, targets: { dev: { url } }, model, reference: { maxRows: 100 }, quality: { enabled: false } });
      const { schema, plan } = await introspectAndPlan(source, config);
      const models = await trainModels(source, schema, plan, config);
      const reference = await readReferenceRows(source, schema, models.rules);
      const sourceLookups = [...(reference.get('public.region')?.rows ?? []), ...(reference.get('public.nation')?.rows ?? [])].map((r) => JSON.stringify(r)).sort();
      const off = await generateAndMeasure(schema, plan, { ...models, rules: { reference: [], invariants: [], fanOuts: [] } }, new Map(), sourceLookups);
      const on = await generateAndMeasure(schema, plan, models, reference, sourceLookups);
      const pct = (o: Outcome) => `${((100 * o.broken) / o.lines).toFixed(1)} % of ${o.lines}`;
      out[`${model} broken lines, no rules`] = pct(off);
      out[`${model} broken lines, rules`] = pct(on);
      out[`${model} partsupp/supplier, no rules`] = `${off.supplierMin}–${off.supplierMax}`;
      out[`${model} partsupp/supplier, rules`] = `${on.supplierMin}–${on.supplierMax}`;
      out[`${model} lookups verbatim (no/with)`] = `${off.lookupsVerbatim}/${on.lookupsVerbatim}`;
    }
  } finally {
    await source.close();
  }
  return out;
}
