/**
 * Parent aggregates end to end on chinook-like invoices and world-like country languages (test/fixtures/
 * aggregate-shop.ts), PostgreSQL and MariaDB, both models: every generated invoice's total is the Σ of its lines
 * (0 without lines) and no generated country's languages add up to more than 100 %; the unrelated discount is no rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate, introspectAndPlan, planDataRules } from '../../src/pipeline/index.js';
import type { ChildShareRule, ParentSumRule } from '../../src/generation/parent-aggregates.js';
import { formatDataRules } from '../../src/generation/data-rules.js';
import type { TableSample } from '../../src/generation/model.js';
import { learnAggregates } from '../../src/pipeline/learn-aggregates.js';
import { tableKey, writableColumns } from '../../src/schema/model.js';
import { aggregateShopSql, OVER_100, WRONG_TOTALS } from '../fixtures/aggregate-shop.js';
import { rulesConfig, rulesConfigInput, trainedUnder, type ModelKind } from '../support/app-rules.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`parent aggregates (${dialect})`, () => {
    const env = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
    beforeAll(async () => {
      const create = dialect === 'postgres' ? createPgDatabase : createMysqlDatabase;
      env.source = await create('synth_aggsrc');
      env.target = await create('synth_aggdst');
      await env.source.exec(aggregateShopSql(dialect));
      env.outDir = mkdtempSync(join(tmpdir(), 'synth-agg-'));
    }, 60_000);
    afterAll(async () => {
      await env.source?.drop();
      await env.target?.drop();
      if (env.outDir) rmSync(env.outDir, { recursive: true, force: true });
    });
    // Nothing copied as reference data: every table here is generated.
    const config = (model: ModelKind) => rulesConfig(env, model, { referenceMaxRows: 0, epochs: 5, quality: false });

    it('learns total = Σ unit_price × quantity (0 without lines) and percentages ≤ 100 per country, nothing on discount', async () => {
      const [wrong] = await env.source.query<{ n: number | string }>(WRONG_TOTALS);
      expect(Number(wrong!.n)).toBe(0);
      const { schema, models } = await trainedUnder(config('baseline'));
      const rules = models.rules!.aggregates ?? [];
      const sum = rules.find((r): r is ParentSumRule => r.kind === 'sum')!;
      expect(rules.filter((r) => r.kind === 'sum')).toHaveLength(1);
      expect(sum).toMatchObject({ parent: { name: 'invoice' }, column: 'total', child: { name: 'invoice_line' }, terms: ['unit_price', 'quantity'], empty: 'zero' });
      const share = rules.find((r): r is ChildShareRule => r.kind === 'share')!;
      expect(rules.filter((r) => r.kind === 'share')).toHaveLength(1);
      expect(share).toMatchObject({ child: { name: 'countrylanguage' }, column: 'percentage', bound: 100, decimals: 1 });
      const plan = formatDataRules(models.rules!, schema);
      expect(plan).toContain('invoice.total = Σ invoice_line.unit_price × quantity');
      expect(plan).toContain('countrylanguage.percentage ≤ 100 per country');
    }, 120_000);

    it('leaves a column another rule copies alone (a line repeating its invoice\'s total keeps it)', async () => {
      const source = await openSource(env.source.url);
      try {
        const schema = await source.introspect();
        const samples = new Map<string, TableSample>();
        for (const t of schema.tables) {
          const columns = writableColumns(t).map((c) => c.name);
          const rows: TableSample['rows'] = [];
          for await (const b of source.readRows(t, { columns })) rows.push(...b.rows);
          samples.set(tableKey(t), { table: t, totalRows: rows.length, columns, rows });
        }
        const line = schema.tables.find((t) => t.name === 'invoice_line')!;
        const learn = (parentCopies: Parameters<typeof learnAggregates>[5]['parentCopies']) => learnAggregates(source, schema, samples, [], () => false, { fanOuts: [], invariants: [], ...(parentCopies ? { parentCopies } : {}) }, 20);
        expect((await learn(undefined)).map((r) => r.kind).sort()).toEqual(['share', 'sum']);
        const copy = { table: { schema: line.schema, name: line.name }, column: 'unit_price', foreignKey: line.foreignKeys[0]!.name, parentColumn: 'total', support: 100, parents: 100 };
        expect((await learn([copy as never])).map((r) => r.kind)).toEqual(['share']);
      } finally {
        await source.close();
      }
    }, 60_000);

    it('learns nothing data-dependent under privacy', async () => {
      const config = parseConfig({ ...rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 5 }), privacy: { epsilon: 3 } });
      const source = await openSource(config.source.url);
      try {
        const { schema } = await introspectAndPlan(source, config);
        expect((await planDataRules(source, schema, config)).aggregates).toBeUndefined();
      } finally {
        await source.close();
      }
    }, 60_000);

    for (const model of ['baseline', 'learned'] as const) {
      it(`hydrates (${model}): every invoice's total is its lines' sum, no country over 100 %, 0 violations`, async () => {
        const stages: string[] = [];
        const result = await hydrate({ config: config(model), target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'done' && stages.push(e.stage)) });
        expect(result.status).toBe('ok');
        expect(result.integrity.totalViolations).toBe(0);
        expect(stages).toContain('derive');
        const [invoices] = await env.target.query<{ n: number | string }>('SELECT count(*) AS n FROM invoice');
        expect(Number(invoices!.n)).toBeGreaterThan(200);
        const [wrong] = await env.target.query<{ n: number | string }>(WRONG_TOTALS);
        expect(Number(wrong!.n)).toBe(0);
        const [over] = await env.target.query<{ n: number | string; top: number | string }>(OVER_100(dialect));
        expect(Number(over!.n)).toBe(0);
        expect(Number(over!.top)).toBeLessThanOrEqual(100);
        // The bound is kept by scaling down, not by emptying: countries still come close to 100.
        expect(Number(over!.top)).toBeGreaterThan(95);
      }, 300_000);
    }
  });
}
