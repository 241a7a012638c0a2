/**
 * Quality under DP with the default mechanism (`privacy: { epsilon }` alone: MST where a table has the rows for it,
 * children conditioned on their parent; the configured model elsewhere), PostgreSQL → PostgreSQL: Overall and its
 * four properties at each ε and without DP, mean of the repeats with min–max, integrity violations, rows that break
 * an order invariant the source keeps (summed over the repeats), and the tables whose row count is off by more than
 * 10 % without the plan's small-table warning.
 *   npm run bench -- dp
 *   SYNTH_DP_SOURCES=shop-10k SYNTH_DP_EPSILONS=off,3 SYNTH_DP_REPEATS=1 npm run bench -- dp
 * Sources: chinook, northwind, world (../shared/datasets; skipped when absent), shop (bench/dp-entity.ts's fixture,
 * 3 000 customers), shop-10k (SYNTH_DP_BIG customers, default 10 000 root entities) and shop-100k (100 000).
 * SYNTH_DP_MODEL=baseline|learned (default: the config's default, learned); SYNTH_DP_MECHANISMS=default,independent
 * adds the run without MST (`privacy.mst: false`). SYNTH_DP_UNIT=entity runs the shops under the entity unit
 * (customer, 16 rows per owned table, 48 order lines).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { fixture } from './dp-entity.js';
import { datasetsMissing, freshDatabase, loadDataset } from './sample-datasets.js';

const DATASETS = new Set(['chinook', 'northwind', 'world']);

async function sourceUrl(name: string): Promise<string | null> {
  if (DATASETS.has(name)) return datasetsMissing() ? null : loadDataset(name, 'pg', `synth_dpm_${name}_src`);
  const customers = name === 'shop' ? 3000 : name === 'shop-100k' ? 100_000 : Number(process.env.SYNTH_DP_BIG ?? 10_000);
  const url = await freshDatabase('pg', `synth_dpm_${name.replace('-', '_')}_src`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(fixture(customers));
  await c.end();
  return url;
}

function summary(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.length > 1 ? `${mean.toFixed(3)} [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]` : mean.toFixed(3);
}

async function rowCounts(url: string): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ s: string; t: string }>(
      "SELECT table_schema s, table_name t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'synth%'",
    );
    const out = new Map<string, number>();
    for (const { s, t } of tables.rows) out.set(`${s}.${t}`, Number((await c.query(`SELECT count(*) n FROM "${s}"."${t}"`)).rows[0].n));
    return out;
  } finally {
    await c.end();
  }
}

/**
 * The order invariants the source keeps (`a ≤ b` on every row where both are set, with at least 20 such rows): two
 * date/timestamp columns of one table, and a child's against its parent's through a single-column FK. Each comes
 * back as a query counting the rows that break it, to run on the target.
 */
async function sourceInvariants(url: string): Promise<Array<{ name: string; broken: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const cols = await c.query<{ s: string; t: string; c: string }>(
      "SELECT table_schema s, table_name t, column_name c FROM information_schema.columns WHERE data_type IN ('date', 'timestamp without time zone', 'timestamp with time zone') AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'synth%' ORDER BY 1, 2, ordinal_position",
    );
    const fks = await c.query<{ cs: string; ct: string; cc: string; ps: string; pt: string; pc: string }>(
      `SELECT cn.nspname cs, cr.relname ct, ca.attname cc, pn.nspname ps, pr.relname pt, pa.attname pc
         FROM pg_constraint k
         JOIN pg_class cr ON cr.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = cr.relnamespace
         JOIN pg_class pr ON pr.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = pr.relnamespace
         JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
         JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
        WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND k.conrelid <> k.confrelid`,
    );
    const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
    const byTable = new Map<string, Array<{ s: string; t: string; c: string }>>();
    for (const r of cols.rows) byTable.set(`${r.s}.${r.t}`, [...(byTable.get(`${r.s}.${r.t}`) ?? []), r]);
    const candidates: Array<{ name: string; from: string; lo: string; hi: string }> = [];
    for (const list of byTable.values()) {
      for (const a of list) for (const b of list) if (a.c !== b.c) candidates.push({ name: `${a.t}.${a.c} ≤ ${b.c}`, from: `${q(a.s)}.${q(a.t)} x`, lo: `x.${q(a.c)}`, hi: `x.${q(b.c)}` });
    }
    for (const f of fks.rows) {
      for (const p of byTable.get(`${f.ps}.${f.pt}`) ?? []) {
        for (const ch of byTable.get(`${f.cs}.${f.ct}`) ?? []) {
          candidates.push({ name: `${f.pt}.${p.c} ≤ ${f.ct}.${ch.c}`, from: `${q(f.cs)}.${q(f.ct)} x JOIN ${q(f.ps)}.${q(f.pt)} y ON y.${q(f.pc)} = x.${q(f.cc)}`, lo: `y.${q(p.c)}`, hi: `x.${q(ch.c)}` });
        }
      }
    }
    const out: Array<{ name: string; broken: string }> = [];
    for (const k of candidates) {
      const r = await c.query<{ n: string; bad: string }>(`SELECT count(*) n, count(*) FILTER (WHERE ${k.lo} > ${k.hi}) bad FROM ${k.from} WHERE ${k.lo} IS NOT NULL AND ${k.hi} IS NOT NULL`);
      if (Number(r.rows[0]!.n) >= 20 && Number(r.rows[0]!.bad) === 0) out.push({ name: k.name, broken: `SELECT count(*) n FROM ${k.from} WHERE ${k.lo} > ${k.hi}` });
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Rows of the target that break each of the source's invariants (only those broken at least once). */
async function brokenInvariants(url: string, invariants: Array<{ name: string; broken: string }>): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out = new Map<string, number>();
    for (const k of invariants) {
      const n = Number((await c.query<{ n: string }>(k.broken)).rows[0]!.n);
      if (n > 0) out.set(k.name, n);
    }
    return out;
  } finally {
    await c.end();
  }
}

