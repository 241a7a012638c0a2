/**
 * Training threads (fit-threads.ts): a table fitted on a worker thread is the same model, weight for weight, as the
 * one fitted on the calling thread, several tables train at once, and a fit's own error reaches the caller as the
 * same SynthError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import type { Column, NeutralType, Table } from '../../../src/schema/model.js';
import type { ColumnMeta, TableSample } from '../../../src/generation/model.js';
import { FitThreads, initCompute, type LearnedFactoryArgs, type LearnedModel } from '../../../src/generation/learned/index.js';
import { fitLearnedModel } from '../../../src/generation/learned/fit.js';
import { SynthError } from '../../../src/errors.js';

function col(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}
const int4: NeutralType = { kind: 'integer', bytes: 4, unsigned: false };
const text: NeutralType = { kind: 'text', maxLength: null, fixedLength: false };
const trackTable: Table = {
  schema: 'public',
  name: 'track',
  columns: [col('id', int4), col('genre', text), col('media', text), col('milliseconds', int4), col('unit_price', { kind: 'decimal', precision: 10, scale: 2 })],
  primaryKey: { name: 'track_pkey', columns: ['id'] },
  uniques: [],
  foreignKeys: [],
  checks: [],
  indexes: [],
  partitioning: null,
  comment: null,
  estimatedRows: 0,
};
const meta: ColumnMeta[] = (
  [
    ['id', 'primary-key'],
    ['genre', 'categorical'],
    ['media', 'categorical'],
    ['milliseconds', 'numerical'],
    ['unit_price', 'numerical'],
  ] as const
).map(([column, role]) => ({ table: { schema: 'public', name: 'track' }, column, role }));

let db: TestDatabase;
let sample: TableSample;
// One pool for the file: a thread's start (tsx loader, tfjs) is most of what these tests cost.
let threads: FitThreads;

beforeAll(async () => {
  db = await createPgDatabase('synth_fit_threads');
  // Video tracks are long and dearer; genres have lengths of their own.
  await db.exec(`
    SELECT setseed(0.17);
    CREATE TABLE track AS
    SELECT g AS id, genre, media,
           (CASE genre WHEN 'Rock' THEN 240000 WHEN 'Jazz' THEN 330000 WHEN 'Metal' THEN 300000 ELSE 200000 END
             * CASE WHEN media = 'video' THEN 8 ELSE 1 END * (0.7 + random() * 0.6))::int AS milliseconds,
           CASE WHEN media = 'video' THEN 1.99 ELSE 0.99 END::numeric(10,2) AS unit_price
      FROM generate_series(1, 800) g,
           LATERAL (SELECT (ARRAY['Rock','Jazz','Metal','Latin','Blues'])[1 + (g * 7 % 5)] AS genre,
                           CASE WHEN g % 11 = 0 THEN 'video' ELSE (ARRAY['mpeg','aac'])[1 + (g % 2)] END AS media) x;
  `);
  const rows = await db.query<{ id: number; genre: string; media: string; milliseconds: number; unit_price: string }>(`SELECT * FROM track ORDER BY id`);
  sample = {
    table: { schema: 'public', name: 'track' },
    totalRows: rows.length,
    columns: ['id', 'genre', 'media', 'milliseconds', 'unit_price'],
    rows: rows.map((r) => [r.id, r.genre, r.media, r.milliseconds, r.unit_price]),
  };
  await initCompute();
  threads = new FitThreads(2, 0);
});

afterAll(async () => {
  await threads?.close();
  await db?.drop();
});

const args = (seed: number): LearnedFactoryArgs => ({
  table: trackTable,
  sample,
  meta,
  attributeColumns: ['genre', 'media', 'milliseconds', 'unit_price'],
  seed,
  options: { hiddenSize: 32, epochs: 2, batchSize: 128 },
});

const onThread = (a: LearnedFactoryArgs): Promise<LearnedModel> =>
  threads.fit(a, () => Promise.reject(new Error('fitted on the calling thread, not on a training thread')));

describe('FitThreads', () => {
  it('fits on training threads the same models as on the calling thread, several tables at once', async () => {
    const [a, b] = await Promise.all([onThread(args(1)), onThread(args(2))]);
    const [ha, hb] = [await fitLearnedModel(args(1)), await fitLearnedModel(args(2))];
    expect(a.training?.steps).toBeGreaterThan(0);
    const { training: _ta, ...ja } = a.toJSON();
    const { training: _tha, ...jha } = ha.toJSON();
    expect(ja).toEqual(jha);
    expect(b.toJSON().weights).toEqual(hb.toJSON().weights);
    expect(a.toJSON().weights).not.toEqual(b.toJSON().weights);
    expect(threads.fittedOnThreads).toBe(2);
  });

  it('hands a fit error back as the same SynthError, and small samples to the calling thread', async () => {
    const bad = { ...args(3), parentSample: { columns: ['x'], rows: [[1]] } };
    const err = await onThread(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('INTERNAL');
    expect((err as SynthError).table).toBe('public.track');
    const here = new FitThreads(2, 10_000);
    let calledHere = false;
    await here.fit(args(4), () => {
      calledHere = true;
      return fitLearnedModel(args(4));
    });
    expect(calledHere).toBe(true);
    await here.close();
  });
});
