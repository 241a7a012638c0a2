import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore, type StateStore } from '../../../src/scheduler/state-store.js';
import { buildPrivacyResult, formatPrivacyResult, privacySpendRecords, privacySummaryForReport } from '../../../src/validation/privacy/privacy-report.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let store: StateStore;

beforeAll(async () => {
  db = await createPgDatabase('synth_dpstate');
  store = await openStateStore({ url: db.url });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

const spend = {
  budget: { epsilon: 2, delta: 1e-6 },
  epsilon: 1.7,
  delta: 1e-6,
  method: 'rdp' as const,
  unit: 'row' as const,
  composition: 'sequential-over-tables' as const,
  ledger: new PrivacyLedger(),
  tables: [
    { table: 'public.a', budget: { epsilon: 1, delta: 5e-7 }, epsilon: 0.9, delta: 5e-7, model: 'baseline' as const, contribution: 1, mechanisms: [{ label: 'public.a count', epsilon: 0.3 }], dpSgd: null },
    { table: 'public.b', budget: { epsilon: 1, delta: 5e-7 }, epsilon: 0.95, delta: 5e-7, model: 'learned' as const, contribution: 1, mechanisms: [], dpSgd: { steps: 40, plannedSteps: 40, noiseMultiplier: 1.3, samplingRate: 0.1, clipNorm: 1, epsilon: 0.5, stoppedEarly: false } },
  ],
};

describe('privacy report', () => {
  it('per-table spend goes into the state ledger; its cumulative sum is the basic-composition bound', async () => {
    const p = buildPrivacyResult(spend, [], {});
    for (const r of privacySpendRecords(p, 'fp-1', null)) await store.recordPrivacySpend(r);
    const c = await store.cumulativeSpend('fp-1');
    expect(c.entries).toBe(2);
    expect(c.epsilon).toBeCloseTo(1.85, 9);
    expect(c.epsilon).toBeGreaterThanOrEqual(p.epsilon);
    expect(c.byTable['public.b']!.epsilon).toBeCloseTo(0.95, 9);
  });

  it('summaries for the HTML report and the CLI name every table', () => {
    const p = buildPrivacyResult(spend, [{ table: 'public.a', column: 'email', kind: 'email', confidence: 0.99, transform: 'email' }], {
      'public.b': { total: 10, kept: 8, exactCopies: 1, nearCopies: 1, outliers: 0, regenerated: 2, unresolved: 0 },
    });
    expect(privacySummaryForReport(p)).toEqual({ epsilonSpent: 1.7, delta: 1e-6, perTable: { 'public.a': 0.9, 'public.b': 0.95 } });
    const text = formatPrivacyResult(p);
    expect(text).toContain('ε 1.700 spent of 2');
    expect(text).toContain('public.b: ε 0.950 of 1.000 (learned, DP-SGD 40 steps');
    expect(text).toContain('public.a.email (email)');
    expect(text).toContain('public.b 2 (exact 1, near 1');
    expect(privacySpendRecords(buildPrivacyResult(null, [], {}), 'fp', null)).toEqual([]);
  });
});
