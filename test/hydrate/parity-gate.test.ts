import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Shadow, TargetConnector } from '../../src/connectors/connector.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import { SynthError } from '../../src/errors.js';
import { generateIntoTarget, hydrate, introspectAndPlan, trainModels } from '../../src/pipeline/index.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { runCli } from '../support/cli.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { dropWithBackup } from '../support/torture-mysql.js';
import { createParityFixture } from '../support/torture-mysql-parity.js';

let source: TestDatabase;
let target: TestDatabase;
let state: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'synth-parity-gate-'));

beforeAll(async () => {
  source = await createMysqlDatabase('synth_pgate_src');
  target = await createMysqlDatabase('synth_pgate_dst');
  state = await createPgDatabase('synth_pgate_state');
  await createParityFixture(source);
  await target.exec('CREATE TABLE keep_me (id INT PRIMARY KEY); INSERT INTO keep_me VALUES (7);');
}, 60_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
  await state?.drop();
});

describe('the schema parity gate', () => {
  it('refuses the swap with SCHEMA_PARITY listing each difference when the shadow is not the source schema', async () => {
    // The gate compares schemas, not values: every run here takes the baseline, which fits without training networks.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline' });
    const src = await openSource(source.url);
    const real = await openTarget(target.url);
    // A connector that loses an index and a view in finalize: the gate, not the connector, must catch it.
    const lossy: TargetConnector = {
      ...real,
      async finalize(shadow: Shadow, schema: DatabaseSchema) {
        await real.finalize(shadow, schema);
        const db = shadow.namespaces[0]!.shadow;
        await target.exec(`DROP INDEX ix_placed ON \`${db}\`.shop_order; DROP VIEW \`${db}\`.item_totals;`);
      },
    };
    try {
      const { schema, plan } = await introspectAndPlan(src, config);
      const models = await trainModels(src, schema, plan, config);
      const err = await generateIntoTarget({ source: src, target: lossy, schema, plan, models, config, runId: 'paritygate1', emit: () => {}, keepShadow: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).code).toBe('SCHEMA_PARITY');
      expect((err as SynthError).exitCode).toBe(1);
      const message = (err as SynthError).message;
      expect(message).toMatch(/schema parity \d+\/\d+/);
      expect(message).toMatch(/index .*shop_order\.ix_placed: missing in the target/);
      expect(message).toMatch(/view .*item_totals: missing in the target/);
      expect((err as SynthError).hint).toMatch(/--keep-shadow/);
    } finally {
      await src.close();
      await real.close();
    }
    // Nothing was swapped, and the refused shadow is gone.
    expect(await target.query('SELECT id FROM keep_me')).toEqual([{ id: 7 }]);
    const shadows = await target.query(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`%paritygate1%`]);
    expect(shadows).toEqual([]);
  }, 120_000);

  it('compares the PostgreSQL schemas the swap replaces, not a source schema that holds no table', async () => {
    const pgSource = await createPgDatabase('synth_pgate_pgs');
    const pgTarget = await createPgDatabase('synth_pgate_pgt');
    try {
      await pgSource.exec(`CREATE SCHEMA util; CREATE FUNCTION util.twice(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2 * x';
        CREATE TABLE public.item (id int PRIMARY KEY, qty int NOT NULL CHECK (qty > 0)); INSERT INTO public.item SELECT i, 1 + i % 5 FROM generate_series(1, 50) i;
        CREATE VIEW public.big_items AS SELECT id FROM public.item WHERE qty > 3;`);
      const config = parseConfig({ source: { url: pgSource.url }, targets: { dev: { url: pgTarget.url } }, quality: { enabled: false }, model: 'baseline' });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.parity?.differences).toEqual([]);
      // The view of the swapped schema is compared; the function of the table-less schema is not.
      expect(result.parity!.total).toBeGreaterThanOrEqual(6);
    } finally {
      await pgSource.drop();
      await pgTarget.drop();
    }
  }, 120_000);

  it('carries the figure to the hydrate result, the JSON report and `synth runs show`', async () => {
    const configPath = join(dir, 'synth.config.json');
    writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, model: 'baseline', quality: { sampleRows: 500 }, state: { url: state.url }, outDir: join(dir, 'out') }));
    const h = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
    expect(h.code, h.stderr).toBe(0);
    const last = JSON.parse(h.stdout.trim().split('\n').at(-1)!) as { runId: string; parity: { matched: number; total: number } };
    expect(last.parity.total).toBeGreaterThan(40);
    expect(last.parity.matched).toBe(last.parity.total);
    const figure = `schema parity ${last.parity.total}/${last.parity.total}`;
    const report = JSON.parse(readFileSync(join(dir, 'out', 'reports', `${last.runId}.json`), 'utf8')) as { schemaParity: { matched: number; total: number; differences: unknown[] } };
    expect(report.schemaParity).toEqual({ matched: last.parity.total, total: last.parity.total, differences: [] });
    const text = await runCli(['runs', 'show', last.runId, '--config', configPath, '--no-json']);
    expect(text.stdout).toContain(figure);
    const json = await runCli(['runs', 'show', last.runId, '--config', configPath, '--json']);
    expect((JSON.parse(json.stdout) as { parity: string }).parity).toBe(figure);
  }, 180_000);
});
