/** CHECK repair in the shadow: violating rows borrow the checked columns from a row that satisfies the check. */
import type { CheckConstraint, Table } from '../../schema/model.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';

export async function repairCheckIn(session: MysqlSession, database: string, table: Table, check: CheckConstraint, columns: string[]): Promise<number> {
  // Rows are identified by the primary key; a table without one cannot be repaired row by row.
  const pk = table.primaryKey?.columns ?? [];
  if (columns.length === 0 || pk.length === 0) return 0;
  const t = qt(database, table.name);
  const keys = pk.map(qi);
  const cols = columns.map(qi);
  const order = keys.join(', ');
  // Derived tables are materialized, which is what lets MySQL read the table it updates.
  const sql = `
    UPDATE ${t} AS x JOIN (
      SELECT ${keys.map((k) => `b.${k}`).join(', ')}, ${cols.map((c) => `g.${c}`).join(', ')}
      FROM (SELECT ${order}, ROW_NUMBER() OVER (ORDER BY ${order}) AS rn FROM ${t} WHERE NOT (${check.expression})) b
      JOIN (SELECT ${cols.join(', ')}, ROW_NUMBER() OVER (ORDER BY ${order}) AS rn, COUNT(*) OVER () AS cnt
            FROM ${t} WHERE (${check.expression}) IS NOT FALSE) g
        ON g.rn = 1 + MOD(b.rn * 7919, g.cnt)
    ) p ON ${keys.map((k) => `x.${k} = p.${k}`).join(' AND ')}
    SET ${cols.map((c) => `x.${c} = p.${c}`).join(', ')}`;
  const result = (await session.query(sql)) as unknown as { affectedRows?: number };
  return Number(result.affectedRows ?? 0);
}
