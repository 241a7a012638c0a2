/**
 * `npm run bench -- scale`: synth at production scale on a TPC-H-like fixture (bench/scale-fixture.ts), PostgreSQL →
 * PostgreSQL and MariaDB → MariaDB, baseline and learned. Per run: seconds of every stage, generate+load rows/s and
 * peak RSS (each hydrate in a process of its own), next to what the same machine does with the same rows in the same
 * run: a raw COPY / LOAD DATA into unindexed tables, and `pg_dump | psql` / `mariadb-dump | mariadb` of the fixture.
 *
 * SYNTH_SCALE_ROWS: rows in all (default SF1, 8 660 030; lineitem 6 M). The fixture is built once per size and kept
 * (`synth_bench_scale_<rows>`); SYNTH_SCALE_MODELS / SYNTH_SCALE_DIALECTS (comma lists) narrow the runs, and
 * SYNTH_SCALE_CONFIG (JSON) is merged into each run's config.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { heapLimitArgs } from '../src/pipeline/heap-limit.js';
import { SCALE_TABLES, SF1_ROWS, scaleFixtureSql, scaleSizes, type Dialect } from './scale-fixture.js';
import type { ScaleRunResult } from './scale-run.js';

const PG_SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const MYSQL_SERVER = process.env.SYNTH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const STAGES = ['sample', 'train', 'shadow', 'load', 'update', 'derive', 'repair', 'keys', 'validate', 'quality', 'finalize', 'parity', 'swap'];
const READY = 'synth_bench_ready';

type Figures = Record<string, number | string>;
const secs = (ms: number) => +(ms / 1000).toFixed(1);

export async function benchScale(): Promise<Figures> {
  const rows = Math.round(Number(process.env.SYNTH_SCALE_ROWS ?? SF1_ROWS));
  const models = (process.env.SYNTH_SCALE_MODELS ?? 'baseline,learned').split(',') as Array<'baseline' | 'learned'>;
  const dialects = (process.env.SYNTH_SCALE_DIALECTS ?? 'postgres,mysql').split(',') as Dialect[];
  const out: Figures = { 'fixture rows (asked)': rows };
  for (const d of dialects) {
    const label = d === 'postgres' ? 'pg' : 'mariadb';
    const server = d === 'postgres' ? PG_SERVER : MYSQL_SERVER;
    const name = `synth_bench_scale_${rows}`;
    const built = await ensureFixture(d, server, name, rows);
    const fixtureRows = await countAll(d, `${server}/${name}`);
    out[`${label} fixture rows`] = fixtureRows;
    if (built !== null) out[`${label} fixture build s`] = secs(built);
    const raw = await rawLoad(d, server, name);
    out[`${label} raw ${d === 'postgres' ? 'COPY' : 'LOAD DATA'} rows/s`] = Math.round(fixtureRows / (raw / 1000));
    const dump = await dumpRestore(d, server, name);
    out[`${label} ${d === 'postgres' ? 'pg_dump | psql' : 'mariadb-dump | mariadb'} s`] = secs(dump);
    for (const model of models) {
      const target = await recreate(d, server, `${name}_target`);
      const k = `${label} ${model}`;
      let r: Awaited<ReturnType<typeof hydrateRun>>;
      try {
        r = await hydrateRun(`${server}/${name}`, target, model);
      } catch (e) {
        // One failed run does not lose the others' figures.
        out[`${k} status`] = `failed: ${(e instanceof Error ? e.message : String(e)).split('\n').find((l) => /Error|failed/.test(l)) ?? 'see stderr'}`;
        process.stderr.write(`${k}: ${e instanceof Error ? e.message : String(e)}\n`);
        await drop(d, server, `${name}_target`);
        continue;
      }
      out[`${k} status`] = `${r.status}, ${r.violations} violations, quality ${r.quality === null ? 'n/a' : r.quality.toFixed(3)}`;
      out[`${k} total s`] = secs(r.totalMs);
      for (const s of STAGES) if (r.stageMs[s] !== undefined) out[`${k} ${s} s`] = secs(r.stageMs[s]!);
      const load = (r.stageMs.load ?? 0) + (r.stageMs.update ?? 0);
      out[`${k} generate+load rows/s`] = Math.round(r.rows / (load / 1000));
      out[`${k} ÷ raw load`] = +(r.rows / (load / 1000) / (fixtureRows / (raw / 1000))).toFixed(2);
      const gate = (r.stageMs.validate ?? 0) + (r.stageMs.repair ?? 0) + (r.stageMs.quality ?? 0);
      out[`${k} validate+quality % of run`] = +((100 * gate) / r.totalMs).toFixed(1);
      // The keys stage is finalize's index builds, done before the gate; shown with it too, so no reader has to trust the split.
      out[`${k} keys+validate+quality % of run`] = +((100 * (gate + (r.stageMs.keys ?? 0))) / r.totalMs).toFixed(1);
      out[`${k} × dump+restore`] = +(r.totalMs / dump).toFixed(2);
      out[`${k} peak RSS MiB (main process)`] = r.memory.mainPeakMiB;
      out[`${k} peak RSS MiB (largest other process)`] = r.memory.workerPeakMiB;
      out[`${k} other processes`] = r.memory.processes;
      out[`${k} V8 heap limit MiB (main process)`] = r.heapLimitMiB;
      out[`${k} live heap MiB after a full GC, largest (main process)`] = r.liveHeapPeakMiB;
      out[`${k} off-heap (external) MiB, largest (main process)`] = r.externalPeakMiB;
      // The figure to hold against 1 GiB: every process of the run at once.
      out[`${k} peak RSS MiB (all processes at once)`] = r.memory.combinedPeakMiB;
      out[`${k} peak RSS MiB by stage (+ added)`] = Object.entries(r.stageRssMiB ?? {}).map(([s, m]) => `${s} ${m.peak} (+${m.added})`).join(', ');
      // Progress on stderr: a long bench shows each run as it ends.
      process.stderr.write(`${Object.entries(out).filter(([key]) => key.startsWith(k)).map(([key, v]) => `${key} ${v}`).join('\n')}\n`);
      await drop(d, server, `${name}_target`);
    }
  }
  return out;
}

/** Builds the fixture unless a finished one is there; the build's milliseconds, or null when it was cached. */
async function ensureFixture(d: Dialect, server: string, name: string, rows: number): Promise<number | null> {
  if (await isReady(d, server, name)) return null;
  const started = Date.now();
  const url = await recreate(d, server, name);
  await runStatements(d, url, [...scaleFixtureSql(d, scaleSizes(rows)), `CREATE TABLE ${READY} (built_at ${d === 'postgres' ? 'timestamptz' : 'DATETIME'} NOT NULL)`]);
  return Date.now() - started;
}

