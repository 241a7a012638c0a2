/** Integrity questions answered in SQL against the shadow. */
import type { IntegrityCheck, IntegrityCount, KeyState } from '../connector.js';
import type { TableRef } from '../../schema/model.js';
import { qi, qn } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';
import { spotCheckDuplicatesByHash, spotCheckOrphansByKey, uniqueIndexProves } from './postgres-spot-check.js';

export interface ValidateContext {
  /** Physical schema of a model table (its shadow). */
  locate: (t: TableRef) => string;
  /** Predicate of a partial unique index, when known from the schema the shadow was created with. */
  predicateOf?: (t: TableRef, constraint: string) => string | null;
  /** Rewrites schema-qualified names in PostgreSQL expressions (`'x'::shop.mood`) to the shadow's. */
  rewrite?: (sql: string) => string;
  /** Tables (`schema.name`) whose keys buildKeys built before the gate, and those whose build was refused. */
  keys?: KeyState;
}

/**
 * Answers the gate's questions with as few passes over each table as the answers allow:
 * - NOT NULL of a column the shadow declares NOT NULL is proven by the catalog (COPY refused any NULL);
 * - a key of a table whose keys buildKeys built is proven by its unique index (no query); one whose build was
 *   refused is counted in full; a big table's key that a valid unique index covers (a shadow keyed by another
 *   process) is proven by that index too;
 * - every other NOT NULL and every CHECK of a table share one scan;
 * - on a big table, duplicates and orphans of real constraints are spot-checked on a sample picked by key, so the
 *   same rows give the same sample whatever their pages (postgres-spot-check.ts), each sampled key against the whole
 *   table: finalize then builds those unique indexes and foreign keys, which verify every row before anything is
 *   swapped. A spot check that finds anything is redone in full, so a count is never a guess.
 * `spotCheckMinPages`: the size from which keys are spot-checked (SPOT_CHECK_MIN_PAGES; tests use smaller tables).
 */
export async function countViolations(
  session: PgSession,
  checks: IntegrityCheck[],
  ctx: ValidateContext,
  { spotCheckMinPages = SPOT_CHECK_MIN_PAGES }: { spotCheckMinPages?: number } = {},
): Promise<IntegrityCount[]> {
  const out = new Map<IntegrityCheck, IntegrityCount>();
  const scans = new Map<string, IntegrityCheck[]>();
  for (const check of checks) {
    if (check.kind === 'check' && check.dialect !== 'postgres') {
      out.set(check, { check, violations: 0, skipped: `CHECK ${check.constraint} is ${check.dialect} SQL; it cannot be evaluated in PostgreSQL` });
      continue;
    }
    if (check.kind === 'not-null' && (await declaredNotNull(session, ctx, check.table, check.column))) {
      out.set(check, { check, violations: 0 });
      continue;
    }
    if (check.kind === 'not-null' || check.kind === 'check') {
      const key = qn(ctx.locate(check.table), check.table.name);
      scans.set(key, [...(scans.get(key) ?? []), check]);
      continue;
    }
    const key = `${check.table.schema}.${check.table.name}`;
    if (check.kind === 'duplicate' && ctx.keys?.built.has(key)) {
      out.set(check, { check, violations: 0, byIndex: true });
      continue;
    }
    const pages = check.kind === 'duplicate' && ctx.keys?.refused.has(key) ? 0 : await tablePages(session, ctx, check.table);
    const relation = qn(ctx.locate(check.table), check.table.name);
    if (pages >= spotCheckMinPages && check.kind === 'duplicate' && check.nullsDistinct && (await uniqueIndexProves(session, relation, check.columns))) {
      out.set(check, { check, violations: 0, byIndex: true });
      continue;
    }
    const spot = pages >= spotCheckMinPages ? await spotCheck(session, check, ctx, pages) : null;
    out.set(check, spot && spot.violations === 0 ? { check, violations: 0, sampled: spot.checked } : await countOne(session, check, ctx));
  }
  for (const group of scans.values()) {
    for (const count of await countInOneScan(session, group, ctx)) out.set(count.check, count);
  }
  return checks.map((c) => out.get(c)!);
}

/** Tables of at least this many 8 kB pages (about 80 MB) have their keys spot-checked rather than counted in full. */
export const SPOT_CHECK_MIN_PAGES = 10_000;
/** Pages a spot check samples where it cannot pick rows by key: tens of thousands of rows. */
const SPOT_CHECK_PAGES = 500;

