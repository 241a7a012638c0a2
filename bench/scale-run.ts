/**
 * One hydrate of the `scale` bench, in a process of its own so its peak RSS is its own: prints one line
 * `SCALE_RESULT {json}` with the seconds of every stage, the rows generated, the violations, the peak RSS and the heap
 * limit. Started by hydrateRun (scale.ts) with the limit the CLI's launcher would set, which also polls its workers.
 * Usage: tsx bench/scale-run.ts '{"source": url, "target": url, "model": "baseline" | "learned", "config"?: {...}}'
 * SYNTH_SCALE_BUILT=1 runs the compiled pipeline (dist/, `npm run build` first), as the installed `synth` does: under
 * tsx every process compiles the sources it loads, and the load's worker processes start under tsx too.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { RunEvent } from '../src/events.js';

type ConfigModule = typeof import('../src/config/load-config.js');
type PipelineModule = typeof import('../src/pipeline/index.js');
const built = process.env.SYNTH_SCALE_BUILT === '1';
if (built) refuseStaleBuild();
const root = built ? '../dist/src' : '../src';
const { parseConfig } = (await import(`${root}/config/load-config.js`)) as ConfigModule;
const { hydrate } = (await import(`${root}/pipeline/index.js`)) as PipelineModule;

export interface ScaleRunResult {
  status: string;
  rows: number;
  violations: number;
  totalMs: number;
  stageMs: Record<string, number>;
  peakRssMiB: number;
  /**
   * Per stage: the process's RSS high-water mark when the stage ended, and how much of it the stage added (the
   * kernel's mark, so a transient the main thread never gets to sample still counts).
   */
  stageRssMiB: Record<string, { peak: number; added: number }>;
  quality: number | null;
  /** The main process's V8 heap limit (old space and young generation), as the bench started it. */
  heapLimitMiB: number;
  /**
   * The largest heap in use when a full GC is reported (the observer runs a little after it): an upper bound of the
   * live set the limit must hold; the rest of the heap is slack.
   */
  liveHeapPeakMiB: number;
  /**
   * The largest memory outside the V8 heap (typed arrays, buffers: `process.memoryUsage().external`), sampled every
   * second: what a heap limit does not bound.
   */
  externalPeakMiB: number;
}

// After each full collection (mark-compact), what is left in use is about the live set.
let liveHeapPeak = 0;
const gcs = new PerformanceObserver((list) => {
  if (list.getEntries().some((e) => ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
    liveHeapPeak = Math.max(liveHeapPeak, getHeapStatistics().used_heap_size);
  }
});
gcs.observe({ entryTypes: ['gc'] });
let externalPeak = 0;
const sampler = setInterval(() => (externalPeak = Math.max(externalPeak, process.memoryUsage().external)), 1000);
sampler.unref();

/** A dist/ older than a source file would measure other code than the tree's. */
function refuseStaleBuild(): void {
  const src = fileURLToPath(new URL('../src', import.meta.url));
  const dist = fileURLToPath(new URL('../dist/src/pipeline/index.js', import.meta.url));
  const builtAt = existsSync(dist) ? statSync(dist).mtimeMs : 0;
  const newer = readdirSync(src, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.ts') && statSync(join(src, f)).mtimeMs > builtAt);
  if (builtAt === 0 || newer !== undefined) {
    throw new Error(`SYNTH_SCALE_BUILT=1: dist/ is ${builtAt === 0 ? 'not built' : `older than src/${newer}`}; run npm run build first.`);
  }
}

const args = JSON.parse(process.argv[2] ?? '{}') as { source: string; target: string; model: 'baseline' | 'learned'; config?: Record<string, unknown> };
const outDir = mkdtempSync(join(tmpdir(), 'synth-scale-'));
try {
  // SYNTH_SCALE_CONFIG: JSON merged into the config, to measure one setting's cost (e.g. {"filters":{"enabled":false}}).
  const extra = { ...(JSON.parse(process.env.SYNTH_SCALE_CONFIG ?? '{}') as Record<string, unknown>), ...args.config };
  const config = parseConfig({ ...extra, source: { url: args.source }, targets: { bench: { url: args.target } }, model: args.model, outDir });
  const stageMs: Record<string, number> = {};
  const started = Date.now();
  // Which stage raises the peak: the high-water mark at each stage's start and end.
  const stageRssMiB: ScaleRunResult['stageRssMiB'] = {};
  const highWater = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const startedAt = new Map<string, number>();
  const emit = (e: RunEvent) => {
    // SYNTH_SCALE_LOG=1: the run's info lines (the parallel load's windows, its workers' start-up) on stderr.
    if (e.type === 'info' && process.env.SYNTH_SCALE_LOG === '1') process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s ${e.message}\n`);
    if (e.type !== 'stage') return;
    if (e.status === 'start') startedAt.set(e.stage, highWater());
    else {
      const peak = highWater();
      const before = stageRssMiB[e.stage];
      stageRssMiB[e.stage] = { peak, added: (before?.added ?? 0) + peak - (startedAt.get(e.stage) ?? peak) };
    }
    // A stage that runs more than once (load, per level) adds up.
    if (e.status === 'done' && e.ms !== undefined) stageMs[e.stage] = (stageMs[e.stage] ?? 0) + e.ms;
  };
  const result = await hydrate({ config, target: 'bench', emit });
  const out: ScaleRunResult = {
    status: result.status,
    rows: [...result.rowCounts.values()].reduce((a, b) => a + b, 0),
    violations: result.integrity.totalViolations,
    totalMs: Date.now() - started,
    stageMs,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    stageRssMiB,
    quality: result.quality?.overall ?? null,
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
    liveHeapPeakMiB: Math.round(liveHeapPeak / 1024 / 1024),
    externalPeakMiB: Math.round(externalPeak / 1024 / 1024),
  };
  clearInterval(sampler);
  gcs.disconnect();
  process.stdout.write(`SCALE_RESULT ${JSON.stringify(out)}\n`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