async function isReady(d: Dialect, server: string, name: string): Promise<boolean> {
  if (d === 'postgres') {
    const c = new pg.Client({ connectionString: `${server}/postgres` });
    await c.connect();
    try {
      if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) return false;
    } finally {
      await c.end();
    }
    const db = new pg.Client({ connectionString: `${server}/${name}` });
    await db.connect();
    try {
      return (await db.query('SELECT to_regclass($1) IS NOT NULL AS ok', [READY])).rows[0]?.ok === true;
    } finally {
      await db.end();
    }
  }
  const c = await mysql.createConnection({ uri: server });
  try {
    const [r] = await c.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [name, READY]);
    return (r as unknown[]).length > 0;
  } finally {
    await c.end();
  }
}

export async function recreate(d: Dialect, server: string, name: string): Promise<string> {
  await drop(d, server, name);
  if (d === 'postgres') await onPg(`${server}/postgres`, (c) => c.query(`CREATE DATABASE "${name}"`));
  else await onMysql(server, (c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
  return `${server}/${name}`;
}

export async function drop(d: Dialect, server: string, name: string): Promise<void> {
  if (d === 'postgres') await onPg(`${server}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  // A MySQL swap keeps the replaced tables in a database beside the target (`<name>__synth_backup`): it goes too.
  else await onMysql(server, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.query(`DROP DATABASE IF EXISTS \`${name}__synth_backup\``);
  });
}

