/** Report-level rules: input validation, NaN handling, property averaging and options. */
import { describe, expect, it } from 'vitest';
import { SynthError } from '../../../src/errors.js';
import { qualityReport } from '../../../src/validation/quality/index.js';
import type { QualityData, QualityMetadata } from '../../../src/validation/quality/index.js';

const meta: QualityMetadata = {
  tables: { t: { primaryKey: 'id', columns: { id: { sdtype: 'id' }, x: { sdtype: 'numerical' }, y: { sdtype: 'numerical' }, k: { sdtype: 'numerical' }, d: { sdtype: 'datetime' }, s: { sdtype: 'text' } } } },
  relationships: [],
};
const rows = (f: (i: number) => number): QualityData => ({
  t: {
    columns: ['id', 'x', 'y', 'k', 'd', 's'],
    rows: Array.from({ length: 20 }, (_, i) => [i, i, f(i), 7, `2024-01-${String(i + 1).padStart(2, '0')}`, `row ${i}`]),
  },
});

describe('qualityReport', () => {
  it('names the table and column when the data does not match the metadata', () => {
    const bad: QualityData = { t: { columns: ['id', 'x'], rows: [[1, 2]] } };
    try {
      qualityReport(bad, bad, meta);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SynthError);
      const err = e as SynthError;
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.table).toBe('t');
      expect(err.message).toContain('lacks column(s) y, k, d, s');
      expect(err.hint).toBeTruthy();
    }
    expect(() => qualityReport({}, {}, meta)).toThrow(/real data has no table "t"/);
    expect(() =>
      qualityReport(rows((i) => i), rows((i) => i), { ...meta, relationships: [{ parentTable: 't', parentPrimaryKey: 'id', childTable: 'u', childForeignKey: 'tid' }] }),
    ).toThrow(/names u\.tid/);
  });

  it('leaves constant columns and unparseable datetimes out of the averages, with a reason', () => {
    const real = rows((i) => i * 2);
    const synthetic = rows((i) => 40 - i);
    synthetic.t!.rows[3]![4] = 'yesterday';
    const r = qualityReport(real, synthetic, meta, { realCorrelationThreshold: 0 });
    const d = r.columnShapes.find((s) => s.column === 'd')!;
    expect(d.score).toBeNull();
    expect(d.error).toContain('t.d');
    expect(r.columnShapes.map((s) => s.column)).toEqual(['x', 'y', 'k', 'd']);
    const xy = r.columnPairTrends.find((p) => p.column1 === 'x' && p.column2 === 'y')!;
    expect(xy.realCorrelation).toBe(1);
    expect(xy.syntheticCorrelation).toBe(-1);
    expect(xy.score).toBe(0);
    const xk = r.columnPairTrends.find((p) => p.column1 === 'x' && p.column2 === 'k')!;
    expect(xk.score).toBeNull();
    expect(xk.error).toMatch(/constant/);
    // Only x–y is scorable (k is constant, d failed): the property is its score.
    expect(r.properties.find((p) => p.name === 'Column Pair Trends')!.score).toBe(0);
    // No relationships: both relationship properties are NaN and the overall averages the other two.
    expect(r.properties.find((p) => p.name === 'Cardinality')!.score).toBeNull();
    expect(r.properties.find((p) => p.name === 'Intertable Trends')!.score).toBeNull();
    expect(r.overall).toBeCloseTo((r.properties[0]!.score! + 0) / 2, 15);
  });

  it('drops pairs whose real correlation is weak from the average, and can use Spearman', () => {
    const real = rows((i) => (i % 2 ? 1 : -1) * (i % 5)); // no linear relation to x
    const synthetic = rows((i) => i);
    const r = qualityReport(real, synthetic, meta);
    const xy = r.columnPairTrends.find((p) => p.column1 === 'x' && p.column2 === 'y')!;
    expect(Math.abs(xy.realCorrelation!)).toBeLessThan(0.5);
    expect(xy.meetsThreshold).toBe(false);
    expect(xy.score).toBeNull();
    const counted = r.columnPairTrends.filter((p) => p.meetsThreshold === true && p.score !== null);
    expect(r.properties[1]!.score).toBe(counted.length ? counted.reduce((a, p) => a + p.score!, 0) / counted.length : null);
    const monotone = rows((i) => i ** 3);
    const s = qualityReport(monotone, monotone, meta, { correlationCoefficient: 'Spearman' });
    expect(s.columnPairTrends.find((p) => p.column1 === 'x' && p.column2 === 'y')!.realCorrelation).toBe(1);
  });
});

describe('assertQuality', () => {
  it('refuses a report below the minimum and names the weakest property and column', async () => {
    const { assertQuality } = await import('../../../src/validation/quality/index.js');
    const r = qualityReport(rows((i) => i * 2), rows((i) => 40 - i), meta, { realCorrelationThreshold: 0 });
    expect(() => assertQuality(r, 0.1)).not.toThrow();
    try {
      assertQuality(r, 0.99);
      expect.unreachable();
    } catch (e) {
      const err = e as SynthError;
      expect(err.code).toBe('QUALITY_BELOW_THRESHOLD');
      expect(err.exitCode).toBe(1);
      expect(err.message).toContain('weakest property: Column Pair Trends 33.33%');
      expect(err.message).toMatch(/weakest columns: t\.y \(KSComplement/);
      expect(err.table).toBe('t');
    }
  });
});
