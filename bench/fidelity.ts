/**
 * Fidelity of the two models side by side, PostgreSQL → PostgreSQL: the quality report (Overall and its four
 * properties), the source's order invariants (a ≤ b pairs that hold on every source row of a table) and how many
 * of them the output breaks, and the load stage's rows/s (generation, copy filters and COPY together) and training
 * seconds. Datasets: chinook, northwind, world (../shared/datasets) and a structured fixture built here: orders with
 * dated lines, a fixed-fan-out link table, lookup tables, prices that depend on the product and the customer
 * (bench/structured-fixture.ts). Also printed: the weakest relationship's Cardinality, and how many of the tables
 * copied as reference data are identical to the source.
 *   npm run bench -- fidelity                     (structured fixture at 1 000 000 lines, 1.77M rows in all)
 *   SYNTH_FIDELITY_LINES=20000 npm run bench -- fidelity          (a quick run)
 *   SYNTH_FIDELITY_LINES=100000 SYNTH_FIDELITY_SETS=structured SYNTH_FIDELITY_MODELS=learned SYNTH_FIDELITY_SEED=1 npm run bench -- fidelity
 * Not a test: the sample databases need ../shared, and the full fixture takes tens of minutes on 2 cores.
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import type { RunEvent } from '../src/events.js';
import { hydrate, readSample } from '../src/pipeline/index.js';
import { detectOrderInvariants, type OrderInvariant } from '../src/generation/order-invariants.js';
import { parseEpoch, toNumber } from '../src/generation/conform.js';
import type { Table } from '../src/schema/model.js';
import type { Value } from '../src/schema/values.js';
import pg from 'pg';
import { exec, recreateDatabase } from './pg-fixture.js';
import { structuredFixtureSql } from './structured-fixture.js';
import { datasetsMissing, freshDatabase, loadDataset, PG_SERVER } from './sample-datasets.js';

interface Invariants {
  /** Per table: the invariants its source rows hold (same-row pairs). */
  byTable: Array<{ table: Table; invariants: OrderInvariant[] }>;
  count: number;
}

async function sourceInvariants(url: string): Promise<Invariants> {
  const source = await openSource(url);
  try {
    const schema = await source.introspect();
    const byTable: Invariants['byTable'] = [];
    for (const table of schema.tables) {
      const sample = await readSample(source, table, 20_000, 42);
      const invariants = detectOrderInvariants(table, sample, [], new Map());
      if (invariants.length > 0) byTable.push({ table, invariants });
    }
    return { byTable, count: byTable.reduce((a, t) => a + t.invariants.length, 0) };
  } finally {
    await source.close();
  }
}

/** Invariants some output row breaks (hi < lo where both are set). */
async function brokenInvariants(url: string, inv: Invariants): Promise<number> {
  const target = await openSource(url);
  let broken = 0;
  try {
    for (const { table, invariants } of inv.byTable) {
      const columns = [...new Set(invariants.flatMap((i) => [i.column, i.anchor.column]))];
      const bad = new Set<OrderInvariant>();
      for await (const batch of target.readRows(table, { columns })) {
        for (const row of batch.rows) {
          for (const i of invariants) {
            if (bad.has(i)) continue;
            const num = (v: Value | undefined): number | null => (v === null || v === undefined ? null : i.kind === 'time' ? parseEpoch(v) : toNumber(v));
            const lo = num(row[columns.indexOf(i.anchor.column)]);
            const hi = num(row[columns.indexOf(i.column)]);
            if (lo !== null && hi !== null && hi < lo) bad.add(i);
          }
        }
      }
      broken += bad.size;
    }
  } finally {
    await target.close();
  }
  return broken;
}

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** How many of `tables` hold the same rows in both databases (compared as the sorted text of every row). */
async function identicalTables(srcUrl: string, dstUrl: string, tables: string[]): Promise<number> {
  const digest = async (url: string, table: string): Promise<string> => {
    // The run log names copied tables without their schema; the bench's databases keep them in public.
    const rows = await query<{ d: string | null }>(url, `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d FROM public."${table}" t`);
    return rows[0]?.d ?? '';
  };
  let same = 0;
  for (const t of tables) if ((await digest(srcUrl, t)) === (await digest(dstUrl, t))) same++;
  return same;
}

const PROPERTIES = ['Column Shapes', 'Column Pair Trends', 'Cardinality', 'Intertable Trends'];

