/**
 * A distributed run's units: the plan cut into shards by level, the run bundle surviving the trip through the queue,
 * and the shards of every table concatenating to exactly the rows a single-process generation produces.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { readReferenceRows } from '../../src/pipeline/index.js';
import { decodeRunBundle, encodeRunBundle, makeRunBundle, bundleModels, RUN_BUNDLE_VERSION } from '../../src/distributed/run-bundle.js';
import { planShards } from '../../src/distributed/shard-plan.js';
import { anchorFeeds, shardRows, stateFeeds, WindowSource } from '../../src/distributed/shard-rows.js';
import { emptyFilterReport } from '../../src/validation/privacy/privacy-report.js';
import { RetainedColumns } from '../../src/generation/retained-columns.js';
import { readState, writeState } from '../../src/pipeline/load-windows.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../src/generation/index.js';
import { PrivacyRun } from '../../src/generation/privacy/privacy-run.js';
import type { FilterReport } from '../../src/validation/privacy/privacy-report.js';
import { createGeneration } from '../../src/generation/generate.js';
import { CredentialScrubber } from '../../src/generation/privacy/credential-fakes.js';
import { introspectAndPlan, trainModels } from '../../src/pipeline/index.js';
import { tableKey } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { pgHydrationFixture } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';

const env = pgHydrationFixture('synth_shard', SHOP_PG);

async function trained(model: 'baseline' | 'learned' = 'baseline', filters = false) {
  const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model, seed: 11, ...(model === 'learned' ? { training: { epochs: 3 } } : {}), filters: { enabled: filters }, quality: { enabled: false }, outDir: env.outDir });
  const source = await openSource(env.source.url);
  try {
    const { schema, plan } = await introspectAndPlan(source, config);
    const credentials = new CredentialScrubber(config.seed);
    const privacy = filters ? PrivacyRun.forConfig(config) : null;
    const models = await trainModels(source, schema, plan, config, undefined, privacy, credentials);
    const reference = await readReferenceRows(source, schema, models.rules);
    return { config, schema, plan, models, reference, credentials, privacy };
  } finally {
    await source.close();
  }
}

describe('distributed shards', () => {
  it('planShards cuts each table into key ranges of at most shardRows rows, grouped by plan level', async () => {
    const { schema, plan, models, config } = await trained();
    const counts = createGeneration(schema, plan, models, { scale: config.scale, seed: config.seed }).rowCounts;
    const levels = planShards(plan, counts, 700);
    for (const step of plan.steps) {
      const units = levels.flat().filter((u) => u.table === tableKey(step.table));
      const n = counts.get(tableKey(step.table)) ?? 0;
      expect(units.length).toBe(Math.max(1, Math.ceil(n / 700)));
      expect(units.every((u) => u.end - u.start <= 700 && u.level === step.level)).toBe(true);
      expect(units.reduce((a, u) => a + (u.end - u.start), 0)).toBe(n);
    }
    // A level's units all belong to tables of that level, and levels come in plan order.
    expect(levels.map((l) => l[0]!.level)).toEqual([...new Set(plan.steps.map((s) => s.level))].sort((a, b) => a - b));
    expect(() => planShards(plan, counts, 0)).toThrow(RangeError);
  }, 120_000);

  it.each(['baseline', 'learned'] as const)('%s: every table’s shards, generated from the bundle after a round trip, equal the single-process rows', async (model) => {
    const { config, schema, plan, models, reference, credentials } = await trained(model);
    // Batches of 300 under shards of 700: a shard draws only the batches it overlaps, and starts and ends mid-batch.
    const single = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: config.scale, seed: config.seed, batchSize: 300 });
    const expected = new Map<string, Row[]>();
    for (const step of plan.steps) {
      const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
      const rows: Row[] = [];
      for await (const b of single.conform(table, credentials.replaceIn(table, single.rows(table)))) rows.push(...b.rows);
      expected.set(tableKey(table), rows);
    }
    const shadow = { runId: 'r1', namespaces: [{ live: 'public', shadow: 'synth_shadow_r1' }] };
    const bundle = decodeRunBundle(encodeRunBundle(makeRunBundle({ runId: 'r1', target: 'dev', shadow, seed: config.seed, scale: config.scale, tableScale: () => 1, schema, plan, models, reference, credentials })));
    const shipped = await bundleModels(bundle);
    const units = planShards(plan, single.rowCounts, 700).flat();
    expect(units.length).toBeGreaterThan(plan.steps.length);
    const got = new Map<string, Row[]>();
    // Shards in reverse order: none depends on another having run first.
    for (const unit of [...units].reverse()) {
      const rows: Row[] = [];
      for await (const b of shardRows(bundle, shipped, unit, 300)) rows.push(...b.rows);
      expect(rows.length).toBe(unit.end - unit.start);
      got.set(unit.id, rows);
    }
    for (const [key, rows] of expected) {
      const joined = units.filter((u) => u.table === key).sort((a, b) => a.shard - b.shard).flatMap((u) => got.get(u.id)!);
      expect(joined, key).toEqual(rows);
    }
    // The copied reference rows arrive as they left (v8 structured clone keeps dates, bigints and bytes).
    expect(new Map(bundle.reference)).toEqual(reference);
    if (model === 'learned') await expectGivenStateDrawsAlike({ config, schema, plan, models, reference, credentials }, bundle, shipped);
  }, 600_000);

  it('with the copy filters on, the shards equal the single-process filtered rows, and their counts add up to its counts', async () => {
    const { config, schema, plan, models, reference, credentials, privacy } = await trained('baseline', true);
    expect(privacy?.filtering).toBe(true);
    // The single-process chain of the load stage: copy filters per batch, credentials, data rules.
    const single = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: config.scale, seed: config.seed, batchSize: 300 });
    const expected = new Map<string, Row[]>();
    for (const step of plan.steps) {
      const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
      const key = tableKey(table);
      const tm = models.tables.get(key)!;
      const filtered = reference.has(key) ? single.rows(table) : privacy!.filterRows(table, tm.meta, tm.model, single.rows(table), createRng(config.seed).fork(`privacy-filter:${key}`));
      const rows: Row[] = [];
      for await (const b of single.conform(table, credentials.replaceIn(table, filtered))) rows.push(...b.rows);
      expected.set(key, rows);
    }
    // The filters had something to do on this fixture, or the comparison would prove nothing.
    expect(Object.values(privacy!.filters).reduce((a, r) => a + r.regenerated, 0)).toBeGreaterThan(0);
    const shadow = { runId: 'r3', namespaces: [{ live: 'public', shadow: 'synth_shadow_r3' }] };
    const bundle = decodeRunBundle(encodeRunBundle(makeRunBundle({ runId: 'r3', target: 'dev', shadow, seed: config.seed, scale: config.scale, tableScale: () => 1, schema, plan, models, reference, credentials, filters: { config: config.filters, samples: privacy!.filterSamples() } })));
    expect(bundle.filters?.samples.length).toBeGreaterThan(0);
    const shipped = await bundleModels(bundle);
    const units = planShards(plan, single.rowCounts, 700).flat();
    const got = new Map<string, Row[]>();
    const counts = new Map<string, FilterReport>();
    for (const unit of [...units].reverse()) {
      const rows: Row[] = [];
      const c = emptyFilterReport();
      for await (const b of shardRows(bundle, shipped, unit, 300, { config, counts: c })) rows.push(...b.rows);
      expect(rows.length).toBe(unit.end - unit.start);
      got.set(unit.id, rows);
      const sum = counts.get(unit.table) ?? emptyFilterReport();
      for (const k of ['total', 'kept', 'regenerated', 'unresolved', 'exactCopies', 'nearCopies', 'outliers'] as const) sum[k] += c[k];
      // The columns' variety is the table's: every shard reports the same.
      if (c.variety) sum.variety = c.variety;
      // So is whether the filters guard the table (filter-scope.ts: a small employee table with no personal column).
      if (c.unguarded) sum.unguarded = true;
      // Near copies let through by the holdout baseline (holdout-baseline.ts): a batch's share is fixed by its place in
      // the table, so the shards' add up to the single process's; the baseline itself is the table's.
      if (c.allowedNear) sum.allowedNear = (sum.allowedNear ?? 0) + c.allowedNear;
      if (c.holdout) sum.holdout = c.holdout;
      counts.set(unit.table, sum);
    }
    for (const [key, rows] of expected) {
      const joined = units.filter((u) => u.table === key).sort((a, b) => a.shard - b.shard).flatMap((u) => got.get(u.id)!);
      expect(joined, key).toEqual(rows);
      const want = privacy!.filters[key];
      if (want) expect({ ...counts.get(key)!, nudged: undefined }, key).toEqual({ ...want, nudged: undefined });
    }
    // Without a config to run them with, a filtered run's shard is refused rather than drawn unfiltered.
    const first = units.find((u) => !reference.has(u.table))!;
    await expect((async () => {
      for await (const _ of shardRows(bundle, shipped, first, 300)) void _;
    })()).rejects.toThrow(/filters copies/);
  }, 600_000);

  it('structured values survive the bundle encoding', () => {
    const shadow = { runId: 'r2', namespaces: [] };
    const when = new Date('2024-02-29T12:34:56.789Z');
    const bundle = { version: RUN_BUNDLE_VERSION, filters: null, runId: 'r2', target: 'dev', shadow, seed: 1, scale: 1, tableScales: {}, schema: { tables: [] }, plan: { steps: [] }, models: { tables: [] }, reference: [['public.t', { columns: ['a', 'b', 'c'], rows: [[when, 12345678901234567890n, Buffer.from([1, 2, 3])]] }]], credentials: {} };
    const back = decodeRunBundle(encodeRunBundle(bundle as unknown as Parameters<typeof encodeRunBundle>[0]));
    const row = back.reference[0]![1].rows[0]!;
    expect(row[0]).toEqual(when);
    expect(row[1]).toBe(12345678901234567890n);
    expect(Buffer.from(row[2] as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('a bundle from another version is refused with a hint', () => {
    expect(() => decodeRunBundle(Buffer.from('not a bundle').toString('base64'))).toThrow(/another synth version/);
  });
});

/**
 * A parallel load's worker is given the generation state of the tables a table reads (`stateFeeds`) as the main
 * process left it, through a file, instead of replaying them: every such table's rows equal the single process's.
 */