async function onPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function onMysql<T>(url: string, fn: (c: mysql.Connection) => Promise<T>, flags: string[] = []): Promise<T> {
  const c = await mysql.createConnection({ uri: url, flags });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Statements in order on one connection (MariaDB's foreign_key_checks is per session). */
export async function runStatements(d: Dialect, url: string, statements: string[]): Promise<void> {
  if (d === 'postgres') {
    await onPg(url, async (c) => {
      for (const s of statements) await c.query(s);
    });
  } else {
    await onMysql(url, async (c) => {
      for (const s of statements) await c.query(s);
    });
  }
}

async function countAll(d: Dialect, url: string): Promise<number> {
  const sql = `SELECT ${SCALE_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(' + ')} AS n`;
  if (d === 'postgres') return onPg(url, async (c) => Number((await c.query<{ n: string }>(sql)).rows[0]?.n ?? 0));
  return onMysql(url, async (c) => {
    const [r] = await c.query(sql);
    return Number((r as Array<{ n: string | number }>)[0]?.n ?? 0);
  });
}

/** The fixture's tables without keys or indexes, as synth's shadow tables are while they load. */
function unindexedTables(d: Dialect): string[] {
  return scaleFixtureSql(d, scaleSizes(100))
    .filter((s) => s.startsWith('CREATE TABLE'))
    .map((s) => s.replace(/,\s*PRIMARY KEY \([^)]*\)/g, '').replace(/ PRIMARY KEY/g, ''));
}

/**
 * Milliseconds to move every row of the fixture into unindexed copies: COPY TO → COPY FROM streamed between two
 * connections on PostgreSQL; LOAD DATA LOCAL INFILE of files exported beforehand (not timed) on MariaDB.
 */
async function rawLoad(d: Dialect, server: string, name: string): Promise<number> {
  const rawUrl = await recreate(d, server, `${name}_raw`);
  await runStatements(d, rawUrl, unindexedTables(d));
  let ms = 0;
  if (d === 'postgres') {
    const a = new pg.Client({ connectionString: `${server}/${name}` });
    const b = new pg.Client({ connectionString: rawUrl });
    await a.connect();
    await b.connect();
    try {
      const started = Date.now();
      for (const t of SCALE_TABLES) {
        await pipeline(a.query(copyStreams.to(`COPY ${t} TO STDOUT`)) as Readable, b.query(copyStreams.from(`COPY ${t} FROM STDIN`)) as Writable);
      }
      ms = Date.now() - started;
    } finally {
      await a.end();
      await b.end();
    }
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'synth-scale-raw-'));
    try {
      for (const t of SCALE_TABLES) await shell(`${mariadbCli('mariadb', server)} --batch --raw --skip-column-names -e 'SELECT * FROM \`${name}\`.\`${t}\`' > ${join(dir, `${t}.tsv`)}`);
      ms = await onMysql(rawUrl, async (c) => {
        const started = Date.now();
        for (const t of SCALE_TABLES) {
          await c.query({ sql: `LOAD DATA LOCAL INFILE '${t}.tsv' INTO TABLE \`${t}\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n'`, infileStreamFactory: () => createReadStream(join(dir, `${t}.tsv`)) });
        }
        return Date.now() - started;
      }, ['+LOCAL_FILES']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await drop(d, server, `${name}_raw`);
  return ms;
}

/** Milliseconds of the dump tool piped into the client, into a fresh database (keys, indexes and FKs included). */
async function dumpRestore(d: Dialect, server: string, name: string): Promise<number> {
  const target = await recreate(d, server, `${name}_dump`);
  const cmd =
    d === 'postgres'
      ? `pg_dump --no-owner --dbname='${server}/${name}' --exclude-table=${READY} | psql -q -v ON_ERROR_STOP=1 --dbname='${target}' > /dev/null`
      : `${mariadbCli('mariadb-dump', server)} --single-transaction --ignore-table=${name}.${READY} ${name} | ${mariadbCli('mariadb', server)} ${name}_dump`;
  const started = Date.now();
  await shell(cmd);
  const ms = Date.now() - started;
  await drop(d, server, `${name}_dump`);
  return ms;
}

function mariadbCli(tool: string, server: string): string {
  const u = new URL(server);
  const password = u.password ? ` -p'${decodeURIComponent(u.password)}'` : '';
  return `${tool} -h ${u.hostname} -P ${u.port || '3306'} -u ${decodeURIComponent(u.username || 'root')}${password}`;
}

function shell(cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd.split(' ')[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/** What one hydrate's processes held: scale-run.ts reports the main process; the rest is polled from outside. */
export interface ScaleRunMemory {
  /** The main process's own RSS high-water mark (the kernel's). */
  mainPeakMiB: number;
  /** The largest RSS high-water mark of its other processes (the parallel load's workers), 0 when none ran. */
  workerPeakMiB: number;
  /** How many other processes ran (node workers; tsx's esbuild service when the bench runs the sources). */
  processes: number;
  /** The largest sum of the RSS of the whole process tree at one poll (every 200 ms): what the machine held. */
  combinedPeakMiB: number;
}

/** One hydrate in a child process (bench/scale-run.ts), for a peak RSS of its own, with the heap limit the CLI sets. */
export async function hydrateRun(source: string, target: string, model: 'baseline' | 'learned', config?: Record<string, unknown>): Promise<ScaleRunResult & { memory: ScaleRunMemory }> {
  const script = new URL('./scale-run.ts', import.meta.url).pathname;
  let tree: ReturnType<typeof watchTree> | null = null;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, [...heapLimitArgs(), '--import', 'tsx', script, JSON.stringify({ source, target, model, config })], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (p.pid !== undefined) tree = watchTree(p.pid);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`hydrate (${model}) exited ${code}: ${stderr.slice(-2000)}`))));
  }).finally(() => (tree as ReturnType<typeof watchTree> | null)?.stop());
  const line = out.split('\n').find((l) => l.startsWith('SCALE_RESULT '));
  if (!line) throw new Error(`hydrate (${model}) printed no result: ${out.slice(-2000)}`);
  const r = JSON.parse(line.slice('SCALE_RESULT '.length)) as ScaleRunResult;
  const polled = (tree as ReturnType<typeof watchTree> | null)?.result() ?? { workerPeakMiB: 0, processes: 0, combinedPeakMiB: 0 };
  // A poll can miss the main process's own peak; its kernel mark cannot.
  return { ...r, memory: { mainPeakMiB: r.peakRssMiB, ...polled, combinedPeakMiB: Math.max(polled.combinedPeakMiB, r.peakRssMiB) } };
}

