/** CHECK repair in the shadow: violating rows borrow the checked columns from a row that satisfies the check. */
import type { CheckConstraint, Table } from '../../schema/model.js';
import { qi, qn } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';
import type { ValidateContext } from './postgres-validate.js';

export async function repairCheck(
  session: PgSession,
  table: Table,
  check: CheckConstraint,
  columns: string[],
  ctx: ValidateContext,
): Promise<number> {
  if (columns.length === 0) return 0;
  const t = qn(ctx.locate(table), table.name);
  const expr = ctx.rewrite ? ctx.rewrite(check.expression) : check.expression;
  const cols = columns.map(qi);
  // ctid order is the load order of a freshly COPYed table, so the pairing (and the output) is deterministic.
  // The multiplier spreads consecutive bad rows over the donors instead of giving them all the first one.
  const sql = `
    WITH bad AS (
      SELECT tableoid AS toid, ctid AS tid, row_number() OVER (ORDER BY tableoid, ctid) AS rn
      FROM ${t} WHERE NOT (${expr})
    ), good AS (
      SELECT ${cols.join(', ')}, row_number() OVER (ORDER BY tableoid, ctid) AS rn, count(*) OVER () AS cnt
      FROM ${t} WHERE (${expr}) IS NOT FALSE
    ), pairs AS (
      SELECT bad.toid, bad.tid, ${cols.map((c) => `g.${c}`).join(', ')}
      FROM bad JOIN good g ON g.rn = 1 + ((bad.rn * 7919) % g.cnt)
    )
    UPDATE ${t} AS x SET ${cols.map((c) => `${c} = pairs.${c}`).join(', ')}
    FROM pairs WHERE x.tableoid = pairs.toid AND x.ctid = pairs.tid
    RETURNING 1`;
  const res = await session.query(sql);
  return res.rows.length;
}
