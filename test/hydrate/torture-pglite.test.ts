import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openTarget } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { PG_HOSTILE, TORTURE_PG, TORTURE_PG_TABLES } from '../support/torture-pg.js';

let source: TestDatabase;
let dir: string;

beforeAll(async () => {
  source = await createPgDatabase('synth_tort_lite');
  await source.exec(TORTURE_PG);
  dir = mkdtempSync(join(tmpdir(), 'synth-tort-pglite-'));
}, 60_000);

afterAll(async () => {
  await source?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL torture fixture → embedded PGlite', () => {
  it('hydrates with zero violations and exact row counts; views are recreated', async () => {
    const url = `pglite://${dir}`;
    // rental keeps the baseline model, whose independent draws break its CHECK: the repair path is what is tested.
    // `invariants: false`: kept order invariants would satisfy end_date ≥ start_date by construction; the repair path is what this covers.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url } }, quality: { enabled: false }, tables: { rental: { model: 'baseline' } }, invariants: false });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expect(result.integrity.resampled?.['public.rental'] ?? 0).toBeGreaterThan(0);
    expect(result.swap!.notes.join('\n')).toMatch(/2 view\(s\) recreated/);
    const t = await openTarget(url);
    try {
      for (const name of TORTURE_PG_TABLES) {
        if (name === 'audit_log') continue;
        const [src] = await source.query<{ n: string }>(`SELECT count(*) AS n FROM public."${name.replace(/"/g, '""')}"`);
        expect(await t.countRows(null, { schema: 'public', name }), name).toBe(Number(src!.n));
      }
      expect(await t.countRows(null, { schema: 'public', name: 'audit_log' })).toBe(0);
      expect(await t.countRows(null, { schema: 'public', name: PG_HOSTILE.child })).toBe(900);
    } finally {
      await t.close();
    }
  });
});