async function countOne(session: PgSession, check: IntegrityCheck, ctx: ValidateContext): Promise<IntegrityCount> {
  try {
    const res = await session.query<{ n: string }>(violationSql(check, ctx));
    return { check, violations: Number(res.rows[0]?.n ?? 0) };
  } catch (e) {
    if (check.kind !== 'check') throw e;
    return { check, violations: 0, skipped: `CHECK ${check.constraint} could not be evaluated: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** One table's NOT NULL and CHECK questions in one scan; one by one when the combined query fails (a bad CHECK). */
async function countInOneScan(session: PgSession, group: IntegrityCheck[], ctx: ValidateContext): Promise<IntegrityCount[]> {
  if (group.length === 1) return [await countOne(session, group[0]!, ctx)];
  const t = qn(ctx.locate(group[0]!.table), group[0]!.table.name);
  const filters = group.map((c, i) => `count(*) FILTER (WHERE ${violatedWhen(c, ctx)})::text AS v${i}`).join(', ');
  try {
    const res = await session.query<Record<string, string>>(`SELECT ${filters} FROM ${t}`);
    return group.map((check, i) => ({ check, violations: Number(res.rows[0]?.[`v${i}`] ?? 0) }));
  } catch {
    const out: IntegrityCount[] = [];
    for (const check of group) out.push(await countOne(session, check, ctx));
    return out;
  }
}

function violatedWhen(check: IntegrityCheck, ctx: ValidateContext): string {
  if (check.kind === 'not-null') return `${qi(check.column)} IS NULL`;
  if (check.kind === 'check') return `NOT (${ctx.rewrite ? ctx.rewrite(check.expression) : check.expression})`;
  throw new Error(`${check.kind} is not a per-row condition`);
}

async function declaredNotNull(session: PgSession, ctx: ValidateContext, table: TableRef, column: string): Promise<boolean> {
  const res = await session.query<{ nn: boolean }>(
    `SELECT attnotnull AS nn FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
    [qn(ctx.locate(table), table.name), column],
  );
  return res.rows[0]?.nn === true;
}

async function tablePages(session: PgSession, ctx: ValidateContext, table: TableRef): Promise<number> {
  const res = await session.query<{ n: string | null }>(
    `SELECT (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS n FROM pg_class c WHERE c.oid = to_regclass($1) AND c.relkind = 'r'`,
    [qn(ctx.locate(table), table.name)],
  );
  return Number(res.rows[0]?.n ?? 0);
}

/**
 * A key check on a sample: each sampled child key against the whole parent (orphans), each sampled key against the
 * whole table (duplicates); picked by key (postgres-spot-check.ts), or for orphans of a child without an integer-led
 * primary key on a TABLESAMPLE slice. Null when the check has no constraint of finalize's to back it up (a virtual
 * FK, a partial or NULLS NOT DISTINCT unique), so it is counted in full instead.
 */
async function spotCheck(session: PgSession, check: IntegrityCheck, ctx: ValidateContext, pages: number): Promise<{ checked: number; violations: number } | null> {
  const t = qn(ctx.locate(check.table), check.table.name);
  const percent = Math.min(100, (SPOT_CHECK_PAGES / pages) * 100).toFixed(6);
  let sql: string;
  if (check.kind === 'orphan') {
    const fk = check.foreignKey;
    if (fk.virtual) return null;
    const parent = qn(ctx.locate(fk.references), fk.references.name);
    const byKey = await spotCheckOrphansByKey(session, check, t, parent);
    if (byKey) return byKey;
    const cols = fk.columns.map(qi).join(', ');
    const notNull = fk.columns.map((c) => `s.${qi(c)} IS NOT NULL`).join(' AND ');
    const join = fk.columns.map((c, i) => `p.${qi(fk.references.columns[i]!)} = s.${qi(c)}`).join(' AND ');
    sql = `WITH s AS MATERIALIZED (SELECT ${cols} FROM ${t} TABLESAMPLE SYSTEM (${percent}) REPEATABLE (0))
           SELECT (SELECT count(*) FROM s)::text AS checked,
                  (SELECT count(*) FROM s WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${join}))::text AS n`;
  } else if (check.kind === 'duplicate') {
    if (!check.nullsDistinct || ctx.predicateOf?.(check.table, check.constraint)) return null;
    return spotCheckDuplicatesByHash(session, check, t);
  } else {
    return null;
  }
  const res = await session.query<{ checked: string; n: string }>(sql);
  return { checked: Number(res.rows[0]?.checked ?? 0), violations: Number(res.rows[0]?.n ?? 0) };
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
