import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresSource, openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { Shadow, TargetConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { SynthError } from '../../../src/errors.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

// Three child tables (one with a composite key and two FKs) so several tables validate at once; one FK NOT VALID in
// the source, one on a partitioned table (PostgreSQL refuses NOT VALID there before 18).
const SQL = `
  CREATE TABLE region (id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE nation (id int PRIMARY KEY, region_id int NOT NULL REFERENCES region(id), name text NOT NULL);
  CREATE TABLE part (id int PRIMARY KEY, name text);
  CREATE TABLE partsupp (part_id int NOT NULL REFERENCES part(id), nation_id int NOT NULL REFERENCES nation(id), qty int,
    PRIMARY KEY (part_id, nation_id));
  CREATE TABLE line (id int PRIMARY KEY, part_id int, nation_id int, loose int,
    CONSTRAINT line_partsupp_fk FOREIGN KEY (part_id, nation_id) REFERENCES partsupp(part_id, nation_id));
  ALTER TABLE line ADD CONSTRAINT line_loose_fk FOREIGN KEY (loose) REFERENCES part(id) NOT VALID;
  CREATE TABLE events (id int NOT NULL, at date NOT NULL, part_id int REFERENCES part(id), PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
`;

let src: TestDatabase;
let dst: TestDatabase;
let target: TargetConnector;
let schema: DatabaseSchema;

const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
async function* one(columns: string[], rows: Row[]): AsyncIterable<RowBatch> {
  yield { columns, rows };
}

async function load(shadow: Shadow, lineRows: Row[]): Promise<void> {
  await target.load(shadow, table('region'), one(['id', 'name'], [[1, 'EU'], [2, 'AS']]));
  await target.load(shadow, table('nation'), one(['id', 'region_id', 'name'], [[1, 1, 'FR'], [2, 2, 'JP'], [3, 1, 'DE']]));
  await target.load(shadow, table('part'), one(['id', 'name'], Array.from({ length: 50 }, (_, i) => [i + 1, `p${i + 1}`])));
  await target.load(shadow, table('partsupp'), one(['part_id', 'nation_id', 'qty'], Array.from({ length: 150 }, (_, i) => [(i % 50) + 1, Math.floor(i / 50) + 1, i])));
  await target.load(shadow, table('line'), one(['id', 'part_id', 'nation_id', 'loose'], lineRows));
  await target.load(shadow, table('events'), one(['id', 'at', 'part_id'], [[1, '2024-03-01', 3], [2, '2024-04-01', null]]));
}

const constraints = (shadowSchema: string) =>
  dst.query<{ conname: string; convalidated: boolean }>(
    `SELECT c.conname, c.convalidated FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE c.contype = 'f' AND n.nspname = $1 AND r.relname <> 'events_2024' ORDER BY c.conname`,
    [shadowSchema],
  );

beforeEach(async () => {
  src = await createPgDatabase('synth_pg_fkvsrc');
  dst = await createPgDatabase('synth_pg_fkvdst');
  await src.exec(SQL);
  const source = await openPostgresSource(src.url);
  schema = await source.introspect();
  await source.close();
  target = await openPostgresTarget(dst.url);
});

afterEach(async () => {
  await target?.close();
  await src?.drop();
  await dst?.drop();
});

describe('postgres finalize: foreign keys added NOT VALID, then validated on parallel connections', () => {
  it('leaves every foreign key validated as the source has it (a NOT VALID one stays so), composite and partitioned included', async () => {
    const shadow = await target.createShadow('fkv1', schema);
    // Row 3's loose key has no part: allowed, since the source's constraint is NOT VALID and so is the shadow's.
    await load(shadow, [[1, 1, 1, 1], [2, 50, 3, null], [3, null, 2, 999]]);
    await target.finalize(shadow, schema);
    const ns = shadow.namespaces[0]!.shadow;
    expect(await constraints(ns)).toEqual([
      { conname: 'events_part_id_fkey', convalidated: true },
      { conname: 'line_loose_fk', convalidated: false },
      { conname: 'line_partsupp_fk', convalidated: true },
      { conname: 'nation_region_id_fkey', convalidated: true },
      { conname: 'partsupp_nation_id_fkey', convalidated: true },
      { conname: 'partsupp_part_id_fkey', convalidated: true },
    ]);
    // The keys are live constraints: an orphan is refused.
    await expect(dst.exec(`INSERT INTO "${ns}".line VALUES (9, 7, 9, NULL)`)).rejects.toThrow(/line_partsupp_fk/);
    await target.dropShadow(shadow);
  });

  it('an orphan fails finalize naming the foreign key and the table, with the server detail', async () => {
    const shadow = await target.createShadow('fkv2', schema);
    await load(shadow, [[1, 1, 1, null], [2, 49, 3, null], [3, 7, 9, null]]);
    const err = await target.finalize(shadow, schema).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('LOAD_FAILED');
    expect((err as Error).message).toMatch(/line_partsupp_fk of public\.line/);
    expect((err as Error).message).toMatch(/\(part_id, nation_id\)=\(7, 9\) is not present in table "partsupp"/);
    expect((err as SynthError).hint).toMatch(/Nothing was swapped/);
    await target.dropShadow(shadow);
    expect(await dst.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'synth_shadow_%'`)).toEqual([{ n: 0 }]);
  });
});
