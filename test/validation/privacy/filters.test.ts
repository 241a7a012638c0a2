import { describe, expect, it } from 'vitest';
import { filterRows, PrivacyFilter, type FilterColumn } from '../../../src/validation/privacy/filters.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase } from '../../support/databases.js';

const COLUMNS: FilterColumn[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'income', kind: 'numeric' },
  { name: 'joined', kind: 'datetime' },
  { name: 'plan', kind: 'categorical' },
  { name: 'country', kind: 'categorical' },
];

describe('filterRows on a real training table', () => {
  it('removes planted exact copies, near copies and outliers, and keeps genuinely new rows', async () => {
    const db = await createPgDatabase('priv_filter');
    try {
      await db.exec(`
        CREATE TABLE members (id serial PRIMARY KEY, age int, income numeric(12,2), joined date, plan text, country text);
        INSERT INTO members (age, income, joined, plan, country)
          SELECT 18 + (g * 7919) % 60, round((20000 + (g * 104729) % 80000)::numeric, 2),
                 date '2015-01-01' + (g * 31) % 3000,
                 (ARRAY['free','pro','team'])[1 + g % 3], (ARRAY['DE','FR','US','IT'])[1 + (g / 3) % 4]
          FROM generate_series(1, 2000) g;`);
      const training = await db.query<Record<string, unknown>>(
        `SELECT age, income::text AS income, to_char(joined, 'YYYY-MM-DD') AS joined, plan, country FROM members`,
      );
      const cols = COLUMNS.map((c) => c.name);
      const trainBatch: RowBatch = { columns: cols, rows: training.map((r) => cols.map((c) => r[c] as Row[number])) };

      const rng = SecureRandom.seededForTests('filters');
      const synthetic: Row[] = [];
      // 50 exact copies (decimal written differently: 12.5 vs "12.50" is still a copy).
      for (let i = 0; i < 50; i++) {
        const t = trainBatch.rows[rng.int(trainBatch.rows.length)]!;
        synthetic.push([t[0]!, Number(t[1]), t[2]!, t[3]!, t[4]!]);
      }
      // 40 near copies: a tiny nudge of income only.
      for (let i = 0; i < 40; i++) {
        const t = trainBatch.rows[rng.int(trainBatch.rows.length)]!;
        synthetic.push([t[0]!, (Number(t[1]) + 3.17).toFixed(2), t[2]!, t[3]!, t[4]!]);
      }
      // 30 outliers: impossible ages or an unseen plan.
      for (let i = 0; i < 30; i++) {
        const t = trainBatch.rows[rng.int(trainBatch.rows.length)]!;
        synthetic.push(i % 2 === 0 ? [150 + i, t[1]!, t[2]!, t[3]!, t[4]!] : [t[0]!, t[1]!, t[2]!, 'enterprise', t[4]!]);
      }
      // 200 fresh random rows; the few that land near a training row by chance are counted by brute force below.
      let fresh = 0;
      while (fresh < 200) {
        const row: Row = [18 + rng.int(60), (20000 + rng.next() * 80000).toFixed(2), `20${15 + rng.int(8)}-0${1 + rng.int(9)}-1${rng.int(9)}`, ['free', 'pro', 'team'][rng.int(3)]!, ['DE', 'FR', 'US', 'IT'][rng.int(4)]!];
        synthetic.push(row);
        fresh++;
      }
      const result = filterRows(trainBatch, { columns: cols, rows: synthetic }, { columns: COLUMNS, nearThreshold: 0.01 });
      expect(result.counts.exactCopies).toBe(50);
      expect(result.counts.outliers).toBe(30);
      // The 40 planted near copies, plus any random row that happens to land within 1% (checked by brute force).
      const brute = bruteNear(trainBatch, synthetic.slice(120), 0.01);
      expect(result.counts.nearCopies).toBe(40 + brute);
      expect(result.counts.kept).toBe(200 - brute);
      expect(result.counts.total).toBe(synthetic.length);
      expect(result.rows).toHaveLength(result.counts.kept);
    } finally {
      await db.drop();
    }
  });
});

