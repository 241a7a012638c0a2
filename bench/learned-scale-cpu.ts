/**
 * One learned hydrate with the CPU-seconds of every stage (generation.workers 0, so the load runs in this process
 * and its CPU is counted): a figure the shared machine's load does not move the way it moves wall seconds.
 * Prints `CPU_RESULT {json}`. Usage: tsx bench/learned-scale-cpu.ts SOURCE_URL TARGET_URL (the target is written).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load-config.js';
import type { RunEvent } from '../src/events.js';
import { hydrate } from '../src/pipeline/index.js';

const [source, target] = process.argv.slice(2) as [string, string];
const outDir = mkdtempSync(join(tmpdir(), 'synth-cpu-'));
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
try {
  const config = parseConfig({ source: { url: source }, targets: { bench: { url: target } }, model: 'learned', outDir, generation: { workers: 0 } });
  const cpuAt = new Map<string, number>();
  const stageCpu: Record<string, number> = {};
  const stageMs: Record<string, number> = {};
  const emit = (e: RunEvent) => {
    if (e.type !== 'stage') return;
    if (e.status === 'start') cpuAt.set(e.stage, cpu());
    else {
      stageCpu[e.stage] = +((stageCpu[e.stage] ?? 0) + cpu() - (cpuAt.get(e.stage) ?? cpu())).toFixed(1);
      stageMs[e.stage] = (stageMs[e.stage] ?? 0) + (e.ms ?? 0);
    }
  };
  const result = await hydrate({ config, target: 'bench', emit });
  const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`CPU_RESULT ${JSON.stringify({ status: result.status, rows, violations: result.integrity.totalViolations, quality: result.quality?.overall, cpuTotal: +cpu().toFixed(1), stageCpu, stageMs, loadRowsPerCpuS: Math.round(rows / (stageCpu.load ?? 1)), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
