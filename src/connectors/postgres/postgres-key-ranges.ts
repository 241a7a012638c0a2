/**
 * A sample of a big table read as seeded ranges of its primary key (key-ranges.ts): what a read with `sampleByKey`
 * gets where TABLESAMPLE would pick pages, since which rows share a page changes from one load of the same rows to the
 * next.
 */
import type { NeutralType } from '../../schema/model.js';
import type { RowBatch } from '../../schema/values.js';
import { keyRangeStarts, takeFromRanges, type KeyRangePlan, type RangeStatement } from '../key-ranges.js';
import { qi } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';
import { decodeText } from './postgres-values.js';

/**
 * Whether `relation`'s primary key leads with `column`: each range is then one seek of its index, in the order the
 * ranges are read. Without it (a shadow before its keys are built) every range would scan the table.
 */
export async function primaryKeyLeads(s: PgSession, relation: string, column: string): Promise<boolean> {
  const r = await s.query(
    `SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indisvalid AND a.attname = $2`,
    [relation, column],
  );
  return r.rows.length > 0;
}

/**
 * The rows of the plan's ranges of `from` (a FROM target), `select` being the read's column list (`… AS c<i>`), in the
 * caller's transaction.
 */
export async function* readKeyRanges(
  s: PgSession,
  from: string,
  select: string,
  plan: KeyRangePlan,
  seed: number,
  columns: string[],
  types: NeutralType[],
): AsyncIterable<RowBatch> {
  const k = qi(plan.column);
  const bounds = await s.query<{ lo: string | null; hi: string | null }>(`SELECT min(${k})::text AS lo, max(${k})::text AS hi FROM ${from}`);
  const { lo, hi } = bounds.rows[0] ?? { lo: null, hi: null };
  if (lo === null || hi === null) return;
  const starts = keyRangeStarts(BigInt(lo), BigInt(hi), plan.ranges, seed);
  const order = plan.orderBy.map(qi).join(', ');
  // The key travels along so the union comes back in key order within each range, whatever plan the server picks.
  const keys = plan.orderBy.map((c, i) => `${qi(c)} AS synth_k${i}`).join(', ');
  const keyOrder = plan.orderBy.map((_, i) => `synth_k${i}`).join(', ');
  const fetch = async ({ ranges, cap }: RangeStatement): Promise<unknown[][]> => {
    const params: string[] = [];
    const param = (v: bigint) => `$${params.push(String(v))}`;
    const parts = ranges.map(
      (r) => `(SELECT ${r.range} AS synth_range, ${keys}${select ? `, ${select}` : ''} FROM ${from} WHERE ${k} >= ${param(r.from)}${r.to === null ? '' : ` AND ${k} < ${param(r.to)}`} ORDER BY ${order} LIMIT ${cap})`,
    );
    const res = await s.query<Record<string, string | null>>(`${parts.join(' UNION ALL ')} ORDER BY synth_range, ${keyOrder}`, params);
    return res.rows.map((r) => [Number(r.synth_range), r]);
  };
  for await (const kept of takeFromRanges(plan, starts, fetch)) {
    const rows = kept.map(([r]) => {
      const row = r as Record<string, string | null>;
      return types.map((t, i) => decodeText(row[`c${i}`] ?? null, t));
    });
    yield { columns, rows };
  }
}
