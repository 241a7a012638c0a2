import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { runCli } from '../support/cli.js';

describe('synth demo (embedded PostgreSQL, no server)', () => {
  it('builds the demo source, hydrates it, validates, prints quality, writes the HTML report, records the runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-demo-'));
    const r = await runCli(['demo', '--dir', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = events.at(-1)!;
    expect(result).toMatchObject({ type: 'result', status: 'ok', violations: 0, tables: 9 });
    expect(result.rows as number).toBeGreaterThan(7000);
    const messages = events.filter((e) => e.type === 'info').map((e) => String(e.message));
    expect(messages.some((m) => /Validation passed: 0 violations/.test(m))).toBe(true);
    expect(messages.some((m) => /Overall quality\s+\d+\.\d+%/.test(m))).toBe(true);
    // Rentals and sign-up dates are compared within 1 % of their range, not of their epoch value (±6 months): the
    // copy filters resolve what they flag instead of leaving thousands of rows "unresolved".
    expect(messages.some((m) => /new rows \d+\.\d+% \(datetimes compared within 1 % of their range\)/.test(m))).toBe(true);
    const filters = messages.find((m) => m.startsWith('Privacy filters'));
    expect(filters).toBeDefined();
    expect(filters).not.toMatch(/\d{3,} unresolved/);
    const reports = readdirSync(join(dir, 'reports'));
    expect(reports.some((f) => f.endsWith('.html'))).toBe(true);
    expect(existsSync(join(dir, 'source', 'PG_VERSION'))).toBe(true);

    // A second run reuses the source and swaps again; rollback brings the first synthetic copy back.
    // (The baseline model, to keep the test short; the first run used the default, learned.)
    const again = await runCli(['demo', '--dir', dir, '--quiet', '--model', 'baseline']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Demo done: 9 tables/);

    // Both runs are in the embedded (PGlite) state folder under the demo's outDir.
    const store = await openStateStore({ dir: join(dir, 'state') });
    try {
      const runs = await store.listRuns({ target: 'dev' });
      expect(runs.map((r) => [r.kind, r.status])).toEqual([['demo', 'succeeded'], ['demo', 'succeeded']]);
      const detail = await store.getRun(runs[0]!.id);
      expect(detail!.steps.filter((s) => s.step === 'load' && s.table !== null).length).toBe(9);
    } finally {
      await store.close();
    }
  }, 240_000);
});
