/**
 * Sampling cost of saved learned models (a model-set artifact, e.g. from bench/learned-scale-gen.ts --models): per
 * learned table, rows per CPU-second of the learned model alone and of the composed model (conform included), with
 * no parent context. Usage: tsx bench/learned-sampler-cost.ts MODELS.json [--rows 200000] [--only TABLE]
 */
import { readFileSync } from 'node:fs';
import { initCompute, seededRng } from '../src/generation/learned/index.js';
import { learnedModelFromArtifact } from '../src/generation/learned/learned-model.js';

const args = process.argv.slice(2);
const opt = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
const rows = Number(opt('--rows') ?? 200_000);
const only = opt('--only');
await initCompute();
const set = JSON.parse(readFileSync(args[0]!, 'utf8')) as { tables: Array<{ model: { kind: string; table: { name: string } } }> };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
for (const t of set.tables) {
  if (t.model.kind !== 'learned' || (only && t.model.table.name !== only)) continue;
  const model = learnedModelFromArtifact(t.model as Parameters<typeof learnedModelFromArtifact>[0]);
  const rng = seededRng(1);
  model.sample(4096, null, rng);
  const c0 = cpu();
  for (let done = 0; done < rows; done += 10_000) model.sample(10_000, null, rng);
  const s = cpu() - c0;
  process.stdout.write(`${t.model.table.name.padEnd(12)} tokens ${model.layout.outputs.length} hidden ${model.hidden.join('x')}: ${Math.round(rows / s)} rows/cpu-s\n`);
  model.dispose();
}