/** Brute-force count of rows within `t` (mean normalized distance) of some training row. */
function bruteNear(train: RowBatch, rows: Row[], t: number): number {
  const num = [0, 1];
  const ranges = num.map((j) => {
    const v = train.rows.map((r) => Number(r[j]));
    return Math.max(...v) - Math.min(...v);
  });
  const dates = train.rows.map((r) => Date.parse(String(r[2])));
  const dateRange = Math.max(...dates) - Math.min(...dates);
  let n = 0;
  for (const s of rows) {
    const hit = train.rows.some((r) => {
      let d = 0;
      num.forEach((j, k) => (d += Math.min(1, Math.abs(Number(s[j]) - Number(r[j])) / ranges[k]!)));
      d += Math.min(1, Math.abs(Date.parse(String(s[2])) - Date.parse(String(r[2]))) / dateRange);
      d += s[3] === r[3] ? 0 : 1;
      d += s[4] === r[4] ? 0 : 1;
      return d / 5 <= t;
    });
    if (hit) n++;
  }
  return n;
}

describe('PrivacyFilter near-copy search', () => {
  it('agrees with brute force on random mixed data, with and without categorical blocking', () => {
    const rng = SecureRandom.seededForTests('brute');
    const cols = ['a', 'b', 'c', 'k'];
    const spec: FilterColumn[] = [
      { name: 'a', kind: 'numeric' },
      { name: 'b', kind: 'numeric' },
      { name: 'c', kind: 'numeric' },
      { name: 'k', kind: 'categorical' },
    ];
    const mk = (): Row => [rng.next() * 10, rng.next() * 10, rng.int(5), ['x', 'y'][rng.int(2)]!];
    const train: RowBatch = { columns: cols, rows: Array.from({ length: 1500 }, mk) };
    const synth: Row[] = Array.from({ length: 500 }, mk);
    for (const threshold of [0.02, 0.3]) {
      const f = new PrivacyFilter(train, { columns: spec, nearThreshold: threshold, outlierMargin: null });
      const ranges = [0, 1, 2].map((j) => {
        const v = train.rows.map((r) => r[j] as number);
        return Math.max(...v) - Math.min(...v);
      });
      let expected = 0;
      for (const s of synth) {
        const hit = train.rows.some((r) => {
          let d = 0;
          for (let j = 0; j < 3; j++) d += Math.min(1, Math.abs((s[j] as number) - (r[j] as number)) / ranges[j]!);
          d += s[3] === r[3] ? 0 : 1;
          return d / 4 <= threshold;
        });
        if (hit) expected++;
      }
      const got = f.filterBatch({ columns: cols, rows: synth }).counts.nearCopies;
      expect(got).toBe(expected);
      expect(expected).toBeGreaterThan(0);
    }
  });

  it('flags rows with no training row nearby when outlierDistance is set, and streams batches', async () => {
    const train: RowBatch = { columns: ['x', 'k'], rows: Array.from({ length: 100 }, (_, i) => [i % 10 < 5 ? i : i + 1000, 'a']) };
    const f = new PrivacyFilter(train, {
      columns: [{ name: 'x', kind: 'numeric' }, { name: 'k', kind: 'categorical' }],
      nearThreshold: 0,
      outlierDistance: 0.05,
    });
    async function* batches(): AsyncGenerator<RowBatch> {
      yield { columns: ['k', 'x'], rows: [['a', 3.5], ['a', 600]] };
      yield { columns: ['k', 'x'], rows: [['a', 1003.5]] };
    }
    const out: Row[] = [];
    for await (const b of f.filterStream(batches())) out.push(...b.rows);
    // 600 sits in the gap between the two training clusters: in range, but no training row near it.
    expect(out).toEqual([['a', 3.5], ['a', 1003.5]]);
    expect(f.totals).toEqual({ total: 3, kept: 2, exactCopies: 0, nearCopies: 0, outliers: 1 });
  });

  it('scales: 20k training rows x 20k synthetic rows in seconds', () => {
    const rng = SecureRandom.seededForTests('scale');
    const cols = ['a', 'b', 'c', 'd', 'k', 'l'];
    const spec: FilterColumn[] = [
      ...['a', 'b', 'c', 'd'].map((name) => ({ name, kind: 'numeric' as const })),
      { name: 'k', kind: 'categorical' },
      { name: 'l', kind: 'categorical' },
    ];
    const mk = (): Row => [rng.normal(), rng.normal() * 5, rng.next(), rng.int(100), `k${rng.int(8)}`, `l${rng.int(5)}`];
    const train: RowBatch = { columns: cols, rows: Array.from({ length: 20000 }, mk) };
    const synth: RowBatch = { columns: cols, rows: Array.from({ length: 20000 }, mk) };
    synth.rows.push(...train.rows.slice(0, 100));
    const t0 = performance.now();
    const r = filterRows(train, synth, { columns: spec, nearThreshold: 0.01 });
    const ms = performance.now() - t0;
    expect(r.counts.exactCopies).toBe(100);
    expect(ms).toBeLessThan(20000);
    console.log(`filters: 20k x 20k in ${ms.toFixed(0)} ms, counts ${JSON.stringify(r.counts)}`);
  });
});