async function runModel(srcUrl: string, label: string, model: 'baseline' | 'learned', inv: Invariants): Promise<string> {
  const dst = await freshDatabase('pg', `synth_fid_${label}_${model}`);
  const seed = Number(process.env.SYNTH_FIDELITY_SEED ?? 42);
  const config = parseConfig({ source: { url: srcUrl }, targets: { t: { url: dst } }, model, seed, outDir: '.synth/fidelity' });
  const ms: Record<string, number> = {};
  let copied: string[] = [];
  const emit = (e: RunEvent): void => {
    if (e.type === 'stage' && e.status === 'done' && e.ms !== undefined) ms[e.stage] = (ms[e.stage] ?? 0) + e.ms;
    const listed = e.type === 'info' ? /copied verbatim \(reference data\): (.+?)(?:;| \(see |$)/.exec(e.message) : null;
    if (listed) copied = listed[1]!.split(',').map((t) => t.trim());
  };
  const r = await hydrate({ config, target: 't', emit });
  const rows = [...r.rowCounts.values()].reduce((a, b) => a + b, 0);
  const q = r.quality;
  const prop = (name: string): string => {
    const s = q?.properties.find((p) => p.name === name)?.score;
    return s === null || s === undefined ? ' n/a ' : s.toFixed(3);
  };
  const broken = await brokenInvariants(dst, inv);
  const identical = await identicalTables(srcUrl, dst, copied);
  // The weakest relationship, so a Cardinality below target names its FK.
  const weakest = [...(q?.cardinality ?? [])].sort((a, b) => (a.score ?? 2) - (b.score ?? 2))[0];
  // Copied reference tables (lookups) are the source's rows on purpose; new rows are counted on the synthesized ones.
  const synthesized = new Set(Object.keys(r.privacy?.filters ?? {}).map((k) => k.replace(/^public\./, '')));
  let checked = 0;
  let fresh = 0;
  for (const d of q?.diagnostics.details ?? []) {
    if (d.metric !== 'NewRowSynthesis' || !synthesized.has(d.table)) continue;
    checked += d.checkedRows ?? 0;
    fresh += d.newRows ?? 0;
  }
  const rate = ms.load ? Math.round(rows / (ms.load / 1000)) : 0;
  return (
    `${r.status} overall ${q?.overall?.toFixed(3) ?? 'n/a'} | ${PROPERTIES.map((p) => `${p.replace('Column ', '')} ${prop(p)}`).join(' | ')} | ` +
    `min ${weakest ? `${weakest.childTable}.${weakest.foreignKey} ${weakest.score?.toFixed(3) ?? 'n/a'}` : 'n/a'} | ` +
    `invariants broken ${broken}/${inv.count} | reference tables identical ${identical}/${copied.length} | new rows ${checked > 0 ? (fresh / checked).toFixed(3) : 'n/a'} of ${checked} checked (${synthesized.size} synthesized tables) | ` +
    `load ${rate} rows/s (${rows} rows) | train ${((ms.train ?? 0) / 1000).toFixed(1)} s`
  );
}

async function sourceFor(set: string): Promise<string | null> {
  if (set === 'structured') {
    const lines = Number(process.env.SYNTH_FIDELITY_LINES ?? 1_000_000);
    const url = await recreateDatabase(PG_SERVER, 'synth_fid_structured_src');
    await exec(url, structuredFixtureSql(lines));
    return url;
  }
  if (datasetsMissing()) return null;
  return loadDataset(set, 'pg', `synth_fid_${set}_src`);
}

export async function benchFidelity(): Promise<Record<string, string>> {
  const sets = (process.env.SYNTH_FIDELITY_SETS ?? 'chinook,northwind,world,structured').split(',');
  const out: Record<string, string> = {};
  for (const set of sets) {
    const url = await sourceFor(set);
    if (!url) {
      out[set] = `skipped: ${datasetsMissing()}`;
      continue;
    }
    const inv = await sourceInvariants(url);
    for (const model of (process.env.SYNTH_FIDELITY_MODELS ?? 'baseline,learned').split(',') as Array<'baseline' | 'learned'>) {
      try {
        out[`${set} ${model}`] = await runModel(url, set, model, inv);
      } catch (e) {
        out[`${set} ${model}`] = `FAILED: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      }
      process.stderr.write(`${set} ${model}: ${out[`${set} ${model}`]}\n`);
    }
  }
  return out;
}

