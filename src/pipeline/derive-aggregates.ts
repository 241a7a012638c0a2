/**
 * The derive stage: parent aggregate rules (generation/parent-aggregates.ts) written in the shadow once every row is
 * loaded, since parents are generated before their children. Bounded child shares go first (a parent's sum may read
 * the scaled values), then parent sums, deepest parent first (an invoice's total before its customer's Σ of totals).
 * Runs before repair, so a CHECK on a derived column still wins; no stage event when no rule applies.
 */
import type { ChildShareWrite, ParentSumWrite } from '../connectors/aggregate-writes.js';
import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import type { DataRules } from '../generation/data-rules.js';
import type { ModelSet } from '../generation/fit.js';
import type { ChildShareRule, ParentSumRule } from '../generation/parent-aggregates.js';
import type { ValueGrid } from '../generation/value-grid.js';
import { findColumn, findTable, tableKey, type Column, type DatabaseSchema, type Table } from '../schema/model.js';

/** The grid a column's sampled values sat on (value-grid.ts), from the trained models' metadata. */
export type GridOf = (table: Table, column: string) => ValueGrid | undefined;

export function gridsOf(models: Pick<ModelSet, 'tables'>): GridOf {
  return (table, column) => models.tables.get(tableKey(table))?.meta.find((m) => m.column === column)?.grid;
}

/**
 * Rules resolved against the schema (a rule whose table, FK or column is gone is dropped). `gridOf`: the parent
 * columns' grids, which give a float sum its decimals.
 */
export function resolveAggregates(schema: DatabaseSchema, rules: DataRules | undefined, gridOf: GridOf = () => undefined): { shares: ChildShareWrite[]; sums: ParentSumWrite[] } {
  const shares: ChildShareWrite[] = [];
  const sums: ParentSumWrite[] = [];
  for (const r of rules?.aggregates ?? []) {
    const child = findTable(schema, r.child);
    const foreignKey = child?.foreignKeys.find((f) => f.name === r.foreignKey);
    if (!child || !foreignKey) continue;
    if (r.kind === 'share') {
      if (findColumn(child, r.column)) shares.push({ child, foreignKey, column: r.column, bound: r.bound, decimals: r.decimals });
      continue;
    }
    const parent = findTable(schema, r.parent);
    const column = parent ? findColumn(parent, r.column) : undefined;
    if (!parent || !column || r.terms.some((t) => !findColumn(child, t))) continue;
    sums.push({ parent, column, child, foreignKey, terms: r.terms, empty: r.empty, decimals: decimalsOf(column, gridOf(parent, column.name)) });
  }
  return { shares, sums: deepestFirst(sums) };
}

/**
 * Decimals a sum is rounded to: the column's scale (an integer's 0), else those the source's values of the column sat
 * on (a float or unscaled numeric with a grid: an app storing a double total of cent prices rounds it to cents, where
 * MariaDB's SUM of doubles writes 13.860000000000001), else none: the sum as the database computes it.
 */
function decimalsOf(column: Column, grid: ValueGrid | undefined): number | null {
  const t = column.type;
  if (t.kind === 'integer') return 0;
  if (t.kind === 'decimal' && t.scale !== null) return t.scale;
  return grid && 'decimals' in grid ? grid.decimals : null;
}

/** A sum whose child is another sum's parent goes first: it changes what that parent's sum reads. */
function deepestFirst(sums: ParentSumWrite[]): ParentSumWrite[] {
  const left = [...sums];
  const out: ParentSumWrite[] = [];
  while (left.length > 0) {
    const i = left.findIndex((s) => !left.some((o) => o !== s && tableKey(o.parent) === tableKey(s.child)));
    out.push(...left.splice(i < 0 ? 0 : i, 1));
  }
  return out;
}

/**
 * The largest magnitude a column holds, or null when unbounded: numeric(10,2) holds |v| < 10^8, a 4-byte integer
 * ±2^31. Floats are left to the database.
 */
export function columnLimit(column: Column): { min: number; max: number } | null {
  const t = column.type;
  if (t.kind === 'decimal' && t.precision !== null) {
    const top = 10 ** (t.precision - (t.scale ?? 0)) - 10 ** -(t.scale ?? 0);
    return { min: -top, max: top };
  }
  if (t.kind === 'integer') {
    const bits = t.bytes * 8;
    return t.unsigned ? { min: 0, max: 2 ** bits - 1 } : { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 };
  }
  return null;
}

export async function deriveAggregates(target: TargetConnector, shadow: Shadow, schema: DatabaseSchema, models: Pick<ModelSet, 'tables' | 'rules'>, emit: EventSink): Promise<void> {
  const { shares, sums } = resolveAggregates(schema, models.rules, gridsOf(models));
  if (shares.length === 0 && sums.length === 0) return;
  const writer = target.aggregates;
  if (!writer) {
    emit({ type: 'warning', message: `This target cannot write parent aggregates; ${shares.length + sums.length} rule(s) are not kept (see \`synth plan\`).` });
    return;
  }
  await stage(emit, 'derive', async () => {
    let rows = 0;
    const written = new Map<string, Table>();
    for (const s of shares) {
      const n = await writer.boundShares(shadow, s);
      rows += n;
      if (n > 0) written.set(tableKey(s.child), s.child);
      emit({ type: 'table', stage: 'derive', table: tableKey(s.child), rows: n, done: true });
    }
    for (const s of sums) {
      // A sum the column cannot hold is left as generated, with a warning, rather than failing the run: the rows stay
      // valid (the gate passes) and only this app-level rule is lost, which the warning names.
      const range = await writer.sumRange(shadow, s);
      const limit = columnLimit(s.column);
      if (range && limit && (range.max > limit.max || range.min < limit.min)) {
        emit({
          type: 'warning',
          table: tableKey(s.parent),
          column: s.column.name,
          message: `${tableKey(s.parent)}.${s.column.name}: the sum of ${s.child.name}.${s.terms.join(' × ')} reaches ${range.max > limit.max ? range.max : range.min}, outside ${s.column.name}'s type (${limit.min} … ${limit.max}); the column keeps its generated values and this rule is not kept.`,
        });
        continue;
      }
      const n = await writer.writeSums(shadow, s);
      rows += n;
      if (n > 0) written.set(tableKey(s.parent), s.parent);
      emit({ type: 'table', stage: 'derive', table: tableKey(s.parent), rows: n, done: true });
    }
    // Once per table, after all of its rules (a child's shares rewrite its rows too).
    for (const table of written.values()) await writer.compact?.(shadow, table);
    return rows;
  }, (rows) => `${rows} rows written from their children`);
}
