/**
 * The learned model on the ≥1M-row fixture (bench/pg-fixture.ts), per compute backend: training time (sample,
 * parents by key, child counts, fit) and generation rows/s (attributes, keys and count-head predictions, no
 * writes). SYNTH_BENCH_SCALE (default 0.2) scales the generated rows; SYNTH_BENCH_BACKENDS picks backends.
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { initCompute, computeBackendName } from '../src/generation/compute/index.js';
import { createGeneration } from '../src/generation/index.js';
import { introspectAndPlan, trainModels } from '../src/pipeline/index.js';
import { exec, FIXTURE_SQL, recreateDatabase } from './pg-fixture.js';

const PG = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export async function benchLearned(): Promise<Record<string, number | string>> {
  // SYNTH_BENCH_REUSE=1 keeps the fixture of an earlier run (building it takes a while).
  const url = process.env.SYNTH_BENCH_REUSE === '1' ? `${PG}/synth_bench_learned_src` : await recreateDatabase(PG, 'synth_bench_learned_src');
  if (process.env.SYNTH_BENCH_REUSE !== '1') await exec(url, FIXTURE_SQL);
  const scale = Number(process.env.SYNTH_BENCH_SCALE ?? 0.2);
  const backends = (process.env.SYNTH_BENCH_BACKENDS ?? 'wasm,cpu').split(',') as Array<'wasm' | 'cpu'>;
  const out: Record<string, number | string> = {};
  for (const backend of backends) {
    await initCompute(backend);
    const source = await openSource(url);
    try {
      const config = parseConfig({ source: { url }, targets: { t: { url } }, model: 'learned', scale });
      const { schema, plan } = await introspectAndPlan(source, config);
      let started = Date.now();
      const models = await trainModels(source, schema, plan, config, (e) => {
        if (e.type === 'stage' && e.status === 'done') process.stderr.write(`${backend}: ${e.stage} ${e.ms ?? 0} ms\n`);
      });
      const trainS = (Date.now() - started) / 1000;
      const generation = createGeneration(schema, plan, models, { scale, seed: config.seed });
      started = Date.now();
      let rows = 0;
      for (const step of plan.steps) {
        const t0 = Date.now();
        for await (const batch of generation.rows(step.table)) rows += batch.rows.length;
        process.stderr.write(`${backend}: generated ${step.table.name} in ${Date.now() - t0} ms\n`);
      }
      const genS = (Date.now() - started) / 1000;
      out[`${computeBackendName()} train`] = `${trainS.toFixed(1)} s (${config.training.sampleRows} sample rows per table)`;
      out[`${computeBackendName()} generate`] = `${Math.round(rows / genS)} rows/s (${rows} rows in ${genS.toFixed(1)} s)`;
    } finally {
      await source.close();
    }
  }
  return out;
}
