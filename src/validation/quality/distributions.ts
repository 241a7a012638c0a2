/** Per-column real vs synthetic summaries for the HTML plots (shares of rows, never raw values). */
import { columnCells, continuousColumn, discreteKey, keyLabel } from './cells.js';
import type { ColumnDistribution, QualityData, QualityMetadata } from './types.js';

const BINS = 20;
const TOP = 12;

export function distributions(real: QualityData, synthetic: QualityData, metadata: QualityMetadata): ColumnDistribution[] {
  const out: ColumnDistribution[] = [];
  for (const [table, meta] of Object.entries(metadata.tables)) {
    for (const [column, { sdtype }] of Object.entries(meta.columns)) {
      if (sdtype === 'numerical' || sdtype === 'datetime') {
        let r: number[];
        let s: number[];
        try {
          // Epoch milliseconds for datetimes keep the plot axis readable.
          const scale = sdtype === 'datetime' ? 1e-6 : 1;
          r = continuousColumn(columnCells(real[table]!, table, column), sdtype, table, column).map((v) => v * scale);
          s = continuousColumn(columnCells(synthetic[table]!, table, column), sdtype, table, column).map((v) => v * scale);
        } catch {
          continue;
        }
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of [...r, ...s]) {
          if (Number.isNaN(v)) continue;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        if (lo === Infinity) continue;
        if (lo === hi) {
          lo -= 0.5;
          hi += 0.5;
        }
        const edges = Array.from({ length: BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / BINS);
        const hist = (v: number[]): { counts: number[]; nulls: number } => {
          const counts = new Array<number>(BINS).fill(0);
          let nulls = 0;
          for (const x of v) {
            if (Number.isNaN(x)) nulls++;
            else counts[Math.min(BINS - 1, Math.floor(((x - lo) / (hi - lo)) * BINS))]! += 1;
          }
          return { counts: counts.map((c) => (v.length ? c / v.length : 0)), nulls: v.length ? nulls / v.length : 0 };
        };
        const hr = hist(r);
        const hs = hist(s);
        out.push({ table, column, kind: 'continuous', sdtype, edges, real: hr.counts, synthetic: hs.counts, realNulls: hr.nulls, syntheticNulls: hs.nulls });
      } else if (sdtype === 'categorical' || sdtype === 'boolean' || sdtype === 'ordinal') {
        const r = columnCells(real[table]!, table, column).map(discreteKey);
        const s = columnCells(synthetic[table]!, table, column).map(discreteKey);
        const count = (v: Array<string | null>): Map<string | null, number> => {
          const m = new Map<string | null, number>();
          for (const k of v) m.set(k, (m.get(k) ?? 0) + 1);
          return m;
        };
        const rc = count(r);
        const sc = count(s);
        const order = [...new Set([...rc.keys(), ...sc.keys()])].sort((a, b) => (rc.get(b) ?? 0) - (rc.get(a) ?? 0) || (sc.get(b) ?? 0) - (sc.get(a) ?? 0));
        const top = order.slice(0, TOP);
        const share = (m: Map<string | null, number>, n: number, k: string | null): number => (n ? (m.get(k) ?? 0) / n : 0);
        const categories = top.map((k) => ({ label: keyLabel(k), real: share(rc, r.length, k), synthetic: share(sc, s.length, k) }));
        const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
        out.push({
          table,
          column,
          kind: 'discrete',
          sdtype,
          categories,
          otherReal: Math.max(0, 1 - sum(categories.map((c) => c.real))) * (r.length ? 1 : 0),
          otherSynthetic: Math.max(0, 1 - sum(categories.map((c) => c.synthetic))) * (s.length ? 1 : 0),
        });
      }
    }
  }
  return out;
}
