/**
 * The copy filters judge the row the target gets: the row-local data rules (apply-rules.ts `rowLocal`: a region the
 * location fakes draw from the row's country) run after the filters, so a row checked as drawn can become a real
 * customer's again. Northwind-shaped: customers compared on (contact_title, region, country), every real Brazilian
 * customer's region one the rule draws.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import type { RowLocalRules } from '../../../src/generation/apply-rules.js';
import type { GeneratedBatch } from '../../../src/generation/generate.js';
import type { ColumnMeta, Rng, TableSample } from '../../../src/generation/model.js';
import { PrivacyRun } from '../../../src/generation/privacy/privacy-run.js';
import { createRng } from '../../../src/generation/rng.js';
import type { Table } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { PrivacyFilter } from '../../../src/validation/privacy/filters.js';

const ref = { schema: 'public', name: 'customers' };
const text = { kind: 'text', maxLength: null } as const;
const table = {
  ...ref,
  columns: ['customer_id', 'contact_title', 'region', 'country'].map((name) => ({ name, type: name === 'customer_id' ? { kind: 'integer', bits: 32 } : text, nullable: name === 'region' })),
  primaryKey: { columns: ['customer_id'] },
  foreignKeys: [],
  uniques: [],
  checks: [],
  indexes: [],
} as unknown as Table;
const columns = ['customer_id', 'contact_title', 'region', 'country'];
const compared = ['contact_title', 'region', 'country'];
const TITLES = ['Sales Agent', 'Owner', 'Marketing Manager'];

/** Every (title, SP|RJ, Brazil) a real customer's; Germans have no region and only one title. */
function realCustomers(): Row[] {
  const rows: Row[] = [];
  for (const title of TITLES) for (const region of ['SP', 'RJ']) rows.push([rows.length + 1, title, region, 'Brazil']);
  for (let i = 0; i < 6; i++) rows.push([rows.length + 1, 'Order Administrator', null, 'Germany']);
  return rows;
}

/** What the location fakes do here: a Brazilian row's region is SP or RJ by its index, a German one has none. */
const location: RowLocalRules = {
  writes: new Set(['region']),
  reads: new Set(['country']),
  apply(rows, start) {
    rows.forEach((row, r) => (row[2] = row[3] === 'Brazil' ? ((start + r) % 2 === 0 ? 'SP' : 'RJ') : null));
  },
};

/** The model draws Brazilians with no region (no real row: the filter as drawn passes them) and real titles. */
const model = {
  columns: compared,
  sample(n: number, _context: Row[] | null, rng: Rng): Row[] {
    return Array.from({ length: n }, () => [TITLES[rng.int(TITLES.length)]!, null, 'Brazil']);
  },
};

async function filtered(withRules: boolean): Promise<{ rows: Row[]; run: PrivacyRun }> {
  const config = parseConfig({ source: { url: 'postgresql://x@127.0.0.1/src' }, targets: { dev: { url: 'postgresql://x@127.0.0.1/none' } }, filters: { enabled: true } });
  const run = PrivacyRun.forConfig(config, {})!;
  const sample: TableSample = { table: ref, totalRows: 12, columns, rows: realCustomers() };
  run.remember(new Map([['public.customers', sample]]));
  const meta: ColumnMeta[] = compared.map((column) => ({ table: ref, column, role: 'categorical' }));
  const rng = createRng(5);
  const drawn = Array.from({ length: 40 }, (_, i) => [1000 + i, ...model.sample(1, null, rng)[0]!]);
  const batches = (async function* (): AsyncIterable<GeneratedBatch> {
    yield { columns, rows: drawn.slice(0, 20), ...(withRules ? { rowLocal: () => location } : {}) };
    yield { columns, rows: drawn.slice(20), ...(withRules ? { rowLocal: () => location } : {}) };
  })();
  const rows: Row[] = [];
  for await (const b of run.filterRows(table, meta, model, batches, createRng(9))) rows.push(...b.rows);
  return { rows, run };
}

describe('copy filters on the rows the data rules leave', () => {
  it('redraws or recategorizes a row that the location fakes would turn into a real customer, keeping its country', async () => {
    const { rows, run } = await filtered(true);
    expect(rows).toHaveLength(40);
    // As the load's conform step leaves them.
    location.apply(rows, 0);
    const real = new PrivacyFilter({ columns, rows: realCustomers() }, { columns: compared.map((name) => ({ name, kind: 'categorical' as const })), matchTolerance: 0.01 });
    expect(rows.filter((r) => real.classify(r, columns) !== null)).toEqual([]);
    // The way out was the title, never the country the region is drawn from (nor the region, drawn over anyway).
    expect(rows.every((r) => r[3] === 'Brazil')).toBe(true);
    const report = run.result().filters['public.customers']!;
    expect(report.regenerated).toBeGreaterThan(0);
    expect(report.recategorized ?? 0).toBeGreaterThan(0);
    expect(report.unresolved).toBe(0);
  });

  it('without the rules the same rows pass as drawn (what the target got before: real customers)', async () => {
    const { rows, run } = await filtered(false);
    location.apply(rows, 0);
    const real = new PrivacyFilter({ columns, rows: realCustomers() }, { columns: compared.map((name) => ({ name, kind: 'categorical' as const })), matchTolerance: 0.01 });
    expect(run.result().filters['public.customers']!.regenerated).toBe(0);
    expect(rows.filter((r) => real.classify(r, columns) !== null).length).toBe(40);
  });
});
