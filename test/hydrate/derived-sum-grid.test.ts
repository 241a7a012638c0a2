/**
 * A derived parent sum written into a float column keeps the source's decimals: an application that stores an
 * invoice's total as a double rounds Σ price × quantity to cents, and the derive stage's sum (MariaDB sums doubles
 * in binary: 13.860000000000001) is rounded onto that grid too (value-grid.ts learns it from the sampled totals).
 * MariaDB only: PostgreSQL's derive sums in numeric, exact for cent prices (checked, and test/pipeline/
 * derive-aggregates.test.ts runs the rounding SQL of both).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfig } from '../support/app-rules.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';

const PRICES = [0.99, 1.99, 4.99, 2.49, 0.7];

/** 200 invoices of 1–5 lines; the total, a double, is the lines' Σ rounded to cents as an app would. */
function shopSql(): string {
  const float = 'DOUBLE';
  const invoices: string[] = [];
  const lines: string[] = [];
  let id = 1;
  for (let i = 1; i <= 200; i++) {
    let cents = 0;
    for (let k = 0; k < 1 + (i % 5); k++) {
      const price = PRICES[(i * 7 + k * 3) % PRICES.length]!;
      const quantity = 1 + ((i + k) % 4);
      cents += Math.round(price * 100) * quantity;
      lines.push(`(${id++}, ${i}, ${price}, ${quantity})`);
    }
    invoices.push(`(${i}, ${(cents / 100).toFixed(2)})`);
  }
  return `
    CREATE TABLE invoice (invoice_id int PRIMARY KEY, total ${float} NOT NULL);
    CREATE TABLE invoice_line (invoice_line_id int PRIMARY KEY, invoice_id int NOT NULL REFERENCES invoice (invoice_id),
      unit_price ${float} NOT NULL, quantity int NOT NULL);
    INSERT INTO invoice VALUES ${invoices.join(', ')};
    INSERT INTO invoice_line VALUES ${lines.join(', ')};`;
}

describe('a derived sum in a float column (mysql)', () => {
  const env = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
  beforeAll(async () => {
    env.source = await createMysqlDatabase('synth_gridsum_src');
    env.target = await createMysqlDatabase('synth_gridsum_dst');
    await env.source.exec(shopSql());
    env.outDir = mkdtempSync(join(tmpdir(), 'synth-gridsum-'));
  }, 60_000);
  afterAll(async () => {
    await env.source?.drop();
    await env.target?.drop();
    if (env.outDir) rmSync(env.outDir, { recursive: true, force: true });
  });

  it('holds its lines\' Σ on the source\'s two decimals', async () => {
    const stages: string[] = [];
    const config = rulesConfig(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false });
    const result = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'done' && stages.push(e.stage)) });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expect(stages).toContain('derive');
    const rows = await env.target.query<{ total: number | string; sum: number | string }>(
      `SELECT i.total AS total, s.v AS sum FROM invoice i JOIN (SELECT invoice_id, SUM(unit_price * quantity) AS v FROM invoice_line GROUP BY invoice_id) s ON s.invoice_id = i.invoice_id`,
    );
    expect(rows.length).toBeGreaterThan(100);
    const offGrid = rows.filter((r) => !/^-?\d+(\.\d{1,2})?$/.test(String(r.total)));
    expect(offGrid.map((r) => String(r.total))).toEqual([]);
    // Still the Σ of the lines (to the cent).
    expect(rows.filter((r) => Math.abs(Number(r.total) - Number(r.sum)) > 0.005)).toEqual([]);
  }, 120_000);
});
