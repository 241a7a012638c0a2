/**
 * A big child table's child counts come from its parents' sample (counted by key), stated with their error in the
 * run and in the quality report; the hydrated counts keep the source's shape.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { histogramFromSample } from '../../src/pipeline/sample-child-counts.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { formatQualitySummary } from '../../src/validation/quality/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// Customer i has (i % 5) * 12 orders: a fifth of them none, the mean 24; 120 000 orders in all.
const FIXTURE = `
CREATE TABLE customer (id integer PRIMARY KEY, region text NOT NULL);
INSERT INTO customer SELECT i, (ARRAY['eu','us','apac'])[1 + i % 3] FROM generate_series(1, 5000) i;
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer, amount numeric(8,2) NOT NULL);
CREATE INDEX orders_customer ON orders (customer_id);
INSERT INTO orders SELECT row_number() OVER (), c, (c * 7 + k) % 900 + 1
  FROM generate_series(1, 5000) c, generate_series(1, 48) k WHERE k <= (c % 5) * 12;
ANALYZE;
`;

describe('child counts of a big child table from a sample of parents', () => {
  it('scales a sample\'s per-parent counts to every parent, with the mean\'s 95 % margin', () => {
    const h = histogramFromSample([0, 1, 1, 2, 2, 2, 3, 3, 3, 3], 1000);
    expect(h.counts).toEqual([
      { children: 0, parents: 100 },
      { children: 1, parents: 200 },
      { children: 2, parents: 300 },
      { children: 3, parents: 400 },
    ]);
    expect(h.estimate!.meanChildren).toBe(2);
    // sd = 1.054, n = 10, finite-population factor sqrt(990/999).
    expect(h.estimate!.margin).toBeCloseTo(1.96 * Math.sqrt(10 / 9 / 10) * Math.sqrt(990 / 999), 6);
    // Rounding never loses a parent.
    const odd = histogramFromSample([0, 1, 5], 1000);
    expect(odd.counts.reduce((s, c) => s + c.parents, 0)).toBe(1000);
  });

  const env = pgHydrationFixture('synth_ccest', FIXTURE);

  it('hydrates with the estimate, states it in the run and the report, and keeps the shape of the counts', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      outDir: env.outDir,
      training: { sampleRows: 1000 },
      quality: { sampleRows: 1000 },
    });
    const infos: string[] = [];
    const result = await hydrate({ config, target: 'dev', emit: (e: RunEvent) => void (e.type === 'info' && infos.push(e.message)) });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const note = result.quality!.sampling!.childCounts!;
    // The source's estimate (sample stage), then the shadow's, counted the same way for the report's 1000 parents.
    expect(note).toHaveLength(2);
    expect(note[0]).toMatchObject({ table: 'public.orders', parentsSampled: 1000, parents: 5000 });
    expect(note[0]!.side).toBeUndefined();
    expect(note[1]).toMatchObject({ table: 'public.orders', side: 'synthetic', parentsSampled: 1000, parents: 5000 });
    // Generated from the source's estimate: the two means agree within their errors.
    expect(Math.abs(note[1]!.meanChildren - note[0]!.meanChildren)).toBeLessThan(2 * (note[0]!.margin + note[1]!.margin));
    expect(formatQualitySummary(result.quality!)).toMatch(/synthetic public\.orders \(orders_customer_id_fkey\): [\d.]+ ± [\d.]+ children per parent \(95 %\), counted for a sample of 1000 of 5000 synthetic parents/);
    // The sampled customers' own mean (seed 42 happens to draw a sample 2.4 standard errors high), and the margin
    // 1.96 · sd / √n · √((N − n) / (N − 1)) of that sample.
    const [truth] = await env.source.query<{ mean: string; sd: string }>(
      `SELECT avg((id % 5) * 12)::text AS mean, stddev((id % 5) * 12)::text AS sd FROM (SELECT * FROM customer synth_row ORDER BY md5('synth:42:' || synth_row::text) LIMIT 1000) s`,
    );
    expect(note[0]!.meanChildren).toBeCloseTo(Number(truth!.mean), 6);
    expect(note[0]!.margin).toBeCloseTo((1.96 * Number(truth!.sd)) / Math.sqrt(1000) * Math.sqrt(4000 / 4999), 6);
    expect(Math.abs(note[0]!.meanChildren - 24)).toBeLessThan(2 * note[0]!.margin);
    expect(infos.some((m) => /public\.orders \(orders_customer_id_fkey\): [\d.]+ ± [\d.]+ children per parent \(95 %\), counted for a sample of 1000 of 5000/.test(m))).toBe(true);
    expect(formatQualitySummary(result.quality!)).toMatch(/Scored on a sample of at most 1000 rows per table and side/);
    expect(formatQualitySummary(result.quality!)).toMatch(/public\.orders \(orders_customer_id_fkey\): [\d.]+ ± [\d.]+ children per parent \(95 %\)/);
    expect(readFileSync(result.reportPaths!.html, 'utf8')).toMatch(/Scored on a sample of at most 1000 rows per table and side.*children per parent \(95 %\)/s);

    // The generated customers without orders are about a fifth, as in the source.
    const [row] = await env.target.query<{ none: string; total: string }>(
      `SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id))::text AS none, count(*)::text AS total FROM customer c`,
    );
    expect(Number(row!.none) / Number(row!.total)).toBeGreaterThan(0.15);
    expect(Number(row!.none) / Number(row!.total)).toBeLessThan(0.25);
  }, 300_000);
});