/**
 * Polls /proc every 200 ms for a process and its descendants (Linux; elsewhere it finds nothing): each process's
 * RSS high-water mark (VmHWM, the kernel's, so the last poll before a worker exits has its peak) and the tree's
 * summed RSS (VmRSS; a sum at one instant, so a peak shorter than a poll can be missed). RSS counts the shared
 * pages of the node binary in every process: the sum is on the honest side.
 */
function watchTree(root: number) {
  const hwm = new Map<number, number>();
  let combined = 0;
  const kib = (status: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const descendants = (pid: number): number[] => {
    // Each thread lists the children it forked (tsx's loader thread starts esbuild).
    let children: number[] = [];
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) children.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return children;
    }
    return children.flatMap((c) => [c, ...descendants(c)]);
  };
  const poll = () => {
    let sum = 0;
    for (const pid of [root, ...descendants(root)]) {
      let status: string;
      try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        continue; // exited between the two reads
      }
      sum += kib(status, 'VmRSS');
      if (pid !== root) hwm.set(pid, Math.max(hwm.get(pid) ?? 0, kib(status, 'VmHWM')));
    }
    combined = Math.max(combined, sum);
  };
  const timer = setInterval(poll, 200);
  return {
    stop: () => clearInterval(timer),
    result: () => ({ workerPeakMiB: Math.round(Math.max(0, ...hwm.values()) / 1024), processes: hwm.size, combinedPeakMiB: Math.round(combined / 1024) }),
  };
}
