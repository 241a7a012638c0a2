/**
 * Copied-from-parent columns and parent roles end to end on a chinook-like source: invoices bill their customer's
 * address, lines cost their track's price, and only 'Sales Support Agent's have customers; after a hydrate, with
 * either model, from PostgreSQL or MariaDB, in one process or with a load worker, every generated row keeps them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../src/generation/artifact.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { CHINOOK_RULE_COUNTS, CHINOOK_RULE_COUNTS_PG, chinookSalesSql } from '../fixtures/chinook-sales.js';
import { rulesConfigInput, trainedUnder, type ModelKind } from '../support/app-rules.js';
import { runCli } from '../support/cli.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { waitForWorker } from '../support/load-workers.js';

const env = pgHydrationFixture('h1_prules', chinookSalesSql());
// Nothing copied as reference data: the 8 employees are synthesized, so their titles are drawn.
const settings = (model: ModelKind) => rulesConfigInput(env, model, { referenceMaxRows: 0, epochs: 5, quality: false });

async function ruleCounts(db: TestDatabase, pg: boolean): Promise<Record<string, number>> {
  const [row] = await db.query<Record<string, string | number>>(pg ? CHINOOK_RULE_COUNTS_PG : CHINOOK_RULE_COUNTS);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

function expectRulesHold(counts: Record<string, number>): void {
  expect(counts).toMatchObject({ billing_broken: 0, price_broken: 0, reps_broken: 0 });
  expect(counts.invoices).toBeGreaterThan(0);
  expect(counts.line_count).toBeGreaterThan(0);
  expect(counts.reps).toBeGreaterThan(0);
}

describe('copied-from-parent columns and parent roles', () => {
  it('are learned from the source, and a column equal to its parent on ~70 % of rows is not a copy', async () => {
    expectRulesHold(await ruleCounts(env.source, true));
    const [list] = await env.source.query<{ same: string; n: string }>('SELECT count(*) FILTER (WHERE l.list_price = t.unit_price) AS same, count(*) AS n FROM invoice_line l JOIN track t USING (track_id)');
    const share = Number(list!.same) / Number(list!.n);
    expect(share).toBeGreaterThan(0.6);
    expect(share).toBeLessThan(0.8);
    const { models, schema } = await trainedUnder(parseConfig(settings('baseline')));
    const copies = (models.rules?.parentCopies ?? []).map((c) => `${c.table.name}.${c.column}=${c.parentColumn}${c.nulls ? ' nulls' : ''}`).sort();
    expect(copies).toEqual(
      ['invoice.billing_address=address', 'invoice.billing_city=city', 'invoice.billing_country=country', 'invoice.billing_postal_code=postal_code nulls', 'invoice.billing_state=state nulls', 'invoice_line.unit_price=unit_price'].sort(),
    );
    expect((models.rules?.parentRoles ?? []).map((r) => `${r.table.name}.${r.column}=${String(r.value)} via ${r.child.name}`)).toEqual(['employee.title=Sales Support Agent via customer']);
    // Kept with the models (training.reuse reads them back).
    const stored = modelSetFromArtifact(JSON.parse(JSON.stringify(modelSetToArtifact(models))), schema);
    expect(stored.rules?.parentCopies).toEqual(models.rules?.parentCopies);
    expect(stored.rules?.parentRoles).toEqual(models.rules?.parentRoles);
  }, 120_000);

  for (const model of ['baseline', 'learned'] as const) {
    it(`(${model}, PostgreSQL) hold on every generated row, 0 violations`, async () => {
      const events: string[] = [];
      const result = await hydrate({ config: parseConfig(settings(model)), target: 'dev', emit: (e) => void (e.type === 'info' && events.push(e.message)) });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      expect(events.join('\n')).toMatch(/6 column\(s\) copied from the parent; 1 parent role\(s\) kept/);
      expectRulesHold(await ruleCounts(env.target, true));
      // The copies are of generated values: no source address reaches an invoice.
      const [leaked] = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM invoice WHERE billing_address IN (${(await env.source.query<{ a: string }>('SELECT address AS a FROM customer')).map((r) => `'${r.a.replace(/'/g, "''")}'`).join(', ')})`);
      expect(Number(leaked!.n)).toBe(0);
    }, 300_000);
  }

  it('hold when invoices and their lines load in a worker process (the parents\' values travel as anchors)', async () => {
    // Scale 30: ~27 000 lines, three windows of 10 000, so the worker takes some whatever the machine's load.
    const config = parseConfig({ ...settings('baseline'), scale: 30, generation: { workers: 1, minRows: 1000 } });
    const events: RunEvent[] = [];
    const info = () => events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
    // As parallel-load.test.ts does: the main process waits for the worker before it draws the split tables itself.
    const result = await hydrate({ config, target: 'dev', emit: (e) => events.push(e), hooks: { fault: waitForWorker(events, 'public.invoice_line', 'public.track') } });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const split = info().map((m) => /public\.invoice_line: \d+ window\(s\) of \d+ rows, \d drawn here, (\d) on 1 worker/.exec(m)).find((m) => m !== null);
    expect(Number(split?.[1] ?? 0)).toBeGreaterThan(0);
    expectRulesHold(await ruleCounts(env.target, true));
  }, 300_000);

  it('synth plan prints both with their reason', async () => {
    const configPath = join(env.outDir, 'synth.config.json');
    writeFileSync(configPath, JSON.stringify(settings('baseline')));
    const r = await runCli(['plan', '--config', configPath, '--no-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Copied from the parent (equal on every sampled row; the child takes its generated parent's value):");
    expect(r.stdout).toMatch(/public\.invoice\.billing_state = customer\.state through invoice_customer_id_fkey \(\d+ rows, \d+ parents, NULL with it\)/);
    expect(r.stdout).toMatch(/public\.invoice_line\.unit_price = track\.unit_price through invoice_line_track_id_fkey/);
    expect(r.stdout).toMatch(/public\.employee\.title = "Sales Support Agent" on every row public\.customer references through customer_support_rep_id_fkey \(3 of 8 sampled rows; 0 of the other 5 have it; chance 1\.8 %\)/);
  }, 120_000);

  it('nothing is learned from the data under privacy', async () => {
    const { models } = await trainedUnder(parseConfig({ ...settings('baseline'), privacy: { epsilon: 3, piiKey: 'test-key-only' } }));
    expect(models.rules?.parentCopies ?? []).toEqual([]);
    expect(models.rules?.parentRoles ?? []).toEqual([]);
  }, 120_000);
});

describe('copied-from-parent columns and parent roles, MariaDB to MariaDB', () => {
  const db = {} as { source: TestDatabase; target: TestDatabase };
  beforeAll(async () => {
    db.source = await createMysqlDatabase('h1_prules_src');
    db.target = await createMysqlDatabase('h1_prules_dst');
    await db.source.exec(chinookSalesSql());
  });
  afterAll(async () => {
    await db.source?.drop();
    await db.target?.drop();
  });

  it('(baseline) hold on every generated row, 0 violations', async () => {
    expectRulesHold(await ruleCounts(db.source, false));
    const config = parseConfig({ ...settings('baseline'), source: { url: db.source.url }, targets: { dev: { url: db.target.url } } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expectRulesHold(await ruleCounts(db.target, false));
  }, 300_000);
});
