/**
 * Rows of a partitioned table must land in some partition: PostgreSQL rejects the whole COPY for one row whose key
 * falls outside every bound (marginals and key ranges happily produce a date one day past the last partition).
 * For single-column RANGE and LIST keys, a row outside every partition takes the key value of the last generated
 * row that fitted (resampling, like CHECK repair), or the first partition's lower bound / first listed value.
 */
import type { Column, Table } from '../schema/model.js';
import type { Value } from '../schema/values.js';

export interface PartitionFit {
  /** Index of the key column among the written columns. */
  column: number;
  /** Returns the value to write: `value` itself when it fits a partition. */
  fit(value: Value): Value;
}

type Bound = { kind: 'min' } | { kind: 'max' } | { kind: 'value'; v: Value };

/** Parses one SQL literal of a partition bound: `'2023-01-01'`, `'de'::text`, `10`, `MINVALUE`. */
function literal(sql: string): Bound {
  const s = sql.trim().replace(/::[\w\s."]+(\[\])?$/, '');
  if (/^minvalue$/i.test(s)) return { kind: 'min' };
  if (/^maxvalue$/i.test(s)) return { kind: 'max' };
  if (/^null$/i.test(s)) return { kind: 'value', v: null };
  const str = /^'((?:[^']|'')*)'$/.exec(s);
  if (str) return { kind: 'value', v: str[1]!.replace(/''/g, "'") };
  const n = Number(s);
  return { kind: 'value', v: Number.isFinite(n) ? n : s };
}

/** Splits a comma-separated list of literals, respecting quotes. */
function literals(list: string): Bound[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of list) {
    if (ch === "'") quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map(literal);
}

/** The column of a single-column partition key (`logdate`, `"Log Date"`), else null (expressions, several columns). */
export function singleKeyColumn(key: string): string | null {
  const k = key.trim();
  const quoted = /^"((?:[^"]|"")+)"$/.exec(k);
  if (quoted) return quoted[1]!.replace(/""/g, '"');
  return /^[a-z_][a-z0-9_$]*$/.test(k) ? k : null;
}

function comparable(v: Value, column: Column): number | string | null {
  if (v === null || v === undefined) return null;
  switch (column.type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'year':
      return typeof v === 'bigint' ? Number(v) : Number(v);
    case 'date':
    case 'timestamp': {
      const t = Date.parse(String(v).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
      return Number.isNaN(t) ? String(v) : t;
    }
    default:
      return String(v);
  }
}

function less(a: number | string, b: number | string): boolean {
  return typeof a === 'number' && typeof b === 'number' ? a < b : String(a) < String(b);
}

/** The fitter for a partitioned table's rows, or null when every value fits (hash, default partition, no partitioning). */
export function partitionFit(table: Table, written: Column[]): PartitionFit | null {
  const p = table.partitioning;
  if (!p || p.strategy === 'hash') return null;
  if (p.partitions.some((x) => /^\s*DEFAULT\s*$/i.test(x.bound))) return null;
  const name = singleKeyColumn(p.key);
  const column = name === null ? -1 : written.findIndex((c) => c.name === name);
  if (column < 0) return null;
  const col = written[column]!;
  let accepts: (v: Value) => boolean;
  let fallback: Value = null;
  if (p.strategy === 'list') {
    const values = p.partitions.flatMap((x) => {
      const m = /IN\s*\(([\s\S]*)\)\s*$/i.exec(x.bound);
      return m ? literals(m[1]!).flatMap((b) => (b.kind === 'value' ? [b.v] : [])) : [];
    });
    if (values.length === 0) return null;
    const allowed = new Set(values.map((v) => (v === null ? 'null' : String(comparable(v, col)))));
    accepts = (v) => allowed.has(v === null ? 'null' : String(comparable(v, col)));
    fallback = values.find((v) => v !== null) ?? null;
  } else {
    const ranges = p.partitions.flatMap((x) => {
      const m = /FROM\s*\(([\s\S]*?)\)\s*TO\s*\(([\s\S]*)\)\s*$/i.exec(x.bound);
      if (!m) return [];
      const [from] = literals(m[1]!);
      const [to] = literals(m[2]!);
      return from && to ? [{ from, to }] : [];
    });
    if (ranges.length === 0) return null;
    const key = (b: Bound) => (b.kind === 'value' ? comparable(b.v, col) : null);
    accepts = (v) => {
      const x = comparable(v, col);
      if (x === null) return false;
      return ranges.some(({ from, to }) => {
        const lo = key(from);
        const hi = key(to);
        return (from.kind === 'min' || (lo !== null && !less(x, lo))) && (to.kind === 'max' || (hi !== null && less(x, hi)));
      });
    };
    const first = ranges.find((r) => r.from.kind === 'value');
    fallback = first && first.from.kind === 'value' ? first.from.v : null;
  }
  let last: Value = fallback;
  return {
    column,
    fit(value) {
      if (accepts(value)) {
        last = value;
        return value;
      }
      return last;
    },
  };
}
