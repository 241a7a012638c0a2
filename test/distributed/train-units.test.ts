/**
 * Training as work units, against the real queue (BullMQ on the local Redis) and a real PostgreSQL source: two
 * in-process workers fit one table each per unit, and the models they return generate exactly the rows of the models
 * `fitModels` fits in one process with the same seed.
 */
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { trainOnWorkers, type TrainingInput } from '../../src/distributed/train-units.js';
import { QUEUE_NAME, queueConnection } from '../../src/distributed/unit-queue.js';
import { startUnitWorker } from '../../src/distributed/unit-worker.js';
import { silentSink, type RunEvent } from '../../src/events.js';
import { createGeneration, fitModels, modelSetToArtifact, type ModelSet } from '../../src/generation/index.js';
import { CredentialScrubber } from '../../src/generation/privacy/credential-fakes.js';
import { introspectAndPlan } from '../../src/pipeline/index.js';
import { sampleSource } from '../../src/pipeline/sample.js';
import { readLearnedContext } from '../../src/pipeline/train-context.js';
import { tableKey } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { pgHydrationFixture, uniqueName } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';

const env = pgHydrationFixture('synth_trainunits', SHOP_PG);
const REDIS = process.env.SYNTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = uniqueName('synthtrain');

afterAll(async () => {
  const config = parseConfig({ source: { url: 'postgresql://u@h/db' }, targets: { dev: { url: 'postgresql://u@h/dev' } }, distributed: { queue: REDIS, prefix } });
  const queue = new Queue(QUEUE_NAME, { connection: queueConnection(config.distributed!), prefix });
  await queue.obliterate({ force: true }).finally(() => queue.close());
});

async function rowsOf(models: ModelSet, input: TrainingInput): Promise<Map<string, Row[]>> {
  const generation = createGeneration(input.schema, input.plan, models, { conformAfter: true, seed: input.seed, scale: 1 });
  const out = new Map<string, Row[]>();
  for (const step of input.plan.steps) {
    const table = input.schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
    const rows: Row[] = [];
    for await (const b of generation.conform(table, generation.rows(table))) rows.push(...b.rows);
    out.set(tableKey(table), rows);
  }
  return out;
}

describe('training units on workers', () => {
  it.each(['baseline', 'learned'] as const)('%s: the models fitted one table per unit generate the rows of single-process training', async (model) => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      model,
      seed: 17,
      ...(model === 'learned' ? { training: { epochs: 2 } } : {}),
      filters: { enabled: false },
      quality: { enabled: false },
      outDir: env.outDir,
      distributed: { queue: REDIS, prefix, lockSeconds: 5 },
    });
    const source = await openSource(env.source.url);
    let input: TrainingInput;
    try {
      const { schema, plan } = await introspectAndPlan(source, config);
      const credentials = new CredentialScrubber(config.seed);
      const { samples, histograms } = await sampleSource(source, schema, plan, config, silentSink, null, credentials);
      const modelFor = () => model;
      input = { schema, plan, samples, histograms, seed: config.seed, modelFor, ...(model === 'learned' ? { learned: { epochs: 2 } } : {}) };
      if (model === 'learned') {
        const context = await readLearnedContext(source, schema, plan, samples, () => true);
        Object.assign(input, { parentRows: context.parentRows, childCounts: context.childCounts, otherParents: context.otherParents });
      }
    } finally {
      await source.close();
    }
    // Single process: fitModels with the same inputs (and the learned factory the coordinator would build).
    const options: Parameters<typeof fitModels>[4] = { seed: input.seed, modelFor: input.modelFor };
    if (model === 'learned') {
      const learned = await import('../../src/generation/learned/index.js');
      await learned.initCompute();
      options.learned = learned.learnedFactoryForFitModels({ seed: input.seed, schema: input.schema, epochs: 2 });
      Object.assign(options, { parentRows: input.parentRows, childCounts: input.childCounts, otherParents: input.otherParents });
    }
    const single = await fitModels(input.schema, input.plan, input.samples, input.histograms, options);

    const workers = await Promise.all([startUnitWorker({ config, emit: silentSink }), startUnitWorker({ config, emit: silentSink })]);
    const events: RunEvent[] = [];
    let models: ModelSet;
    try {
      models = await trainOnWorkers(config, uniqueName('run'), input, (e) => events.push(e));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    expect(events.some((e) => e.type === 'info' && /training units/.test(e.message))).toBe(true);
    // One finished training step per table, in the run's events.
    expect(events.filter((e) => e.type === 'table' && e.stage === 'train' && e.done).length).toBe(input.plan.steps.length);
    expect(modelSetToArtifact(models).tables.map((t) => tableKey(t.table))).toEqual(input.plan.steps.map((s) => tableKey(s.table)));
    if (model === 'learned') expect(modelSetToArtifact(models).tables.some((t) => t.model.kind === 'learned')).toBe(true);
    const want = await rowsOf(single, input);
    const got = await rowsOf(models, input);
    for (const [key, rows] of want) expect(got.get(key), key).toEqual(rows);
  }, 600_000);
});