async function expectGivenStateDrawsAlike(
  t: Pick<Awaited<ReturnType<typeof trained>>, 'config' | 'schema' | 'plan' | 'models' | 'reference' | 'credentials'>,
  bundle: ReturnType<typeof decodeRunBundle>,
  shipped: Awaited<ReturnType<typeof bundleModels>>,
): Promise<void> {
  const { config, schema, plan, models, reference, credentials } = t;
  const whole = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: config.scale, seed: config.seed });
  const final = new Map<string, { columns: string[]; rows: Row[] }>();
  const dir = mkdtempSync(join(tmpdir(), 'synth-state-'));
  let fed = 0;
  try {
    for (const step of plan.steps) {
      const key = tableKey(step.table);
      const table = schema.tables.find((x) => tableKey(x) === key)!;
      const rows: Row[] = [];
      let columns: string[] = [];
      for await (const b of whole.conform(table, credentials.replaceIn(table, whole.rows(table)))) {
        columns = b.columns;
        rows.push(...b.rows);
      }
      final.set(key, { columns, rows });
      const parents = stateFeeds(bundle, shipped, key);
      if (parents.length === 0) continue;
      for (const p of parents) writeState(dir, p, whole.state(p));
      const anchors = new Map([...anchorFeeds(bundle, shipped, key)].map(([p, kept]) => {
        const values = new RetainedColumns(kept);
        const parent = final.get(p)!;
        for (const r of parent.rows) values.push(r, kept.map((c) => parent.columns.indexOf(c)));
        return [p, values.seal()] as const;
      }));
      const source = new WindowSource(bundle, shipped, config, anchors, null, new Map(parents.map((p) => [p, readState(dir, p)!] as const)));
      const windows = [{ start: 0, end: rows.length }];
      const drawn: Row[] = [];
      for await (const b of source.rows(key, () => windows.shift() ?? null)) drawn.push(...b.rows);
      expect(drawn, key).toEqual(rows);
      fed++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(fed).toBeGreaterThan(0);
}
