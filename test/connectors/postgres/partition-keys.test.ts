/**
 * PostgreSQL RANGE and LIST partitions on several columns or an expression, without a DEFAULT partition: generation
 * fits only a key of one column to the bounds, so a generated row could fit no partition and fail the whole COPY after
 * the shadow was made. Such a table is refused at plan time (`synth plan`, and a hydrate before it writes anything),
 * naming the table, the PARTITION BY clause and the fixes; a DEFAULT partition or HASH takes every row and passes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import { unfittedPgPartitioning } from '../../../src/connectors/postgres/postgres-partitions.js';
import { SynthError } from '../../../src/errors.js';
import type { RunEvent } from '../../../src/events.js';
import { checkTargetsCanLoad, hydrate } from '../../../src/pipeline/index.js';
import type { DatabaseSchema } from '../../../src/schema/model.js';
import { runCli } from '../../support/cli.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

const SQL = `
  -- (a, b) past (100, 0) fits no partition; a is part of the key, so generation draws distinct values of it.
  CREATE TABLE pair (id int NOT NULL, a int NOT NULL, b int NOT NULL, PRIMARY KEY (id, a, b)) PARTITION BY RANGE (a, b);
  CREATE TABLE pair_lo PARTITION OF pair FOR VALUES FROM (0, 0) TO (50, 0);
  CREATE TABLE pair_hi PARTITION OF pair FOR VALUES FROM (50, 0) TO (100, 0);
  INSERT INTO pair SELECT g, g % 100, g % 7 FROM generate_series(1, 400) g;
  CREATE TABLE sale (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (lower(region));
  CREATE TABLE sale_eu PARTITION OF sale FOR VALUES IN ('de', 'fr');
  CREATE TABLE sale_us PARTITION OF sale FOR VALUES IN ('us');
  INSERT INTO sale SELECT g, (ARRAY['DE', 'fr', 'US'])[1 + g % 3] FROM generate_series(1, 300) g;
  -- The same kinds of key with a partition for every row: nothing to refuse.
  CREATE TABLE tagged (id int NOT NULL, a int NOT NULL, b int NOT NULL) PARTITION BY RANGE (a, b);
  CREATE TABLE tagged_lo PARTITION OF tagged FOR VALUES FROM (0, 0) TO (10, 0);
  CREATE TABLE tagged_rest PARTITION OF tagged DEFAULT;
  INSERT INTO tagged SELECT g, g % 20, g % 3 FROM generate_series(1, 300) g;
  CREATE TABLE hashed (id int NOT NULL, a int NOT NULL, b int NOT NULL) PARTITION BY HASH (a, (b + 1));
  CREATE TABLE hashed_0 PARTITION OF hashed FOR VALUES WITH (MODULUS 2, REMAINDER 0);
  CREATE TABLE hashed_1 PARTITION OF hashed FOR VALUES WITH (MODULUS 2, REMAINDER 1);
  INSERT INTO hashed SELECT g, g % 20, g % 3 FROM generate_series(1, 300) g;
  CREATE TABLE whole (id int NOT NULL, a int NOT NULL, b int NOT NULL) PARTITION BY RANGE (a, b);
  CREATE TABLE whole_all PARTITION OF whole FOR VALUES FROM (MINVALUE, MINVALUE) TO (MAXVALUE, MAXVALUE);
  INSERT INTO whole SELECT g, g % 20, g % 3 FROM generate_series(1, 100) g;
  -- One column: generation keeps the values inside (generation/partition-fit.ts).
  CREATE TABLE dated (id int NOT NULL, d date NOT NULL) PARTITION BY RANGE (d);
  CREATE TABLE dated_2024 PARTITION OF dated FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  INSERT INTO dated SELECT g, DATE '2024-01-01' + g % 366 FROM generate_series(1, 300) g;
  ANALYZE;
`;

let source: TestDatabase;
let target: TestDatabase;
let schema: DatabaseSchema;
let dir: string;

beforeAll(async () => {
  source = await createPgDatabase('synth_h5ppk_src');
  target = await createPgDatabase('synth_h5ppk_dst');
  await source.exec(SQL);
  const src = await openSource(source.url);
  try {
    schema = await src.introspect();
  } finally {
    await src.close();
  }
  dir = mkdtempSync(join(tmpdir(), 'synth-pg-partition-keys-'));
}, 60_000);

afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

const table = (name: string) => schema.tables.find((t) => t.name === name)!;

describe('PostgreSQL partitions on several columns or an expression', () => {
  it('names the keys generation cannot fit, unless a DEFAULT, whole-range or HASH partition takes every row', () => {
    expect(table('pair').partitioning!.key).toBe('a, b');
    expect(table('sale').partitioning!.key).toBe('lower(region)');
    const unfitted = ['pair', 'sale', 'tagged', 'hashed', 'whole', 'dated'].filter((n) => unfittedPgPartitioning(table(n)));
    expect(unfitted).toEqual(['pair', 'sale']);
  });

  it('is refused by synth plan and by hydrate before anything is written, with the clause and the fixes', async () => {
    const settings = { source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline', outDir: join(dir, 'out') };
    const config = parseConfig(settings);
    // A MySQL target leaves PostgreSQL partitioning out, so it takes the rows.
    expect(() => checkTargetsCanLoad(schema, config, [{ name: 'my', dialect: 'mysql' }])).not.toThrow();

    const configPath = join(dir, 'synth.config.json');
    writeFileSync(configPath, JSON.stringify(settings));
    const planned = await runCli(['plan', '--config', configPath, '--json']);
    expect(planned.code).not.toBe(0);
    expect(planned.stdout + planned.stderr).toMatch(/public\.pair: generated rows may fit no partition of PARTITION BY RANGE \(a, b\), so loading it into target 'dev' would fail/);
    expect(planned.stderr).not.toMatch(/\n\s+at /);

    const events: RunEvent[] = [];
    const err = await hydrate({ config, target: 'dev', emit: (e) => events.push(e) }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('IMPOSSIBLE_CONSTRAINT');
    expect((err as SynthError).message).toMatch(/^public\.pair: .*PARTITION BY RANGE \(a, b\)/);
    expect((err as SynthError).hint).toMatch(/tables\.pair\.skip: true.*tables\.pair\.mode: 'copy'.*DEFAULT partition/);
    expect(events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => (e as { stage: string }).stage)).toEqual(['connect', 'introspect', 'plan']);
    expect(await target.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth%'`)).toEqual([]);
    expect(await target.query(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`)).toEqual([]);

    // With LIST (lower(region)) copied and the pair skipped, the rest hydrates, every row in a partition.
    const fixed = parseConfig({ ...settings, tables: { pair: { skip: true }, sale: { mode: 'copy' } } });
    const result = await hydrate({ config: fixed, target: 'dev' });
    expect(result.status).toBe('ok');
    const [counts] = await target.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM sale) AS sale, (SELECT count(*) FROM tagged) AS tagged, (SELECT count(*) FROM hashed) AS hashed, (SELECT count(*) FROM pair) AS pair`,
    );
    expect(counts).toEqual({ sale: '300', tagged: expect.any(String), hashed: expect.any(String), pair: '0' });
    expect(Number(counts!.tagged)).toBeGreaterThan(200);
    expect(Number(counts!.hashed)).toBeGreaterThan(200);
  }, 180_000);
});
