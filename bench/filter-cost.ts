/**
 * `npm run bench -- filter-cost`: what the copy filters cost on top of generation, in CPU seconds (the machine is
 * shared, so not wall time), without any load: every table of the scale bench's TPC-H-like fixture
 * (bench/scale-fixture.ts, SYNTH_FILTER_COST_ROWS rows in all, default 300 000) generated through the load stage's
 * chain (copy filters, credentials, data rules) with the baseline model, the filters off and then on, in one process.
 * Per table with the filters on: rows nudged, redrawn and left unresolved.
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { createGeneration, createRng } from '../src/generation/index.js';
import { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import { PrivacyRun } from '../src/generation/privacy/privacy-run.js';
import { introspectAndPlan, readReferenceRows, trainModels } from '../src/pipeline/index.js';
import { tableKey } from '../src/schema/model.js';
import { exec, recreateDatabase } from './pg-fixture.js';
import { scaleFixtureSql, scaleSizes } from './scale-fixture.js';

const SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const ROWS = Number(process.env.SYNTH_FILTER_COST_ROWS ?? 300_000);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function benchFilterCost(): Promise<Record<string, number | string>> {
  const url = await recreateDatabase(SERVER, 'synth_bench_filter_cost');
  for (const statement of scaleFixtureSql('postgres', scaleSizes(ROWS))) await exec(url, statement);
  const config = parseConfig({ source: { url }, targets: { dev: { url } }, model: 'baseline', seed: 42, quality: { enabled: false }, outDir: '.synth/bench-filter-cost' });
  const source = await openSource(url);
  const credentials = CredentialScrubber.forConfig(config);
  const privacy = PrivacyRun.forConfig(config)!;
  const { schema, plan, models, reference } = await (async () => {
    const { schema, plan } = await introspectAndPlan(source, config);
    const models = await trainModels(source, schema, plan, config, undefined, privacy, credentials);
    return { schema, plan, models, reference: await readReferenceRows(source, schema, models.rules) };
  })().finally(() => source.close());
  const out: Record<string, number | string> = {};
  for (const on of [false, true]) {
    const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: 1, seed: config.seed });
    let rows = 0;
    let ms = 0;
    for (const step of plan.steps) {
      const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
      const key = tableKey(table);
      const tm = models.tables.get(key);
      const started = cpuMs();
      const drawn = generation.rows(table);
      const checked = on && tm && !reference.has(key) ? privacy.filterRows(table, tm.meta, tm.model, drawn, createRng(config.seed).fork(`privacy-filter:${key}`)) : drawn;
      let n = 0;
      for await (const b of generation.conform(table, credentials.replaceIn(table, checked))) n += b.rows.length;
      const spent = cpuMs() - started;
      rows += n;
      ms += spent;
      const r = on ? privacy.filters[key] : undefined;
      if (n >= 1000) out[`${key} filters ${on ? 'on' : 'off'} CPU s`] = +(spent / 1000).toFixed(2);
      if (r && n >= 1000) out[`${key} nudged / redrawn / unresolved`] = `${r.nudged ?? 0} / ${r.regenerated - (r.nudged ?? 0) - r.unresolved} / ${r.unresolved}`;
    }
    out[`all tables filters ${on ? 'on' : 'off'}: rows per CPU s`] = Math.round(rows / (ms / 1000));
    out[`all tables filters ${on ? 'on' : 'off'}: CPU s`] = +(ms / 1000).toFixed(2);
  }
  out['filters on ÷ off CPU'] = +((out['all tables filters on: CPU s'] as number) / (out['all tables filters off: CPU s'] as number)).toFixed(2);
  return out;
}