describe('PrivacyFilter with SDMetrics tolerance (matchTolerance) and escape', () => {
  it('flags exactly what NewRowSynthesis counts as a copy, and nudged rows become new without leaving the range', async () => {
    const { newRowSynthesis } = await import('../../../src/validation/quality/diagnostics.js');
    const db = await createPgDatabase('priv_filter_nrs');
    try {
      // Like world.city / countrylanguage: one dense numeric attribute (every plausible value is within 1 % of a
      // real one) plus a few categories, and a 1-decimal percentage.
      await db.exec(`
        CREATE TABLE city (id serial PRIMARY KEY, kind text, population int, share numeric(4,1));
        INSERT INTO city (kind, population, share)
          SELECT (ARRAY['a','b'])[1 + g % 2], 1000 + (g * 7919) % 50000, ((g * 37) % 1000) / 10.0
          FROM generate_series(1, 3000) g;`);
      const training = await db.query<Record<string, unknown>>(`SELECT kind, population, share::text AS share FROM city`);
      const cols = ['kind', 'population', 'share'];
      const train: RowBatch = { columns: cols, rows: training.map((r) => cols.map((c) => r[c] as Row[number])) };
      const spec: FilterColumn[] = [
        { name: 'kind', kind: 'categorical' },
        { name: 'population', kind: 'numeric', step: 1 },
        { name: 'share', kind: 'numeric', step: 0.1 },
      ];
      const filter = new PrivacyFilter(train, { columns: spec, matchTolerance: 0.01 });
      const rng = SecureRandom.seededForTests('nrs');
      // Plausible rows: most land within 1 % of some real row on both numeric columns.
      const synth: Row[] = Array.from({ length: 2000 }, () => [
        rng.int(2) === 0 ? 'a' : 'b',
        1000 + rng.int(50000),
        (rng.int(1000) / 10).toFixed(1),
      ]);
      const asTable = (rows: Row[]) => ({ columns: cols, rows: rows.map((r) => [...r] as Array<string | number | null>) });
      const sdtypes = { kind: 'categorical', population: 'numerical', share: 'numerical' } as const;
      const before = newRowSynthesis(asTable(train.rows), asTable(synth), 'city', sdtypes, 0.01, 100_000);
      const verdicts = synth.map((r) => filter.classify(r, cols));
      const flagged = verdicts.filter((v) => v === 'exact' || v === 'near').length;
      // The filter's copies are exactly SDMetrics' copies.
      expect(flagged).toBe(before.checkedRows - before.newRows);
      expect(flagged).toBeGreaterThan(100);

      let escaped = 0;
      for (let i = 0; i < synth.length; i++) if (verdicts[i] !== null && filter.escape(synth[i]!, cols)) escaped++;
      const after = newRowSynthesis(asTable(train.rows), asTable(synth), 'city', sdtypes, 0.01, 100_000);
      expect(escaped).toBe(flagged);
      expect(after.score).toBe(1);
      for (const r of synth) {
        expect(Number.isInteger(r[1])).toBe(true);
        expect(r[1] as number).toBeGreaterThanOrEqual(1000);
        expect(r[1] as number).toBeLessThanOrEqual(51000);
        expect(r[2]).toMatch(/^\d+\.\d$/);
        expect(Number(r[2])).toBeGreaterThanOrEqual(0);
        expect(Number(r[2])).toBeLessThanOrEqual(99.9);
      }
    } finally {
      await db.drop();
    }
  });
});

