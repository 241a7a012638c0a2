/**
 * The copy filters' redraw verdict: on a table where every drawn row copies a training row and none can be nudged
 * (one categorical attribute), a fixed probe of the model decides once that redrawing cannot help, so no batch pays
 * for redraws, every flagged row is reported unresolved, and the verdict is the same whichever batch comes first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import { fitBaseline } from '../../../src/generation/baseline/baseline-model.js';
import type { GeneratedBatch } from '../../../src/generation/generate.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import type { Rng, TableSample } from '../../../src/generation/model.js';
import { PrivacyRun } from '../../../src/generation/privacy/privacy-run.js';
import { createRng } from '../../../src/generation/rng.js';
import type { Table } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let table: Table;
let sample: TableSample;

beforeAll(async () => {
  db = await createPgDatabase('synth_futile');
  await db.exec(`
    CREATE TABLE member (id serial PRIMARY KEY, plan text NOT NULL);
    INSERT INTO member (plan) SELECT (ARRAY['free','pro','team'])[1 + g % 3] FROM generate_series(1, 900) g;`);
  const source = await openSource(db.url);
  try {
    table = (await source.introspect({})).tables.find((t) => t.name === 'member')!;
    const rows: Row[] = [];
    for await (const b of source.readRows(table, { columns: ['id', 'plan'] })) rows.push(...b.rows);
    sample = { table: { schema: table.schema, name: table.name }, totalRows: rows.length, columns: ['id', 'plan'], rows };
  } finally {
    await source.close();
  }
});
afterAll(async () => {
  await db?.drop();
});

describe('copy-filter redraws on a table where they cannot help', () => {
  it('are ruled out once by the probe: no batch redraws, and the verdict does not depend on the batches before', async () => {
    const config = parseConfig({ source: { url: db.url }, targets: { dev: { url: db.url } } });
    const meta = describeColumns(table, sample);
    const baseline = fitBaseline(table, sample, meta);
    const runOver = async (batchNumbers: number[]) => {
      const run = PrivacyRun.forConfig(config)!;
      run.remember(new Map([['public.member', sample]]));
      let drawn = 0;
      const model = {
        columns: baseline.columns,
        sample(n: number, context: Row[] | null, rng: Rng) {
          drawn += n;
          return baseline.sample(n, context, rng);
        },
      };
      const batches = (async function* (): AsyncGenerator<GeneratedBatch> {
        for (const b of batchNumbers) {
          const rows = baseline.sample(500, null, createRng(1, `batch${b}`)).map((r, i) => [b * 500 + i, ...r]);
          yield { columns: ['id', ...baseline.columns], rows, start: b * 500, batch: b };
        }
      })();
      const out: Row[][] = [];
      for await (const b of run.filterRows(table, meta, model, batches, createRng(4))) out.push(b.rows);
      return { out, drawn, report: run.result().filters['public.member']! };
    };
    const all = await runOver([0, 1, 2, 3]);
    // Every drawn row is a copy (three plans, all seen in training), none can be nudged: all reported unresolved.
    expect(all.report.regenerated).toBe(2000);
    expect(all.report.unresolved).toBe(2000);
    // The model drew only the probe (1000 rows and one redraw of them), no redraw rounds of any batch.
    expect(all.drawn).toBeLessThanOrEqual(2000);
    // A shard starting at batch 3 reaches the same verdict and the same rows without batches 0–2.
    const late = await runOver([3]);
    expect(late.out[0]).toEqual(all.out[3]);
    expect(late.report.unresolved).toBe(500);
  }, 120_000);
});
