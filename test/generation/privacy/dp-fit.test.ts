import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { allocateBudget, fitTableDp } from '../../../src/generation/privacy/dp-fit.js';
import { runSourceCanary } from '../../../src/generation/privacy/dp-canary.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { createRng } from '../../../src/generation/rng.js';
import type { TableSample } from '../../../src/generation/model.js';
import type { Table } from '../../../src/schema/model.js';
import { readSample } from '../../../src/pipeline/sample.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let people: Table;

// 1500 rows: a city column with 6 common values plus one planted rare value and 30 values seen twice each.
const FIXTURE = `
CREATE TABLE person (
  id serial PRIMARY KEY,
  city text NOT NULL,
  age int NOT NULL,
  score double precision,
  note text
);
INSERT INTO person (city, age, score, note)
SELECT (ARRAY['Berlin','Paris','Rome','Oslo','Lima','Kyiv'])[1 + g % 6], 18 + (g * 37) % 60, (g % 100) / 10.0, 'n' || (g % 50)
FROM generate_series(1, 1440) g;
INSERT INTO person (city, age, score, note) SELECT 'Twice-' || (g % 30), 40, 1.0, 'x' FROM generate_series(1, 60) g;
INSERT INTO person (city, age, score, note) VALUES ('Planted-Rare-Town', 99, 9.9, 'secret note');
`;

/** Every row of `t`, as the sample stage reads a table smaller than its limit. */
const sampleOf = (t: Table): Promise<TableSample> => readSample(source, t, Infinity, 0);

beforeAll(async () => {
  db = await createPgDatabase('synth_dpfit');
  await db.exec(FIXTURE);
  source = await openSource(db.url);
  const schema = await source.introspect({});
  people = schema.tables.find((t) => t.name === 'person')!;
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

const options = (epsilon: number) => ({ seed: 7, privacy: { epsilon, delta: 1e-6, unit: 'row' as const }, sampleRows: 20_000, learned: { epochs: 3, hiddenSize: 32 } });

describe('fitTableDp', () => {
  it('learned encoders and the baseline hold only DP-released categories: no planted rare value, no "other" values', async () => {
    const sample = await sampleOf(people);
    const { allocations } = allocateBudget([{ table: people, kind: 'learned', histograms: 0, rows: sample.rows.length }], options(5).privacy, options(5));
    const r = await fitTableDp(people, sample, [], 'learned', allocations.get('public.person')!, SecureRandom.seededForTests('dp-fit-learned'), options(5));
    expect(r.spend.model).toBe('learned');
    expect(r.spend.dpSgd!.steps).toBeGreaterThan(0);
    expect(r.spend.dpSgd!.steps).toBeLessThanOrEqual(r.spend.dpSgd!.plannedSteps);
    expect(r.spend.epsilon).toBeLessThanOrEqual(5);
    const artifact = JSON.stringify(r.model.model.toJSON(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(artifact).not.toContain('Planted-Rare-Town');
    expect(artifact).not.toContain('Twice-');
    expect(artifact).not.toContain('secret note');
    // Common values do make it through the threshold at this ε.
    expect(artifact).toContain('Berlin');
    const encoders = (r.model.model.toJSON() as unknown as { encoders: Array<{ column: string; other?: unknown }> }).encoders;
    const city = encoders.find((e) => e.column === 'city');
    expect(city).toBeDefined();
    expect(city!.other ?? null).toBeNull();
    const rows = r.model.model.sample(3000, null, createRng(11));
    const ci = r.model.model.columns.indexOf('city');
    expect(rows.some((row) => row[ci] === 'Planted-Rare-Town')).toBe(false);
  }, 120_000);

  it('the baseline under DP never stores the raw sample extremes or rare values', async () => {
    const sample = await sampleOf(people);
    const { allocations, planned } = allocateBudget([{ table: people, kind: 'baseline', histograms: 0, rows: sample.rows.length }], options(2).privacy, options(2));
    expect(planned.epsilon).toBeLessThanOrEqual(2);
    expect(planned.epsilon).toBeGreaterThan(1.9);
    const r = await fitTableDp(people, sample, [], 'baseline', allocations.get('public.person')!, SecureRandom.seededForTests('dp-fit-baseline'), options(2));
    const artifact = JSON.stringify(r.model.model.toJSON());
    expect(artifact).not.toContain('Planted-Rare-Town');
    expect(artifact).not.toContain('secret note');
    expect(r.spend.epsilon).toBeLessThanOrEqual(2);
    expect(r.model.sourceRows).toBeGreaterThan(1000);
  });
});

describe('canary experiment on the source (synth privacy canary)', () => {
  it('without DP the learned model replays repeated secrets; with DP (ε = 0.5) none is replayed', async () => {
    const r = await runSourceCanary({
      source,
      table: people,
      column: 'city',
      repetitions: [1, 10, 100],
      // At ε = 0.5 the vocabulary threshold sits near 250 rows: a 100-row secret clears it with probability ~1e-4.
      epsilon: 0.5,
      delta: 1e-6,
      sampleRows: 20_000,
      seed: 3,
      model: 'learned',
      learned: { epochs: 3, hiddenSize: 32 },
    });
    expect(r.withDp.replayedCanaries).toBe(0);
    expect(r.withDp.replays.every((c) => c.replays === 0 && c.replaysAnywhere === 0)).toBe(true);
    expect(r.withoutDp.replays.find((c) => c.repetitions === 100)!.replays).toBeGreaterThan(0);
    expect(r.epsilonSpent).toBeLessThanOrEqual(0.5);
  }, 180_000);
});
