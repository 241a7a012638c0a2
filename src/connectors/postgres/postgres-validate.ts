/** Integrity questions answered in SQL against the shadow. */
import type { IntegrityCheck, IntegrityCount } from '../connector.js';
import type { TableRef } from '../../schema/model.js';
import { qi, qn } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';

export interface ValidateContext {
  /** Physical schema of a model table (its shadow). */
  locate: (t: TableRef) => string;
  /** Predicate of a partial unique index, when known from the schema the shadow was created with. */
  predicateOf?: (t: TableRef, constraint: string) => string | null;
  /** Rewrites schema-qualified names in PostgreSQL expressions (`'x'::shop.mood`) to the shadow's. */
  rewrite?: (sql: string) => string;
}

export async function countViolations(session: PgSession, checks: IntegrityCheck[], ctx: ValidateContext): Promise<IntegrityCount[]> {
  const out: IntegrityCount[] = [];
  for (const check of checks) {
    if (check.kind === 'check' && check.dialect !== 'postgres') {
      out.push({ check, violations: 0, skipped: `CHECK ${check.constraint} is ${check.dialect} SQL; it cannot be evaluated in PostgreSQL` });
      continue;
    }
    const sql = violationSql(check, ctx);
    try {
      const res = await session.query<{ n: string }>(sql);
      out.push({ check, violations: Number(res.rows[0]?.n ?? 0) });
    } catch (e) {
      if (check.kind !== 'check') throw e;
      out.push({ check, violations: 0, skipped: `CHECK ${check.constraint} could not be evaluated: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return out;
}

function violationSql(check: IntegrityCheck, ctx: ValidateContext): string {
  const t = qn(ctx.locate(check.table), check.table.name);
  switch (check.kind) {
    case 'orphan': {
      const fk = check.foreignKey;
      const parent = qn(ctx.locate(fk.references), fk.references.name);
      // MATCH SIMPLE: a key with any NULL column references nothing and is no orphan.
      const notNull = fk.columns.map((c) => `c.${qi(c)} IS NOT NULL`).join(' AND ');
      const join = fk.columns.map((c, i) => `p.${qi(fk.references.columns[i]!)} = c.${qi(c)}`).join(' AND ');
      return `SELECT count(*)::text AS n FROM ${t} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${join})`;
    }
    case 'duplicate': {
      const cols = check.columns.map(qi);
      const conds: string[] = [];
      if (check.nullsDistinct) conds.push(...cols.map((c) => `${c} IS NOT NULL`));
      const predicate = ctx.predicateOf?.(check.table, check.constraint) ?? null;
      if (predicate) conds.push(`(${ctx.rewrite ? ctx.rewrite(predicate) : predicate})`);
      const where = conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
      // Rows beyond the first of each duplicated key: how many rows would have to change.
      return `SELECT coalesce(sum(n - 1), 0)::text AS n FROM (SELECT count(*) AS n FROM ${t}${where} GROUP BY ${cols.join(', ')} HAVING count(*) > 1) d`;
    }
    case 'not-null':
      return `SELECT count(*)::text AS n FROM ${t} WHERE ${qi(check.column)} IS NULL`;
    case 'check':
      return `SELECT count(*)::text AS n FROM ${t} WHERE NOT (${ctx.rewrite ? ctx.rewrite(check.expression) : check.expression})`;
  }
}
