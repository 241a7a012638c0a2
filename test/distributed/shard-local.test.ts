/**
 * A shard of a table with the copy filters on and a credential column is drawn from its own range: it equals the
 * same rows of the single-process stream (filtered, nudged, redrawn, fresh credentials) while its model draws only
 * the batches it overlaps (plus the filters' fixed-size probe and redraws), never the rows before it.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { bundleModels, decodeRunBundle, encodeRunBundle, makeRunBundle } from '../../src/distributed/run-bundle.js';
import { planShards } from '../../src/distributed/shard-plan.js';
import { shardRows } from '../../src/distributed/shard-rows.js';
import { emptyFilterReport } from '../../src/validation/privacy/privacy-report.js';
import { createGeneration, createRng } from '../../src/generation/index.js';
import { CredentialScrubber } from '../../src/generation/privacy/credential-fakes.js';
import { PrivacyRun } from '../../src/generation/privacy/privacy-run.js';
import { introspectAndPlan, readReferenceRows, trainModels } from '../../src/pipeline/index.js';
import { tableKey } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { pgHydrationFixture } from '../support/databases.js';

const ROWS = 12_000;
// Categories only (kind and tier follow the code: 40 of the 240 combinations occur), so a copy cannot be nudged and
// is drawn again.
const FIXTURE = `
  CREATE TABLE account (id serial PRIMARY KEY, code text NOT NULL, kind text NOT NULL, tier text NOT NULL, api_token text NOT NULL);
  INSERT INTO account (code, kind, tier, api_token)
    SELECT 'c' || (g * 7) % 40, (ARRAY['basic','pro'])[1 + ((g * 7) % 40) % 2], (ARRAY['x','y','z'])[1 + ((g * 7) % 40) % 3], md5(g::text)
    FROM generate_series(1, ${ROWS}) g;`;

const env = pgHydrationFixture('synth_shardloc', FIXTURE);

describe('shard-local copy filters and credentials', () => {
  it('a late shard equals its range of the single-process stream and draws none of the rows before it', async () => {
    // `scope: 'all'`: the accounts name no person and allow 240 rows, so by default the filters would leave them alone.
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model: 'baseline', seed: 3, filters: { scope: 'all' }, quality: { enabled: false }, outDir: env.outDir });
    const source = await openSource(env.source.url);
    const credentials = CredentialScrubber.forConfig(config);
    const privacy = PrivacyRun.forConfig(config)!;
    const { schema, plan } = await introspectAndPlan(source, config);
    const { models, reference } = await (async () => {
      const models = await trainModels(source, schema, plan, config, undefined, privacy, credentials);
      return { models, reference: await readReferenceRows(source, schema, models.rules) };
    })().finally(() => source.close());
    const table = schema.tables.find((t) => t.name === 'account')!;
    const key = tableKey(table);
    expect(credentials.plansFor(table).map((p) => p.column)).toEqual(['api_token']);

    // The single-process chain of the load stage, batches of 300.
    const single = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: config.scale, seed: config.seed, batchSize: 300 });
    const tm = models.tables.get(key)!;
    const expected: Row[] = [];
    const filtered = privacy.filterRows(table, tm.meta, tm.model, single.rows(table), createRng(config.seed).fork(`privacy-filter:${key}`));
    for await (const b of single.conform(table, credentials.replaceIn(table, filtered))) expected.push(...b.rows);
    expect(expected.length).toBe(ROWS);
    // The filters had work to do: copies drawn again (nothing to nudge), nearly all of them resolved.
    const report = privacy.filters[key]!;
    expect(report.regenerated - (report.nudged ?? 0)).toBeGreaterThan(500);
    expect(report.unresolved).toBeLessThan(report.regenerated / 10);

    const shadow = { runId: 'r9', namespaces: [{ live: 'public', shadow: 'synth_shadow_r9' }] };
    const bundle = decodeRunBundle(encodeRunBundle(makeRunBundle({ runId: 'r9', target: 'dev', shadow, seed: config.seed, scale: config.scale, tableScale: () => 1, schema, plan, models, reference, credentials, filters: { config: config.filters, samples: privacy.filterSamples() } })));
    const shipped = await bundleModels(bundle);
    const model = shipped.tables.get(key)!.model;
    let drawn = 0;
    const sample = model.sample.bind(model);
    model.sample = (n, context, rng) => {
      drawn += n;
      return sample(n, context, rng);
    };
    const units = planShards(plan, single.rowCounts, 400).flat().filter((u) => u.table === key);
    for (const unit of [units[units.length - 1]!, units[Math.floor(units.length / 2)]!]) {
      drawn = 0;
      const rows: Row[] = [];
      const counts = emptyFilterReport();
      for await (const b of shardRows(bundle, shipped, unit, 300, { config, counts })) rows.push(...b.rows);
      expect(rows).toEqual(expected.slice(unit.start, unit.end));
      // Two overlapping batches, each with at most three redraw rounds, and the probe with its one redraw.
      expect(drawn).toBeLessThanOrEqual(2 * 300 * 4 + 2 * 1000);
      expect(drawn).toBeLessThan(unit.start);
      expect(counts.total).toBeGreaterThan(0);
    }
  }, 300_000);
});