describe('PrivacyFilter.escape at scale', () => {
  it('nudges 50k copies of a 20k-row dense single-column table in seconds, every one out of all bands', () => {
    const rng = SecureRandom.seededForTests('escape-scale');
    const cols = ['n'];
    const train: RowBatch = { columns: cols, rows: Array.from({ length: 20_000 }, () => [1000 + rng.int(1_000_000)]) };
    const f = new PrivacyFilter(train, { columns: [{ name: 'n', kind: 'numeric', step: 1 }], matchTolerance: 0.01 });
    const synth: Row[] = Array.from({ length: 50_000 }, () => [train.rows[rng.int(train.rows.length)]![0]!]);
    const t0 = performance.now();
    let escaped = 0;
    for (const r of synth) if (f.escape(r, cols)) escaped++;
    const ms = performance.now() - t0;
    expect(escaped).toBe(synth.length);
    // Brute force on a slice: no training value within 1 % of a nudged value.
    const real = train.rows.map((r) => r[0] as number);
    for (const r of synth.slice(0, 300)) {
      const v = r[0] as number;
      expect(Number.isInteger(v)).toBe(true);
      expect(real.some((x) => Math.abs(x - v) <= 0.01 * Math.abs(v))).toBe(false);
    }
    expect(ms).toBeLessThan(20_000);
    console.log(`escape: 50k rows against 20k training rows in ${ms.toFixed(0)} ms`);
  });
});

