/**
 * Sampling a big table as seeded ranges of its primary key, the part every dialect shares: which tables, which
 * ranges, and how many rows each range gives. Each connector runs the statements in its own SQL. Only the kept rows
 * are read (one index seek a range), and the sample is a function of the rows alone: unlike a random sort of a scan or
 * a sample of pages, it does not move when the same rows lie elsewhere (a table loaded by parallel workers, a restore).
 */
import type { Table } from '../schema/model.js';
import { createRng } from '../generation/rng.js';

/** Tables smaller than this are sampled by a seeded sort of every row: one scan, and exact whatever the key spread. */
export const KEY_RANGE_MIN_ROWS = 100_000;
/** Sampling by key ranges pays off once the limit is at most this fraction of the table. */
const SAMPLING_MAX_FRACTION = 0.1;
/** Rows read from each range: few enough that neighbours (one order's lines) do not crowd the sample. */
const ROWS_PER_RANGE = 20;
/** Ranges per statement: one round trip reads many of them. */
const RANGES_PER_QUERY = 50;

export interface KeyRangePlan {
  /** The primary key's leading integer column: the ranges are on it, so each is one clustered-index seek. */
  column: string;
  orderBy: string[];
  limit: number;
  ranges: number;
}

/**
 * When `limit` of `total` rows should be read as random ranges of the primary key instead of a full scan sorted
 * at random: a big table whose primary key leads with an integer column. Null otherwise.
 */
export function keyRangePlan(table: Table, limit: number, total: number): KeyRangePlan | null {
  const pk = table.primaryKey;
  const lead = pk ? table.columns.find((c) => c.name === pk.columns[0]) : undefined;
  if (!pk || lead?.type.kind !== 'integer') return null;
  if (!(total >= KEY_RANGE_MIN_ROWS) || limit <= 0 || limit > total * SAMPLING_MAX_FRACTION) return null;
  return { column: lead.name, orderBy: pk.columns, limit: Math.floor(limit), ranges: Math.max(1, Math.ceil(limit / ROWS_PER_RANGE)) };
}

/**
 * Range starts, one per stratum of [min, max]: stratified so the ranges cover the key space evenly, seeded so the same
 * seed reads the same ranges of the same table. Strictly increasing.
 */
export function keyRangeStarts(min: bigint, max: bigint, ranges: number, seed: number): bigint[] {
  // The stream MySQL's samples were first drawn from: kept, so a seed's MySQL samples stay the rows they were.
  const rng = createRng(seed, 'mysql-key-ranges');
  const span = max - min + 1n;
  const starts: bigint[] = [];
  for (let i = 0; i < ranges; i++) {
    const at = min + BigInt(Math.floor(((i + rng.next()) * Number(span)) / ranges));
    if (starts.length === 0 || at > starts[starts.length - 1]!) starts.push(at > max ? max : at);
  }
  return starts;
}

/** One statement's ranges: each reads key >= from (and < to, unless last) in key order, at most `cap` rows. */
export interface RangeStatement {
  ranges: Array<{ range: number; from: bigint; to: bigint | null }>;
  cap: number;
}

/**
 * Reads the plan's ranges a statement at a time (`fetch` returns each range's rows in key order, every row led by its
 * range number) and yields the rows the sample keeps of each statement, without the range number. A range short of
 * its share (a gap in the keys) passes the shortfall on to the next ones.
 */
export async function* takeFromRanges(plan: KeyRangePlan, starts: bigint[], fetch: (statement: RangeStatement) => Promise<unknown[][]>): AsyncGenerator<unknown[][]> {
  const share = plan.limit / starts.length;
  let got = 0;
  for (let from = 0; from < starts.length && got < plan.limit; from += RANGES_PER_QUERY) {
    const end = Math.min(starts.length, from + RANGES_PER_QUERY);
    const ranges: RangeStatement['ranges'] = [];
    for (let i = from; i < end; i++) ranges.push({ range: i, from: starts[i]!, to: i + 1 < starts.length ? starts[i + 1]! : null });
    // Twice a range's share, plus what the ranges so far fell short of: enough unless the keys are very sparse.
    const cap = Math.ceil(2 * share) + Math.max(0, Math.round(from * share) - got);
    const byRange = new Map<number, unknown[][]>();
    for (const wire of await fetch({ ranges, cap })) {
      const r = Number(wire[0]);
      const list = byRange.get(r) ?? [];
      list.push(wire);
      byRange.set(r, list);
    }
    const kept: unknown[][] = [];
    for (let i = from; i < end; i++) {
      // Each range takes its share of the limit plus what the ranges before it fell short of.
      const due = Math.round(((i + 1) * plan.limit) / starts.length) - got;
      for (const wire of (byRange.get(i) ?? []).slice(0, Math.max(0, due))) {
        kept.push(wire.slice(1));
        got++;
      }
    }
    if (kept.length > 0) yield kept;
  }
}
