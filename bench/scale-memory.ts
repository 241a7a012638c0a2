/**
 * `npm run bench -- scale-memory`: the memory bound of issue 16. One table of SYNTH_SCALE_MEMORY_ROWS rows (default
 * 20 M) is generated and loaded, validated and swapped in by one hydrate in a process of its own (with the heap limit
 * the CLI sets), whose peak RSS, its load workers' included, must stay under 1 GiB: rows stream, no stage holds a
 * table. The source is the scale fixture's lineitem alone (no foreign keys, ~200 k rows, built once as
 * `synth_bench_scale_mem`), hydrated at `scale` = rows ÷ source rows.
 * SYNTH_SCALE_MODELS (default baseline) and SYNTH_SCALE_DIALECTS (default postgres) as for `scale`.
 */
import { scaleFixtureSql, scaleSizes, type Dialect } from './scale-fixture.js';
import { drop, hydrateRun, recreate, runStatements } from './scale.js';

const PG_SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const MYSQL_SERVER = process.env.SYNTH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
/** Rows of the whole fixture whose lineitem has about 200 k rows (SF1's has 6 M of 8.66 M). */
const SOURCE_FIXTURE_ROWS = 288_668;
const GIB_MIB = 1024;

export async function benchScaleMemory(): Promise<Record<string, number | string>> {
  const rows = Math.round(Number(process.env.SYNTH_SCALE_MEMORY_ROWS ?? 20_000_000));
  const models = (process.env.SYNTH_SCALE_MODELS ?? 'baseline').split(',') as Array<'baseline' | 'learned'>;
  const dialects = (process.env.SYNTH_SCALE_DIALECTS ?? 'postgres').split(',') as Dialect[];
  const out: Record<string, number | string> = { 'rows asked': rows };
  for (const d of dialects) {
    const label = d === 'postgres' ? 'pg' : 'mariadb';
    const server = d === 'postgres' ? PG_SERVER : MYSQL_SERVER;
    // Rebuilt every time: a few seconds for 200 k rows, and no stale copy to wonder about.
    const source = await recreate(d, server, 'synth_bench_scale_mem');
    const statements = scaleFixtureSql(d, scaleSizes(SOURCE_FIXTURE_ROWS)).filter((s) => /^(CREATE TABLE|INSERT INTO) lineitem\b/.test(s) || /^SET /.test(s));
    await runStatements(d, source, [...statements, d === 'postgres' ? 'ANALYZE lineitem' : 'ANALYZE TABLE lineitem']);
    const sourceRows = Number(await countLineitems(d, source));
    out[`${label} source rows`] = sourceRows;
    for (const model of models) {
      const target = await recreate(d, server, 'synth_bench_scale_mem_target');
      const k = `${label} ${model}`;
      try {
        const r = await hydrateRun(source, target, model, { scale: rows / sourceRows });
        out[`${k} status`] = `${r.status}, ${r.violations} violations`;
        out[`${k} rows`] = r.rows;
        out[`${k} total s`] = +(r.totalMs / 1000).toFixed(1);
        const load = (r.stageMs.load ?? 0) + (r.stageMs.update ?? 0);
        out[`${k} generate+load rows/s`] = Math.round(r.rows / (load / 1000));
        for (const s of ['keys', 'validate', 'quality', 'finalize']) if (r.stageMs[s] !== undefined) out[`${k} ${s} s`] = +(r.stageMs[s]! / 1000).toFixed(1);
        out[`${k} peak RSS MiB (main process)`] = r.memory.mainPeakMiB;
        out[`${k} peak RSS MiB (largest other process)`] = r.memory.workerPeakMiB;
        out[`${k} peak RSS MiB (all processes at once)`] = r.memory.combinedPeakMiB;
        out[`${k} live heap MiB after a full GC, largest (main process)`] = r.liveHeapPeakMiB;
        out[`${k} off-heap (external) MiB, largest (main process)`] = r.externalPeakMiB;
        // The honest figure: the parallel load's workers are processes of the same run.
        out[`${k} under 1 GiB`] = r.memory.combinedPeakMiB < GIB_MIB ? 'yes' : 'NO';
      } catch (e) {
        out[`${k} status`] = `failed: ${(e instanceof Error ? e.message : String(e)).split('\n').find((l) => /Error|failed/.test(l)) ?? 'see stderr'}`;
        process.stderr.write(`${k}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
      process.stderr.write(`${Object.entries(out).filter(([key]) => key.startsWith(k)).map(([key, v]) => `${key} ${v}`).join('\n')}\n`);
      await drop(d, server, 'synth_bench_scale_mem_target');
    }
    await drop(d, server, 'synth_bench_scale_mem');
  }
  return out;
}

async function countLineitems(d: Dialect, url: string): Promise<number> {
  if (d === 'postgres') {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM lineitem')).rows[0]?.n ?? 0);
    } finally {
      await c.end();
    }
  }
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection({ uri: url });
  try {
    const [r] = await c.query('SELECT COUNT(*) AS n FROM lineitem');
    return Number((r as Array<{ n: number | string }>)[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}
