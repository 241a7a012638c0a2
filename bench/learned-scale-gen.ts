/**
 * The learned model's generation cost on a real source without the load: trains (or reuses saved models), then
 * generates every table in plan order through the same generation the load stage uses (conform included), and
 * prints per table rows, CPU-seconds and rows per CPU-second, plus training CPU-seconds and peak RSS.
 * Usage: tsx bench/learned-scale-gen.ts SOURCE_URL [--models FILE (reused when present, else written)] [--only TABLE]
 *   [--max-steps N] [--lr RATE] [--train-only 1] [--curve 1] [--checksum 1 (sha256 of every table's rows, to compare output before and
 *   after a sampler change; costs CPU of its own, so compare speeds without it)]
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { introspectAndPlan } from '../src/pipeline/introspect-plan.js';
import { trainModels } from '../src/pipeline/train.js';
import { prepareGeneration } from '../src/pipeline/load.js';
import { modelSetFromArtifact, modelSetToArtifact, type ModelSet } from '../src/generation/index.js';
import { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import { defaultLearnedOptions, initCompute, learnedFromArtifactForTable } from '../src/generation/learned/index.js';
import { tableKey } from '../src/schema/model.js';

const args = process.argv.slice(2);
const url = args[0]!;
const opt = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
const modelsFile = opt('--models');
const only = opt('--only');
// --max-steps N: the learned model's step cap for this run (to compare training budgets).
if (opt('--max-steps')) defaultLearnedOptions.maxSteps = Number(opt('--max-steps'));
if (opt('--lr')) defaultLearnedOptions.learningRate = Number(opt('--lr'));
// --curve 1: every epoch's held-out loss (a callback keeps the fits on this thread, one table after the other).
if (opt('--curve') === '1') defaultLearnedOptions.onEpoch = (e) => process.stdout.write(`    epoch ${e.epoch} train ${e.trainLoss.toFixed(3)} val ${e.validationLoss?.toFixed(3)}\n`);
const checksum = opt('--checksum') === '1';
if (opt('--train-only')) process.env.SYNTH_TRAIN_ONLY = '1';
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const config = parseConfig({ source: { url }, targets: { t: { url } }, model: 'learned', outDir: '/tmp', filters: { enabled: false } });
const source = await openSource(url);
const emit = () => {};
const { schema, plan } = await introspectAndPlan(source, config, emit);
await initCompute();
let models: ModelSet;
if (modelsFile && existsSync(modelsFile)) {
  models = modelSetFromArtifact(JSON.parse(readFileSync(modelsFile, 'utf8')), schema, { learnedFromArtifact: learnedFromArtifactForTable });
} else {
  const c0 = cpu();
  const w0 = Date.now();
  models = await trainModels(source, schema, plan, config, emit, null);
  process.stdout.write(`train (incl. sample) cpu ${(cpu() - c0).toFixed(1)} s wall ${((Date.now() - w0) / 1000).toFixed(1)} s\n`);
  for (const [k, m] of models.tables) {
    const t = (m.model as unknown as { learned?: { training?: { steps: number; epochs: number; seconds: number; validationLoss: number | null } } }).learned?.training;
    if (t) process.stdout.write(`  ${k}: ${t.epochs} epochs ${t.steps} steps ${t.seconds.toFixed(1)} s wall val ${t.validationLoss?.toFixed(3)}\n`);
  }
  if (modelsFile) writeFileSync(modelsFile, JSON.stringify(modelSetToArtifact(models)));
}
if (process.env.SYNTH_TRAIN_ONLY === '1') process.exit(0);
const { generation } = await prepareGeneration(source, schema, plan, models, config, CredentialScrubber.forConfig(config));
let total = 0;
let totalCpu = 0;
for (const step of plan.steps) {
  const key = tableKey(step.table);
  const c0 = cpu();
  let n = 0;
  const hash = checksum ? createHash('sha256') : null;
  for await (const b of generation.conform(step.table, generation.rows(step.table))) {
    n += b.rows.length;
    if (hash) for (const r of b.rows) hash.update(JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) + '\n');
  }
  const s = cpu() - c0;
  if (hash) process.stdout.write(`sha256 ${key} ${hash.digest('hex').slice(0, 16)}\n`);
  total += n;
  totalCpu += s;
  // Under --expose-gc: the heap that stays after each table (what the run keeps, not garbage not yet collected).
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const kept = gc ? ` heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB ext ${Math.round(process.memoryUsage().external / 2 ** 20)} MiB` : '';
  if (!only || key.endsWith(only)) process.stdout.write(`${key.padEnd(20)} ${String(n).padStart(9)} rows ${s.toFixed(2).padStart(7)} cpu-s ${Math.round(n / s).toString().padStart(8)} rows/cpu-s  rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB${kept}\n`);
}
process.stdout.write(`all ${total} rows ${totalCpu.toFixed(1)} cpu-s ${Math.round(total / totalCpu)} rows/cpu-s peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`);
await source.close();
