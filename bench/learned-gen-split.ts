/**
 * Where the learned generation's CPU goes, table by table (conform included, no load): the composed model's
 * `sample` (the learned model's own `sample` within it) against the framework around it (keys, context, rules).
 * Usage: tsx bench/learned-gen-split.ts SOURCE_URL MODELS.json (saved by bench/learned-scale-gen.ts --models)
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { introspectAndPlan } from '../src/pipeline/introspect-plan.js';
import { prepareGeneration } from '../src/pipeline/load.js';
import { modelSetFromArtifact } from '../src/generation/index.js';
import { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import { initCompute, learnedFromArtifactForTable } from '../src/generation/learned/index.js';
import { ComposedLearnedModel } from '../src/generation/learned/framework-adapter.js';
import { LearnedModel } from '../src/generation/learned/learned-model.js';
import { tableKey } from '../src/schema/model.js';

const [url, modelsFile] = process.argv.slice(2) as [string, string];
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const spent = { composed: 0, learned: 0 };
for (const [proto, key] of [[ComposedLearnedModel.prototype, 'composed'], [LearnedModel.prototype, 'learned']] as const) {
  const inner = proto.sample;
  proto.sample = function (this: unknown, ...args: Parameters<typeof inner>) {
    const c0 = cpu();
    try {
      return (inner as (...a: unknown[]) => ReturnType<typeof inner>).apply(this, args);
    } finally {
      spent[key] += cpu() - c0;
    }
  } as typeof inner;
}
const config = parseConfig({ source: { url }, targets: { t: { url } }, model: 'learned', outDir: '/tmp', filters: { enabled: false } });
const source = await openSource(url);
const { schema, plan } = await introspectAndPlan(source, config, () => {});
await initCompute();
const models = modelSetFromArtifact(JSON.parse(readFileSync(modelsFile, 'utf8')), schema, { learnedFromArtifact: learnedFromArtifactForTable });
const { generation } = await prepareGeneration(source, schema, plan, models, config, CredentialScrubber.forConfig(config));
for (const step of plan.steps) {
  spent.composed = spent.learned = 0;
  const c0 = cpu();
  let n = 0;
  for await (const b of generation.conform(step.table, generation.rows(step.table))) n += b.rows.length;
  const all = cpu() - c0;
  if (n < 10_000) continue;
  const us = (s: number) => ((s / n) * 1e6).toFixed(2).padStart(6);
  process.stdout.write(`${tableKey(step.table).padEnd(18)} ${String(n).padStart(8)} rows  µs/row: all ${us(all)}  learned ${us(spent.learned)}  composed rest ${us(spent.composed - spent.learned)}  framework ${us(all - spent.composed)}\n`);
}
await source.close();
process.exit(0);
