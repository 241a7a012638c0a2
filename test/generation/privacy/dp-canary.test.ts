import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { formatCanaryRun, runSourceCanary } from '../../../src/generation/privacy/dp-canary.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let schema: DatabaseSchema;
let person: Table;

// person plus eight other tables: in a hydrate of the whole source, person gets about a ninth of ε.
const FIXTURE = `
CREATE TABLE person (id serial PRIMARY KEY, city text NOT NULL, age int NOT NULL, note text);
INSERT INTO person (city, age, note)
SELECT (ARRAY['Berlin','Paris','Rome','Oslo','Lima','Kyiv'])[1 + g % 6], 18 + (g * 37) % 60, 'n' || (g % 50)
FROM generate_series(1, 1500) g;
${Array.from({ length: 8 }, (_, i) => `CREATE TABLE other${i} (id serial PRIMARY KEY, label text, qty int);
INSERT INTO other${i} (label, qty) SELECT 'l' || (g % 7), g % 13 FROM generate_series(1, 200) g;`).join('\n')}
`;

beforeAll(async () => {
  db = await createPgDatabase('synth_canary');
  await db.exec(FIXTURE);
  source = await openSource(db.url);
  schema = await source.introspect({});
  person = schema.tables.find((t) => t.name === 'person')!;
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('runSourceCanary with the whole schema', () => {
  it('reports the table-share DP run and the all-ε-on-one-table run; a 100× secret above the threshold is a released category', async () => {
    const r = await runSourceCanary({
      source,
      table: person,
      schema,
      column: 'city',
      repetitions: [1, 100],
      epsilon: 10,
      delta: 1e-6,
      sampleRows: 20_000,
      seed: 5,
      model: 'baseline',
    });
    expect(r.fullEpsilon).toBeDefined();
    const full = r.fullEpsilon!;
    // The share is a fraction of ε; all of ε on one table lowers the release threshold.
    expect(r.epsilonSpent).toBeLessThan(full.epsilonSpent);
    expect(full.epsilonSpent).toBeLessThanOrEqual(10);
    expect(r.vocabularyThreshold).not.toBeNull();
    expect(full.vocabularyThreshold!).toBeLessThan(r.vocabularyThreshold!);
    // At ε = 10 on person alone τ is far below 100 (Laplace noise scale about 1): the 100-row secret's noisy count
    // clears it, it becomes an ordinary category and is generated like one.
    expect(full.vocabularyThreshold!).toBeLessThan(50);
    expect(full.withDp.replays.find((c) => c.repetitions === 100)!.replays).toBeGreaterThan(0);
    // A secret held by one row is released with probability ≤ δ in either setting.
    expect(full.withDp.replays.find((c) => c.repetitions === 1)!.replays).toBe(0);
    expect(r.withDp.replays.find((c) => c.repetitions === 1)!.replays).toBe(0);
    const text = formatCanaryRun(r);
    expect(text).toContain('with DP (share)');
    expect(text).toContain('with DP (all ε)');
    expect(text).toMatch(/DP \(all ε\): all of ε 10 on this table alone, spent ε \d/);
  }, 180_000);
});