export async function benchDp(): Promise<Record<string, number | string>> {
  const sources = (process.env.SYNTH_DP_SOURCES ?? 'chinook,northwind,world,shop-10k,shop-100k').split(',');
  const epsilons = (process.env.SYNTH_DP_EPSILONS ?? 'off,1,3,10').split(',');
  const repeats = Math.max(1, Number(process.env.SYNTH_DP_REPEATS ?? 3));
  const mechanisms = (process.env.SYNTH_DP_MECHANISMS ?? 'default').split(',') as Array<'default' | 'independent'>;
  const model = process.env.SYNTH_DP_MODEL === 'baseline' || process.env.SYNTH_DP_MODEL === 'learned' ? process.env.SYNTH_DP_MODEL : undefined;
  const out: Record<string, number | string> = { model: model ?? 'default (learned)', repeats };
  process.env.SYNTH_PII_KEY ??= 'bench-pii-key';
  for (const name of sources) {
    const src = await sourceUrl(name);
    if (!src) {
      out[name] = 'skipped: no ../shared/datasets';
      continue;
    }
    const sourceRows = await rowCounts(src);
    const invariants = await sourceInvariants(src);
    process.stderr.write(`${name}: ${invariants.length} order invariant(s) in the source${invariants.length ? `: ${invariants.map((k) => k.name).join(', ')}` : ''}\n`);
    const entity = process.env.SYNTH_DP_UNIT === 'entity' && !DATASETS.has(name);
    for (const e of epsilons) {
      for (const mechanism of e === 'off' ? (['-'] as const) : mechanisms) {
        const scores = new Map<string, number[]>();
        let chosen = '';
        let cpu = 0;
        let violations = 0;
        const broken = new Map<string, number>();
        const offCounts = new Set<string>();
        for (let rep = 0; rep < repeats; rep++) {
          const dst = await freshDatabase('pg', `synth_dpm_${name.replace('-', '_')}_dst`);
          const config = parseConfig({
            source: { url: src },
            targets: { dev: { url: dst } },
            ...(model ? { model } : {}),
            seed: 42 + rep,
            outDir: mkdtempSync(join(tmpdir(), 'synth-dp-bench-')),
            ...(entity ? { tables: { order_line: { maxRowsPerEntity: 48 } } } : {}),
            ...(e === 'off'
              ? {}
              : {
                  privacy: {
                    epsilon: Number(e),
                    delta: 1e-6,
                    ...(mechanism === 'independent' ? { mst: false as const } : {}),
                    ...(entity ? { unit: 'entity' as const, entity: 'customer', maxRowsPerEntity: 16 } : {}),
                  },
                }),
          });
          const started = process.cpuUsage();
          const r = await hydrate({ config, target: 'dev' });
          const used = process.cpuUsage(started);
          cpu += (used.user + used.system) / 1e6;
          violations += r.integrity.totalViolations;
          const q = r.quality;
          const all: Array<[string, number | null | undefined]> = [['Overall', q?.overall], ...(q?.properties ?? []).map((p) => [p.name, p.score] as [string, number | null])];
          for (const [k, v] of all) if (typeof v === 'number') scores.set(k, [...(scores.get(k) ?? []), v]);
          chosen = (r.privacy?.tables ?? []).filter((t) => t.model === 'mst').map((t) => t.table.split('.').pop()).join(' ');
          // Row counts within 10 % of the source unless the plan warned (small tables: noise above 25 %).
          const warned = new Set((r.privacy?.tables ?? []).filter((t) => t.rowCount?.small).map((t) => t.table));
          for (const [k, n] of await brokenInvariants(dst, invariants)) broken.set(k, (broken.get(k) ?? 0) + n);
          const target = await rowCounts(dst);
          for (const [t, n] of sourceRows) {
            const got = target.get(t) ?? 0;
            if (!warned.has(t) && Math.abs(got - n) > 0.1 * Math.max(1, n)) offCounts.add(`${t.split('.').pop()} ${n}→${got}`);
          }
        }
        const label = `${name} ${e === 'off' ? 'no DP' : `ε=${e}${entity ? ' entity' : ''}${mechanisms.length > 1 ? ` ${mechanism}` : ''}`}`;
        out[label] =
          [...scores].map(([k, v]) => `${k} ${summary(v)}`).join(', ') +
          ` | violations ${violations} | broken invariants ${broken.size === 0 ? 0 : [...broken].map(([k, n]) => `${k}: ${n} rows`).join(', ')} | rows off >10 % unwarned: ${offCounts.size === 0 ? 'none' : [...offCounts].join(', ')} | ${(cpu / repeats).toFixed(0)} CPU-s/run${e !== 'off' ? ` | MST: ${chosen || 'none'}` : ''}`;
        process.stderr.write(`${label}: ${out[label]}\n`);
      }
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDp();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
}
