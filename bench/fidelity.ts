/**
 * Fidelity of the two models side by side, PostgreSQL → PostgreSQL: the quality report (Overall and its four
 * properties), the source's order invariants (a ≤ b pairs that hold on every source row of a table) and how many
 * of them the output breaks, and the load stage's rows/s (generation, copy filters and COPY together) and training
 * seconds. Datasets: chinook, northwind, world (../shared/datasets) and a structured fixture built here: orders with
 * dated lines, a fixed-fan-out link table, lookup tables, prices that depend on the product and the customer.
 *   npm run bench -- fidelity
 *   SYNTH_FIDELITY_LINES=100000 SYNTH_FIDELITY_SETS=structured SYNTH_FIDELITY_SEED=1 npm run bench -- fidelity
 * Not a test: the sample databases need ../shared, and the full fixture takes minutes.
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import type { RunEvent } from '../src/events.js';
import { hydrate, readSample } from '../src/pipeline/index.js';
import { detectOrderInvariants, type OrderInvariant } from '../src/generation/order-invariants.js';
import { parseEpoch, toNumber } from '../src/generation/conform.js';
import type { Table } from '../src/schema/model.js';
import type { Value } from '../src/schema/values.js';
import { exec, recreateDatabase } from './pg-fixture.js';
import { datasetsMissing, freshDatabase, loadDataset, PG_SERVER } from './sample-datasets.js';

/** The structured fixture with `lines` order lines (orders = lines / 4, customers = lines / 50). */
export function structuredFixtureSql(lines: number): string {
  const orders = Math.max(10, Math.floor(lines / 4));
  const customers = Math.max(10, Math.floor(lines / 50));
  return `
SELECT setseed(0.5);
CREATE TABLE region (region_id int PRIMARY KEY, name text NOT NULL, tax_rate numeric(4,3) NOT NULL);
INSERT INTO region VALUES (1,'north',0.200),(2,'south',0.070),(3,'east',0.100),(4,'west',0.150),(5,'central',0.050);
CREATE TABLE category (category_id int PRIMARY KEY, name text NOT NULL, base_price numeric(10,2) NOT NULL);
INSERT INTO category SELECT g, 'category ' || g, (5 * g * g)::numeric(10,2) FROM generate_series(1, 12) g;
CREATE TABLE tag (tag_id int PRIMARY KEY, label text NOT NULL);
INSERT INTO tag SELECT g, 'tag ' || g FROM generate_series(1, 8) g;
CREATE TABLE customer (
  customer_id int PRIMARY KEY, region_id int NOT NULL REFERENCES region, segment text NOT NULL,
  signup_date date NOT NULL, credit_limit numeric(10,2) NOT NULL);
INSERT INTO customer
SELECT g, r, s, date '2015-01-01' + (random() * 2500)::int,
       round(((CASE s WHEN 'enterprise' THEN 50000 WHEN 'smb' THEN 8000 ELSE 1500 END) * (0.5 + random()))::numeric, 2)
FROM (SELECT g, 1 + (random() * 4)::int AS r,
             CASE WHEN random() < 0.15 THEN 'enterprise' WHEN random() < 0.4 THEN 'smb' ELSE 'consumer' END AS s
      FROM generate_series(1, ${customers}) g) x;
CREATE TABLE product (
  product_id int PRIMARY KEY, category_id int NOT NULL REFERENCES category, list_price numeric(10,2) NOT NULL,
  weight_kg numeric(8,3) NOT NULL);
INSERT INTO product
SELECT g, c, round((5 * c * c * (0.6 + 0.8 * random()))::numeric, 2), round((c * (0.2 + random()))::numeric, 3)
FROM (SELECT g, 1 + (random() * 11)::int AS c FROM generate_series(1, 2000) g) x;
CREATE TABLE orders (
  order_id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, status text NOT NULL,
  priority text NOT NULL, order_date date NOT NULL, ship_date date NOT NULL, delivered_at timestamp,
  CHECK (ship_date >= order_date));
INSERT INTO orders
SELECT g, c, st, pr, od, od + sd, CASE WHEN st = 'delivered' THEN (od + sd + 1 + (random() * 6)::int) + (random() * 86399)::int * interval '1 second' END
FROM (SELECT g, 1 + (random() * (${customers} - 1))::int AS c,
             (ARRAY['delivered','delivered','delivered','shipped','open','cancelled'])[1 + (random() * 5)::int] AS st,
             (ARRAY['low','medium','high','urgent'])[1 + (random() * 3)::int] AS pr,
             date '2021-01-01' + (random() * 1000)::int AS od, (random() * 10)::int AS sd
      FROM generate_series(1, ${orders}) g) x;
CREATE TABLE order_line (
  order_id int NOT NULL REFERENCES orders, line_no int NOT NULL, product_id int NOT NULL REFERENCES product,
  quantity int NOT NULL CHECK (quantity > 0), unit_price numeric(10,2) NOT NULL, discount numeric(4,3) NOT NULL,
  commit_date date NOT NULL, receipt_date date NOT NULL, PRIMARY KEY (order_id, line_no));
INSERT INTO order_line
SELECT o.order_id, l, p.product_id, q,
       round((p.list_price * (CASE cu.segment WHEN 'enterprise' THEN 0.8 WHEN 'smb' THEN 0.9 ELSE 1 END))::numeric, 2),
       CASE cu.segment WHEN 'enterprise' THEN 0.100 WHEN 'smb' THEN 0.050 ELSE 0.000 END + round((random() * 0.02)::numeric, 3),
       o.order_date + 2 + (random() * 5)::int, o.order_date + 4 + (random() * 20)::int
FROM orders o JOIN customer cu USING (customer_id)
CROSS JOIN LATERAL (SELECT l, 1 + ((o.order_id * 7 + l * 13) % 2000) AS pid,
                           1 + floor(-ln(1 - random()) * CASE cu.segment WHEN 'enterprise' THEN 20 ELSE 3 END)::int AS q
                    FROM generate_series(1, 4) l) x
JOIN product p ON p.product_id = x.pid;
CREATE TABLE order_tag (order_id int NOT NULL REFERENCES orders, tag_id int NOT NULL REFERENCES tag, PRIMARY KEY (order_id, tag_id));
INSERT INTO order_tag SELECT order_id, 1 + (order_id % 8) FROM orders UNION ALL SELECT order_id, 1 + ((order_id + 3) % 8) FROM orders;
ANALYZE;`;
}

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

