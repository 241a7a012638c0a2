import { describe, expect, it } from 'vitest';
import { PrivacyFilter } from '../../../src/validation/privacy/filters.js';

const FOREVER = '9999-01-01';
const columns = ['salary', 'to_date'];
// 200 rows: dense salaries, every fifth one current.
const training = {
  columns,
  rows: Array.from({ length: 200 }, (_, i) => [40000 + i * 150, i % 5 === 0 ? FOREVER : `19${String(86 + (i % 12)).padStart(2, '0')}-06-0${1 + (i % 9)}`]),
};
const filter = () =>
  new PrivacyFilter(training, { columns: [{ name: 'salary', kind: 'numeric', step: 1 }, { name: 'to_date', kind: 'datetime' }], matchTolerance: 0.01 });

describe('PrivacyFilter markers', () => {
  it('names the columns holding a marker and tells marker values apart', () => {
    const f = filter();
    expect(f.markedColumns()).toEqual(['to_date']);
    expect(f.isMarker('to_date', FOREVER)).toBe(true);
    expect(f.isMarker('to_date', '1990-06-01')).toBe(false);
    expect(f.isMarker('salary', 40000)).toBe(false);
  });

  it('a current row with a dense salary cannot be nudged out of its copies, but is moved off an exact copy', () => {
    const f = filter();
    const row = [40000 + 10 * 150, FOREVER];
    expect(f.classify(row, columns)).toBe('exact');
    expect(f.escape([...row], columns)).toBe(false);
    expect(f.unexact(row, columns)).toBe(true);
    // One salary step away, the marker untouched: still within 1 % of a real current row, never equal to one.
    expect(row).toEqual([40000 + 10 * 150 + 1, FOREVER]);
    expect(f.classify(row, columns)).toBe('near');
    expect(f.unexact(row, columns)).toBe(false);
  });

  it('leaves a row of markers alone', () => {
    const f = new PrivacyFilter(training, { columns: [{ name: 'to_date', kind: 'datetime' }], matchTolerance: 0.01 });
    const row = [1, FOREVER];
    expect(f.unexact(row, columns)).toBe(false);
    expect(row).toEqual([1, FOREVER]);
  });
});
