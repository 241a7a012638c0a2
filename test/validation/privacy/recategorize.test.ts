/**
 * PrivacyFilter.recategorize: a copy made of categories alone (northwind's customers compare a job title, a region and
 * a country; the learned model replays their real combinations) gets one category changed so it matches no real row.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/generation/rng.js';
import type { Row } from '../../../src/schema/values.js';
import { PrivacyFilter } from '../../../src/validation/privacy/filters.js';

const TITLES = ['Owner', 'Sales Representative', 'Marketing Manager', 'Accounting Manager', 'Sales Agent', 'Order Administrator'];
const PLACES: Array<[string | null, string]> = [
  [null, 'Germany'], [null, 'Mexico'], [null, 'UK'], [null, 'France'], ['SP', 'Brazil'], ['RJ', 'Brazil'], ['WA', 'USA'],
  ['OR', 'USA'], ['BC', 'Canada'], [null, 'Spain'], [null, 'Sweden'], [null, 'Italy'],
];
const columns = ['customer_id', 'contact_title', 'region', 'country'];

/** 91 customers as northwind spreads them: most (title, region, country) combinations held by one customer. */
function customers(): Row[] {
  const rng = createRng(7);
  return Array.from({ length: 91 }, (_, i) => {
    const [region, country] = PLACES[rng.int(PLACES.length)]!;
    return [i + 1, TITLES[Math.min(TITLES.length - 1, Math.floor(rng.next() ** 2 * TITLES.length))]!, region, country];
  });
}

const filterOf = (rows: Row[]) =>
  new PrivacyFilter(
    { columns, rows },
    { columns: ['contact_title', 'region', 'country'].map((name) => ({ name, kind: 'categorical' as const })), matchTolerance: 0.01 },
  );

describe('PrivacyFilter.recategorize', () => {
  it('changes one category of each replayed customer so none matches a real one, spread over the column’s values', () => {
    const real = customers();
    const filter = filterOf(real);
    const copies = real.map((r) => [1000 + (r[0] as number), ...r.slice(1)]);
    const rng = createRng(11);
    let changed = 0;
    for (const row of copies) {
      const before = [...row];
      if (filter.recategorize(row, columns, rng.next())) changed++;
      // Exactly one compared column moved, to a value a real row holds.
      const moved = [1, 2, 3].filter((j) => row[j] !== before[j]);
      expect(moved.length).toBeLessThanOrEqual(1);
      for (const j of moved) expect(real.some((r) => r[j] === row[j])).toBe(true);
    }
    expect(changed).toBe(real.length);
    expect(copies.filter((r) => filter.classify(r, columns) !== null)).toEqual([]);
    // The first of the fewest-valued columns is the title: it moves, and the place (a region tied to its country)
    // stays, unless every title at that place is a real customer's.
    const placeKept = copies.filter((r, i) => r[2] === real[i]![2] && r[3] === real[i]![3]).length;
    expect(placeKept).toBeGreaterThan(0.8 * real.length);
    // Drawn by frequency, not all pushed to one value: the moved titles spread over the column's values.
    const movedTo = new Set(copies.filter((r, i) => r[1] !== real[i]![1]).map((r) => r[1]));
    expect(movedTo.size).toBeGreaterThanOrEqual(4);
  });

  it('leaves a row that copies nothing, and one whose every alternative is a real row too', () => {
    const real = customers();
    const filter = filterOf(real);
    const fresh: Row = [5000, 'Owner', 'XX', 'Atlantis'];
    expect(filter.recategorize(fresh, columns, 0.5)).toBe(false);
    expect(fresh).toEqual([5000, 'Owner', 'XX', 'Atlantis']);
    // chinook's customers compare their country alone, and every country is some real customer's.
    const countries = ['USA', 'Canada', 'Brazil', 'France', 'Germany'];
    const byCountry = new PrivacyFilter({ columns: ['id', 'country'], rows: countries.map((c, i) => [i, c]) }, { columns: [{ name: 'country', kind: 'categorical' }], matchTolerance: 0.01 });
    const row: Row = [99, 'Brazil'];
    expect(byCountry.recategorize(row, ['id', 'country'], 0.3)).toBe(false);
    expect(row).toEqual([99, 'Brazil']);
  });
});