const PROPERTIES = ['Column Shapes', 'Column Pair Trends', 'Cardinality', 'Intertable Trends'];

async function runModel(srcUrl: string, label: string, model: 'baseline' | 'learned', inv: Invariants): Promise<string> {
  const dst = await freshDatabase('pg', `synth_fid_${label}_${model}`);
  const seed = Number(process.env.SYNTH_FIDELITY_SEED ?? 42);
  const config = parseConfig({ source: { url: srcUrl }, targets: { t: { url: dst } }, model, seed, outDir: '.synth/fidelity' });
  const ms: Record<string, number> = {};
  const emit = (e: RunEvent): void => {
    if (e.type === 'stage' && e.status === 'done' && e.ms !== undefined) ms[e.stage] = (ms[e.stage] ?? 0) + e.ms;
  };
  const r = await hydrate({ config, target: 't', emit });
  const rows = [...r.rowCounts.values()].reduce((a, b) => a + b, 0);
  const q = r.quality;
  const prop = (name: string): string => {
    const s = q?.properties.find((p) => p.name === name)?.score;
    return s === null || s === undefined ? ' n/a ' : s.toFixed(3);
  };
  const broken = await brokenInvariants(dst, inv);
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
    `invariants broken ${broken}/${inv.count} | new rows ${checked > 0 ? (fresh / checked).toFixed(3) : 'n/a'} of ${checked} checked (${synthesized.size} synthesized tables) | ` +
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

