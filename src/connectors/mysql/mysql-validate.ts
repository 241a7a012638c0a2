/** Integrity questions answered in MySQL SQL against a shadow database. */
import type { IntegrityCheck, IntegrityCount } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';

function countSql(database: string, check: IntegrityCheck): string | { skipped: string } {
  const t = qt(database, check.table.name);
  switch (check.kind) {
    case 'orphan': {
      const fk = check.foreignKey;
      // A composite FK with any NULL column is not checked by MySQL (MATCH SIMPLE), so it is no orphan.
      const notNull = fk.columns.map((c) => `c.${qi(c)} IS NOT NULL`).join(' AND ');
      const match = fk.references.columns.map((rc, i) => `p.${qi(rc)} = c.${qi(fk.columns[i]!)}`).join(' AND ');
      return `SELECT COUNT(*) AS n FROM ${t} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${qt(database, fk.references.name)} p WHERE ${match})`;
    }
    case 'duplicate': {
      const cols = check.columns.map(qi).join(', ');
      const where = check.nullsDistinct ? ` WHERE ${check.columns.map((c) => `${qi(c)} IS NOT NULL`).join(' AND ')}` : '';
      return `SELECT COALESCE(SUM(k - 1), 0) AS n FROM (SELECT COUNT(*) AS k FROM ${t}${where} GROUP BY ${cols} HAVING COUNT(*) > 1) d`;
    }
    case 'not-null':
      return `SELECT COUNT(*) AS n FROM ${t} WHERE ${qi(check.column)} IS NULL`;
    case 'check':
      if (check.dialect !== 'mysql') return { skipped: `CHECK ${check.constraint} is ${check.dialect} SQL; MySQL cannot evaluate it` };
      // NOT (expr) is NULL when expr is NULL, which CHECK accepts too.
      return `SELECT COUNT(*) AS n FROM ${t} WHERE NOT (${check.expression})`;
  }
}

/**
 * Answers the gate's questions; a table's NOT NULL and CHECK questions share one scan (one by one when the combined
 * query fails, e.g. on a CHECK MySQL cannot evaluate), so a wide table is read once rather than once per column.
 */
export async function countViolationsIn(session: MysqlSession, database: string, checks: IntegrityCheck[]): Promise<IntegrityCount[]> {
  const out = new Map<IntegrityCheck, IntegrityCount>();
  const scans = new Map<string, IntegrityCheck[]>();
  for (const check of checks) {
    const sql = countSql(database, check);
    if (typeof sql !== 'string') out.set(check, { check, violations: 0, skipped: sql.skipped });
    else if (check.kind === 'not-null' || check.kind === 'check') scans.set(check.table.name, [...(scans.get(check.table.name) ?? []), check]);
    else out.set(check, await countOne(session, database, check));
  }
  for (const group of scans.values()) {
    for (const count of await countInOneScan(session, database, group)) out.set(count.check, count);
  }
  return checks.map((c) => out.get(c)!);
}

async function countInOneScan(session: MysqlSession, database: string, group: IntegrityCheck[]): Promise<IntegrityCount[]> {
  if (group.length > 1) {
    // NOT (expr) is NULL when expr is NULL, which CHECK accepts: SUM skips it.
    const sums = group.map((c, i) => `COALESCE(SUM(${c.kind === 'not-null' ? `${qi(c.column)} IS NULL` : c.kind === 'check' ? `NOT (${c.expression})` : '0'}), 0) AS ${qi(`v${i}`)}`);
    try {
      const rows = await session.query<Record<string, string | number>>(`SELECT ${sums.join(', ')} FROM ${qt(database, group[0]!.table.name)}`);
      return group.map((check, i) => ({ check, violations: Number(rows[0]?.[`v${i}`] ?? 0) }));
    } catch {
      // Counted one by one below, so a CHECK that cannot be evaluated is reported on its own.
    }
  }
  const out: IntegrityCount[] = [];
  for (const check of group) out.push(await countOne(session, database, check));
  return out;
}

async function countOne(session: MysqlSession, database: string, check: IntegrityCheck): Promise<IntegrityCount> {
  const sql = countSql(database, check);
  if (typeof sql !== 'string') return { check, violations: 0, skipped: sql.skipped };
  try {
    const rows = await session.query<{ n: string | number }>(sql);
    return { check, violations: Number(rows[0]?.n ?? 0) };
  } catch (e) {
    if (check.kind !== 'check') {
      throw new SynthError('INTERNAL', `Cannot count ${check.kind} violations on ${check.table.name}: ${(e as Error).message}`, {
        table: check.table.name, hint: 'The shadow table or column is missing; run the hydration again.', cause: e,
      });
    }
    return { check, violations: 0, skipped: `CHECK ${check.constraint} could not be evaluated: ${(e as Error).message}` };
  }
}
