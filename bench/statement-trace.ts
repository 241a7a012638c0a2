/**
 * One hydrate with every MySQL / MariaDB statement over 20 ms timed, by stage (the main process's connections: the
 * gate, the report, finalize; the load workers' own statements are not seen), and the server's CPU per stage (all
 * of mariadbd: other sessions' queries count too). Behind docs/scale.md's per-statement figures.
 * Usage: tsx bench/statement-trace.ts '{"source": url, "target": url, "model"?: "baseline" | "learned", "config"?: {...}}'
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { parseConfig } from '../src/config/load-config.js';
import type { RunEvent } from '../src/events.js';
import { hydrate } from '../src/pipeline/index.js';

let stage = 'init';
const trace: Array<{ stage: string; ms: number; sql: string }> = [];
const proto = (mysql as unknown as { PromiseConnection: { prototype: { query: (...args: unknown[]) => Promise<unknown> } } }).PromiseConnection.prototype;
const query = proto.query;
proto.query = async function (this: unknown, ...args: unknown[]) {
  const t0 = performance.now();
  try {
    return await query.apply(this, args);
  } finally {
    const ms = performance.now() - t0;
    const a = args[0] as string | { sql: string };
    if (ms > 20) trace.push({ stage, ms, sql: (typeof a === 'string' ? a : a.sql).replace(/\s+/g, ' ').slice(0, 170) });
  }
};
const args = JSON.parse(process.argv[2] ?? '{}') as { source: string; target: string; model?: 'baseline' | 'learned'; config?: Record<string, unknown> };
// The target's own server (its pid file), not the first mariadbd running: another instance may share the machine.
const pid = await (async () => {
  try {
    const conn = await mysql.createConnection(args.target);
    const [rows] = await conn.query('SELECT @@pid_file AS f');
    await conn.end();
    return readFileSync((rows as Array<{ f: string }>)[0]!.f, 'utf8').trim();
  } catch {
    return execSync('pgrep -o mariadbd || pgrep -o mysqld || true').toString().trim();
  }
})();
// utime + stime of the server, in clock ticks (100 a second on Linux).
const serverCpu = () => {
  if (!pid) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const outDir = mkdtempSync(join(tmpdir(), 'synth-trace-'));
const stageMs: Record<string, number> = {};
const stageServer: Record<string, number> = {};
let server0 = serverCpu();
const started = Date.now();
try {
  const config = parseConfig({ ...args.config, source: { url: args.source }, targets: { bench: { url: args.target } }, model: args.model ?? 'baseline', outDir });
  const emit = (e: RunEvent) => {
    if (e.type !== 'stage') return;
    if (e.status === 'start') {
      stage = e.stage;
      server0 = serverCpu();
    } else if (e.ms !== undefined) {
      stageMs[e.stage] = (stageMs[e.stage] ?? 0) + e.ms;
      stageServer[e.stage] = (stageServer[e.stage] ?? 0) + serverCpu() - server0;
    }
  };
  const result = await hydrate({ config, target: 'bench', emit });
  const total = Date.now() - started;
  const cpu = process.cpuUsage();
  console.log('status', result.status, 'violations', result.integrity.totalViolations, 'quality', result.quality?.overall);
  console.log('total s', (total / 1000).toFixed(1), 'main cpu s', ((cpu.user + cpu.system) / 1e6).toFixed(1));
  for (const [s, ms] of Object.entries(stageMs)) console.log(`stage ${s} ${(ms / 1000).toFixed(2)} s  (server cpu ${stageServer[s]!.toFixed(1)} s)`);
  console.log('validate+quality %', ((100 * ((stageMs.validate ?? 0) + (stageMs.quality ?? 0))) / total).toFixed(1));
  for (const t of trace.filter((t) => ['keys', 'validate', 'quality', 'finalize'].includes(t.stage) || t.ms > 1000)) console.log(`${t.stage}\t${(t.ms / 1000).toFixed(2)}\t${t.sql}`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