describe('PrivacyFilter on date columns (matchTolerance × range, not × value)', () => {
  it('flags only rows within 1 % of the range on each date of a real row, agrees with NewRowSynthesis, and nudges them out by whole days', async () => {
    const { newRowSynthesis } = await import('../../../src/validation/quality/diagnostics.js');
    const db = await createPgDatabase('priv_filter_dates');
    try {
      // Rentals over a year: twelve stores, a rental date and a due date up to ten months later.
      await db.exec(`
        CREATE TABLE rental (id serial PRIMARY KEY, store text, rented date, due date);
        INSERT INTO rental (store, rented, due)
          SELECT 's' || (g % 12), date '2024-01-01' + (g * 7919) % 366, date '2024-01-01' + (g * 7919) % 366 + 1 + (g * 104729) % 300
          FROM generate_series(1, 3000) g;`);
      const training = await db.query<Record<string, unknown>>(`SELECT store, rented::text AS rented, due::text AS due FROM rental`);
      const cols = ['store', 'rented', 'due'];
      const train: RowBatch = { columns: cols, rows: training.map((r) => cols.map((c) => r[c] as Row[number])) };
      const spec: FilterColumn[] = [
        { name: 'store', kind: 'categorical' },
        { name: 'rented', kind: 'datetime' },
        { name: 'due', kind: 'datetime' },
      ];
      const day = (s: Row[number]): number => Date.parse(`${String(s)}T00:00:00Z`) / 86_400_000;
      const iso = (d: number): string => new Date(d * 86_400_000).toISOString().slice(0, 10);
      const rng = SecureRandom.seededForTests('dates');
      const start = day('2024-01-01');
      // Drawn like the source (not copies of it), plus 40 exact and 40 near copies (each date moved by a day or two).
      const synth: Row[] = Array.from({ length: 1000 }, () => {
        const rented = start + rng.int(366);
        return [`s${rng.int(12)}`, iso(rented), iso(rented + 1 + rng.int(300))];
      });
      for (let i = 0; i < 80; i++) {
        const t = train.rows[rng.int(train.rows.length)]!;
        synth.push(i < 40 ? [...t] : [t[0]!, iso(day(t[1]!) + 1 + rng.int(2)), iso(day(t[2]!) - 1 - rng.int(2))]);
      }
      const real = train.rows.map((r) => [r[0], day(r[1]!), day(r[2]!)] as const);
      const range = (j: 1 | 2): number => Math.max(...real.map((r) => r[j])) - Math.min(...real.map((r) => r[j]));
      const bands = [0.01 * range(1), 0.01 * range(2)];
      const copies = (rows: Row[], within: (v: number, rv: number, j: 0 | 1) => boolean): number =>
        rows.filter((s) => real.some((r) => r[0] === s[0] && within(day(s[1]!), r[1], 0) && within(day(s[2]!), r[2], 1))).length;
      // SDMetrics' rule on epoch values: 1 % of the value is about 200 days around 2024, so nearly everything matches.
      const byValue = copies(synth, (v, rv) => Math.abs(rv - v) <= 0.01 * Math.abs(v));
      const byRange = copies(synth, (v, rv, j) => Math.abs(rv - v) <= bands[j]!);
      expect(byValue).toBeGreaterThan(0.95 * synth.length);
      expect(byRange).toBeGreaterThanOrEqual(80);
      expect(byRange).toBeLessThan(0.3 * synth.length);
      console.log(`dates: ${byValue} of ${synth.length} rows match by value, ${byRange} within 1 % of the range`);

      const filter = new PrivacyFilter(train, { columns: spec, matchTolerance: 0.01 });
      const verdicts = synth.map((r) => filter.classify(r, cols));
      const flagged = verdicts.filter((v) => v === 'exact' || v === 'near').length;
      expect(flagged).toBe(byRange);
      const asTable = (rows: Row[]) => ({ columns: cols, rows: rows.map((r) => [...r] as Array<string | number | null>) });
      const sdtypes = { store: 'categorical', rented: 'datetime', due: 'datetime' } as const;
      const nrs = newRowSynthesis(asTable(train.rows), asTable(synth), 'rental', sdtypes, 0.01, 100_000);
      expect(nrs.checkedRows - nrs.newRows).toBe(byRange);
      expect(nrs.datetimeTolerance).toBe(0.01);

      let escaped = 0;
      for (let i = 0; i < synth.length; i++) if (verdicts[i] !== null && filter.escape(synth[i]!, cols)) escaped++;
      expect(escaped).toBe(flagged);
      expect(copies(synth, (v, rv, j) => Math.abs(rv - v) <= bands[j]!)).toBe(0);
      expect(newRowSynthesis(asTable(train.rows), asTable(synth), 'rental', sdtypes, 0.01, 100_000).score).toBe(1);
      const lo = Math.min(...real.map((r) => r[1]));
      const hi = Math.max(...real.map((r) => r[2]));
      for (const r of synth) {
        expect(r[1]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(r[2]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(day(r[1]!)).toBeGreaterThanOrEqual(lo);
        expect(day(r[2]!)).toBeLessThanOrEqual(hi);
      }
    } finally {
      await db.drop();
    }
  });

  it('nudges a timestamptz by whole seconds and keeps its "+00" shape', async () => {
    const db = await createPgDatabase('priv_filter_ts');
    try {
      await db.exec(`
        CREATE TABLE visit (id serial PRIMARY KEY, at timestamptz);
        INSERT INTO visit (at) SELECT timestamptz '2024-01-01 00:00:00+00' + ((g * 7919) % 86400) * interval '1 second' FROM generate_series(1, 500) g;`);
      const rows = await db.query<{ at: string }>(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' AS at FROM visit`);
      const train: RowBatch = { columns: ['at'], rows: rows.map((r) => [r.at]) };
      const f = new PrivacyFilter(train, { columns: [{ name: 'at', kind: 'datetime' }], matchTolerance: 0.001 });
      // A copy of the first visit: 0.1 % of a day's range is 86 seconds around it.
      const copy: Row = [train.rows[0]![0]!];
      expect(f.classify(copy, ['at'])).toBe('exact');
      expect(f.escape(copy, ['at'])).toBe(true);
      expect(copy[0]).toMatch(/^2024-01-01 \d{2}:\d{2}:\d{2}\+00$/);
      expect(f.classify(copy, ['at'])).toBeNull();
      const moved = Date.parse(String(copy[0]).replace(' ', 'T').replace('+00', 'Z'));
      const nearest = Math.min(...train.rows.map((r) => Math.abs(Date.parse(String(r[0]).replace(' ', 'T').replace('+00', 'Z')) - moved)));
      expect(nearest).toBeGreaterThan(86_400 * 0.001 * 1000);
    } finally {
      await db.drop();
    }
  });

  it("never nudges a marker date (to_date = '9999-01-01' on most rows): the copy moves its from_date instead", () => {
    // employees' history rows: two thirds are current, to_date = 9999-01-01, above every real date.
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => {
      const from = new Date(Date.UTC(1990, 0, 1) + ((i * 7919) % 3650) * 86_400_000).toISOString().slice(0, 10);
      const to = i % 3 === 0 ? new Date(Date.UTC(1990, 0, 1) + (((i * 7919) % 3650) + 200) * 86_400_000).toISOString().slice(0, 10) : '9999-01-01';
      return [from, to];
    });
    const cols = ['from_date', 'to_date'];
    const f = new PrivacyFilter({ columns: cols, rows }, { columns: cols.map((name) => ({ name, kind: 'datetime' as const })), matchTolerance: 0.01 });
    const copy: Row = [...rows[1]!];
    expect(f.classify(copy, cols)).toBe('exact');
    expect(f.escape(copy, cols)).toBe(true);
    expect(copy[1]).toBe('9999-01-01');
    expect(copy[0]).not.toBe(rows[1]![0]);
    // A row whose only compared value is the marker tells no one apart: no copy, kept as drawn.
    const only = new PrivacyFilter({ columns: ['to_date'], rows: rows.map((r) => [r[1]!]) }, { columns: [{ name: 'to_date', kind: 'datetime' }], matchTolerance: 0.01 });
    expect(only.classify(['9999-01-01'], ['to_date'])).toBeNull();
    expect(only.classify([rows[0]![1]!], ['to_date'])).toBe('exact');
  });
});

describe('PrivacyFilter.variety', () => {
  it('counts the distinct rows few columns allow, and is null exactly when their product passes 10 000', () => {
    // Distinct values per column as brute force counts them (Set semantics: NULL is one value, -0 = 0).
    const brute = (rows: Row[], n: number): number[] => Array.from({ length: n }, (_, c) => new Set(rows.map((r) => r[c])).size);
    const cases: Array<{ levels: number[]; rows: number }> = [
      { levels: [3, 4, 5], rows: 2000 },
      { levels: [7, 1400, 3], rows: 20_000 },
      { levels: [7, 1500], rows: 20_000 },
      { levels: [2, 12_000], rows: 20_000 },
      { levels: [200, 60], rows: 20_000 },
      { levels: [2, 5000], rows: 20_000 },
    ];
    for (const { levels, rows } of cases) {
      const train: RowBatch = {
        columns: ['c', 'n', 'm'].slice(0, levels.length),
        // Column 0 categorical, the others numbers around 0 (so -0/0 and a NULL level occur), all levels reached.
        rows: Array.from({ length: rows }, (_, i) =>
          levels.map((l, c) => {
            const x = (i * 7919 + c * 13) % l;
            return c === 0 ? `k${x}` : c === 2 && x === 0 ? null : x - Math.floor(l / 2) === 0 && i % 2 ? -0 : x - Math.floor(l / 2);
          }),
        ),
      };
      const columns: FilterColumn[] = train.columns.map((name, c) => ({ name, kind: c === 0 ? 'categorical' : 'numeric' }));
      const f = new PrivacyFilter(train, { columns, matchTolerance: 0.01 });
      const values = brute(train.rows, levels.length);
      const possible = values.reduce((a, b) => a * b, 1);
      const v = f.variety();
      if (possible > 10_000) expect(v, `${levels}`).toBeNull();
      else {
        expect(v).toEqual({ columns: train.columns, values, possible, inSource: new Set(train.rows.map((r) => r.map(String).join(','))).size });
      }
    }
  });
});

describe('PrivacyFilter nudges on a decimal step', () => {
  it('moves a copied amount to a value on its 0.01 grid (as toFixed would round it), for numbers and decimal texts', () => {
    // Two dense amount columns, as TPC-H's partsupp (available quantity, supply cost): most draws copy a real row.
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const cols: FilterColumn[] = [
      { name: 'qty', kind: 'numeric', step: 1 },
      { name: 'cost', kind: 'numeric', step: 0.01 },
    ];
    const train: Row[] = Array.from({ length: 2000 }, () => [1 + Math.floor(rnd() * 9999), Number((1 + rnd() * 999).toFixed(2))]);
    const f = new PrivacyFilter({ columns: ['qty', 'cost'], rows: train }, { columns: cols, matchTolerance: 0.01 });
    let moved = 0;
    for (let i = 0; i < 2000; i++) {
      const asText = i % 2 === 0;
      const cost = (1 + rnd() * 999).toFixed(2);
      const row: Row = [1 + Math.floor(rnd() * 9999), asText ? cost : Number(cost)];
      const before = [...row];
      if (f.classify(row, ['qty', 'cost']) === null || !f.escape(row, ['qty', 'cost'])) continue;
      if (row[1] !== before[1]) {
        moved++;
        const v = Number(row[1]);
        expect(Number(v.toFixed(2))).toBe(v);
        if (asText) expect(row[1]).toBe(v.toFixed(2));
      }
      expect(Number.isInteger(row[0])).toBe(true);
      expect(f.classify(row, ['qty', 'cost'])).toBeNull();
    }
    expect(moved).toBeGreaterThan(50);
  });
});
