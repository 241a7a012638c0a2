/**
 * Parity with SDMetrics' own expected numbers, on the fixtures its test-suite uses (transcribed into
 * test/fixtures/sdmetrics with their source noted).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { qualityReport } from '../../../src/validation/quality/index.js';
import type { QualityData, QualityMetadata, QualityReportOptions } from '../../../src/validation/quality/index.js';

interface Fixture {
  metadata: QualityMetadata;
  real: QualityData;
  synthetic: QualityData;
  thresholds?: QualityReportOptions;
}

function load<T extends Fixture>(name: string): T {
  const path = fileURLToPath(new URL(`../../fixtures/sdmetrics/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

describe('SDMetrics parity', () => {
  it('scores the evaluate_quality toy fixture exactly 0.9566297110928815', () => {
    const fx = load<Fixture & { expectedOverall: number }>('evaluate-quality-toy');
    const report = qualityReport(fx.real, fx.synthetic, fx.metadata);
    expect(report.overall).not.toBeNull();
    expect(Math.abs(report.overall! - 0.9566297110928815)).toBeLessThan(1e-12);
    expect(report.overall).toBe(fx.expectedOverall);
    const byName = Object.fromEntries(report.properties.map((p) => [p.name, p.score]));
    expect(byName['Column Shapes']).toBe(0.875);
    // One scorable column per table: no pairs, so the property is NaN and drops out of the mean.
    expect(byName['Column Pair Trends']).toBeNull();
    expect(byName['Cardinality']).toBe(1);
    expect(byName['Intertable Trends']).toBeCloseTo(0.9948891332786447, 14);
  });

  it('reproduces every detail of SDMetrics test_multi_table_quality_report (thresholds 0)', () => {
    type Expected = {
      overall: number;
      properties: number[];
      columnShapes: Array<[string, string, number]>;
      columnPairTrends: Array<[string, string, string, string, number, number | null, number | null]>;
      cardinality: Array<[string, string, string, number]>;
      intertableTrends: Array<[string, string, number]>;
    };
    const fx = load<Fixture & { expected: Expected }>('quality-report-four-properties');
    const r = qualityReport(fx.real, fx.synthetic, fx.metadata, fx.thresholds);
    const e = fx.expected;
    // SDMetrics asserts round(score, 15).
    expect(Number(r.overall!.toFixed(15))).toBe(e.overall);
    r.properties.forEach((p, i) => expect(p.score!).toBeCloseTo(e.properties[i]!, 14));
    expect(r.properties.map((p) => p.name)).toEqual(['Column Shapes', 'Column Pair Trends', 'Cardinality', 'Intertable Trends']);
    expect(r.columnShapes.map((s) => [s.table, s.column, s.score])).toEqual(e.columnShapes);
    expect(r.columnShapes.map((s) => s.metric)).toEqual(['TVComplement', 'TVComplement', 'TVComplement', 'KSComplement', 'KSComplement', 'KSComplement']);
    expect(r.columnPairTrends).toHaveLength(e.columnPairTrends.length);
    r.columnPairTrends.forEach((p, i) => {
      const [table, c1, c2, metric, score, realCorr, synCorr] = e.columnPairTrends[i]!;
      expect([p.table, p.column1, p.column2, p.metric]).toEqual([table, c1, c2, metric]);
      expect(p.score!).toBeCloseTo(score, 14);
      if (realCorr === null) expect(p.realCorrelation).toBeNull();
      else expect(p.realCorrelation!).toBeCloseTo(realCorr, 14);
      // SDMetrics' expected synthetic correlations are printed to 6 decimals.
      if (synCorr === null) expect(p.syntheticCorrelation).toBeNull();
      else expect(p.syntheticCorrelation!).toBeCloseTo(synCorr, 6);
      expect(p.meetsThreshold).toBe(true);
    });
    expect(r.cardinality.map((c) => [c.childTable, c.parentTable, c.foreignKey, c.score])).toEqual(e.cardinality);
    expect(r.intertableTrends.map((t) => [t.column1, t.column2, t.score])).toEqual(e.intertableTrends);
    expect(r.intertableTrends.every((t) => t.metric === 'ContingencySimilarity' && t.parentTable === 'table1' && t.childTable === 'table2')).toBe(true);
  });

  it("scores SDMetrics' multi-table demo (load_demo) exactly as test_quality_report_end_to_end expects", () => {
    const fx = load<Fixture & { expected: { overall: number; properties: number[] } }>('multi-table-demo');
    const r = qualityReport(fx.real, fx.synthetic, fx.metadata, fx.thresholds);
    expect(r.overall).toBe(fx.expected.overall);
    r.properties.forEach((p, i) => expect(p.score!).toBeCloseTo(fx.expected.properties[i]!, 14));
    // Nulls in a categorical column go through get_frequencies' regularisation, not as a category.
    expect(r.columnShapes.find((s) => s.column === 'gender')!.score).toBeCloseTo(0.6825396825396826, 15);
    expect(r.cardinality.map((c) => c.score)).toEqual([1, 0.8999999999999999]);
    // The report is plain JSON (NaN is carried as null), so it can be stored and rendered later.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    // SDMetrics' test_column_pair_trends_threshold_changes_details: the default thresholds only remove pairs.
    const byDefault = qualityReport(fx.real, fx.synthetic, fx.metadata);
    expect(byDefault.columnPairTrends.filter((p) => p.meetsThreshold === true).length).toBeLessThan(r.columnPairTrends.length);
  });

  it('applies the default real-data thresholds (|r| > 0.5, V > 0.3) to the pair properties', () => {
    const fx = load<Fixture>('quality-report-four-properties');
    const r = qualityReport(fx.real, fx.synthetic, fx.metadata);
    expect(r.info.realCorrelationThreshold).toBe(0.5);
    expect(r.info.realAssociationThreshold).toBe(0.3);
    // Numerical pairs all have |r| > 0.86 in the real data: still counted.
    for (const p of r.columnPairTrends.filter((x) => x.metric === 'CorrelationSimilarity')) expect(p.meetsThreshold).toBe(true);
    // Discrete pairs now carry the real Cramér's V, and only those above 0.3 count.
    for (const p of r.columnPairTrends.filter((x) => x.metric === 'ContingencySimilarity')) {
      expect(p.realAssociation).not.toBeNull();
      expect(p.meetsThreshold).toBe(p.realAssociation! > 0.3);
    }
    const counted = r.columnPairTrends.filter((p) => p.meetsThreshold === true);
    const mean = counted.reduce((a, p) => a + p.score!, 0) / counted.length;
    expect(r.properties[1]!.score).toBeCloseTo(mean, 15);
  });
});
