/**
 * CHECK constraints across dialects: parse the source dialect's expression into the neutral form and render it
 * in the target's. Same-dialect CHECKs pass through untouched. Never throws for an expression outside the
 * supported forms: it comes back with the reason, which the connectors report as a lossy mapping and skip.
 */
import { referencedColumns, UntranslatableExpression, type ExpressionResult } from '../schema/expression.js';
import type { CheckConstraint, Dialect, Table } from '../schema/model.js';
import { parseMysqlExpression, renderMysqlExpression } from './mysql/mysql-expression.js';
import { parsePostgresExpression, renderPostgresExpression } from './postgres/postgres-expression.js';

export function translateCheck(from: Dialect, to: Dialect, table: Table, check: Pick<CheckConstraint, 'expression'>): ExpressionResult {
  if (from === to) return { ok: true, sql: check.expression };
  const ctx = { typeOf: (name: string) => table.columns.find((c) => c.name === name)?.type };
  try {
    const parsed = from === 'postgres' ? parsePostgresExpression(check.expression) : parseMysqlExpression(check.expression);
    // Generated columns land as plain NULL columns on another dialect, so a CHECK over them would test nothing real.
    const generated = referencedColumns(parsed).find((name) => table.columns.some((c) => c.name === name && c.generated !== null));
    if (generated !== undefined) throw new UntranslatableExpression(`column ${generated} is generated in the source and left NULL in ${to}`);
    const sql = to === 'mysql' ? renderMysqlExpression(parsed, ctx) : renderPostgresExpression(parsed, ctx);
    return { ok: true, sql };
  } catch (e) {
    if (e instanceof UntranslatableExpression) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The note for a CHECK that cannot be translated (mapping notes and validation's `skipped`). */
export function untranslatedCheckNote(check: Pick<CheckConstraint, 'name'>, to: Dialect, reason: string): string {
  return `CHECK ${check.name} is not copied to ${to}: ${reason}`;
}
