/**
 * The copy filters' holdout baseline per table (holdout-baseline.ts), and what the filters then did: for a source
 * database, every table generated once through the copy filters (baseline model, default config, seed 42; nothing
 * written), and per filtered table its scope, the generated rows' near / exact copies, the nudges, the near copies let
 * through, the held-out share and the CPU of measuring it.
 * Usage: npx tsx bench/holdout-shares.ts postgresql://postgres@127.0.0.1:5432/northwind
 */
import { parseConfig } from '../src/config/load-config.js';
import { createGeneration, createRng } from '../src/generation/index.js';
import { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import { PrivacyRun } from '../src/generation/privacy/privacy-run.js';
import { tableKey } from '../src/schema/model.js';
import type { FilterColumn } from '../src/validation/privacy/filters.js';
import { holdoutBaseline } from '../src/validation/privacy/holdout-baseline.js';
import { trainedSource } from './trained-source.js';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx bench/holdout-shares.ts SOURCE_URL');
const config = parseConfig({ source: { url }, targets: { dev: { url } }, model: 'baseline', seed: 42, quality: { enabled: false }, outDir: '.synth/bench-holdout-shares' });
const credentials = CredentialScrubber.forConfig(config);
const privacy = PrivacyRun.forConfig(config)!;
const { schema, plan, models, reference } = await trainedSource(config, privacy, credentials);
const samples = privacy.filterSamples();
const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: 1, seed: config.seed });
for (const step of plan.steps) {
  const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
  const key = tableKey(table);
  const tm = models.tables.get(key);
  if (!tm || reference.has(key)) continue;
  const scope = privacy.filterScope(key);
  const sample = samples.get(key);
  // The holdout alone, timed (the filters measure it with the first batch, on the columns they compare).
  let cpu = 0;
  if (sample) {
    const columns: FilterColumn[] = [];
    for (const name of tm.model.columns) {
      const role = tm.meta.find((m) => m.column === name)?.role;
      if (!sample.columns.includes(name)) continue;
      if (role === 'numerical') columns.push({ name, kind: 'numeric' });
      else if (role === 'datetime') columns.push({ name, kind: 'datetime' });
      else if (role === 'categorical' || role === 'boolean' || role === 'constant') columns.push({ name, kind: 'categorical' });
    }
    const rng = createRng(config.seed, key);
    const t0 = process.cpuUsage();
    if (columns.length > 0) holdoutBaseline(sample, { columns, matchTolerance: config.filters.tolerance }, () => rng.next());
    const u = process.cpuUsage(t0);
    cpu = (u.user + u.system) / 1e6;
  }
  for await (const _ of privacy.filterRows(table, tm.meta, tm.model, generation.rows(table), createRng(config.seed).fork(`privacy-filter:${key}`))) void _;
  const r = privacy.filters[key];
  if (!r || r.unguarded) continue;
  const h = r.holdout;
  const kind = scope?.personal?.length ? 'personal' : scope?.linkedTo ? 'linked' : 'guarded';
  const held = h ? `${h.near} near, ${h.exact} exact of ${h.heldOut} held out (allowance ${h.allowance.toFixed(3)}), ${cpu.toFixed(2)} CPU-s` : '-';
  console.log(`${key}\t${kind}\t${r.total} rows\tnear ${r.nearCopies} exact ${r.exactCopies}\tnudged ${r.nudged ?? 0}\tlet through ${r.allowedNear ?? 0}\tholdout ${held}`);
}
