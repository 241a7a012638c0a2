/**
 * Intertable Trends: for each relationship, the child table is inner-joined to its parent (child rows whose
 * key has no parent drop out, as in pandas' merge) and every parent column × child column pair is scored
 * with the column-pair-trend metrics on the joined rows. When both tables are samples, the parents of the sampled
 * children can be passed in (`joinParents`): two independent samples of 5 000 rows out of 250 000 orders and
 * 1 000 000 lines match ~100 lines, and the scores on those read noise.
 */
import { relationshipKey } from './cardinality.js';
import { columnIndex, discreteKey } from './cells.js';
import { scorePairs, type PairTrendOptions } from './pair-trends.js';
import type { Cell, IntertableDetail, QualityData, QualityMetadata, Relationship, Sdtype, TableData } from './types.js';

/** Joined columns, keyed `parent.<col>` / `child.<col>`; only the cells, never whole joined rows. */
function denormalize(data: QualityData, rel: Relationship, parentCols: string[], childCols: string[], parentRowsRead?: TableData): Map<string, Cell[]> {
  const parent = parentRowsRead ?? (data[rel.parentTable] as TableData);
  const child = data[rel.childTable] as TableData;
  const pk = columnIndex(parent, rel.parentTable, rel.parentPrimaryKey);
  const fk = columnIndex(child, rel.childTable, rel.childForeignKey);
  const parentRows = new Map<string, number[]>();
  parent.rows.forEach((r, i) => {
    const k = discreteKey(r[pk] ?? null);
    if (k === null) return;
    const list = parentRows.get(k);
    if (list) list.push(i);
    else parentRows.set(k, [i]);
  });
  const pIdx = parentCols.map((c) => columnIndex(parent, rel.parentTable, c));
  const cIdx = childCols.map((c) => columnIndex(child, rel.childTable, c));
  const out = new Map<string, Cell[]>();
  for (const c of parentCols) out.set(`parent.${c}`, []);
  for (const c of childCols) out.set(`child.${c}`, []);
  const pOut = parentCols.map((c) => out.get(`parent.${c}`)!);
  const cOut = childCols.map((c) => out.get(`child.${c}`)!);
  for (const row of child.rows) {
    const k = discreteKey(row[fk] ?? null);
    const matches = k === null ? undefined : parentRows.get(k);
    if (!matches) continue;
    for (const p of matches) {
      const prow = parent.rows[p]!;
      pIdx.forEach((ci, j) => pOut[j]!.push(prow[ci] ?? null));
      cIdx.forEach((ci, j) => cOut[j]!.push(row[ci] ?? null));
    }
  }
  return out;
}

export function intertableTrends(
  real: QualityData,
  synthetic: QualityData,
  metadata: QualityMetadata,
  options: PairTrendOptions,
  joinParents?: ReadonlyMap<string, { real: TableData; synthetic: TableData }>,
): IntertableDetail[] {
  const out: IntertableDetail[] = [];
  for (const rel of metadata.relationships) {
    const parentMeta = metadata.tables[rel.parentTable]!;
    const childMeta = metadata.tables[rel.childTable]!;
    const parentCols = Object.keys(parentMeta.columns);
    const childCols = Object.keys(childMeta.columns);
    const columns: Record<string, Sdtype> = {};
    for (const c of childCols) columns[`child.${c}`] = childMeta.columns[c]!.sdtype;
    for (const c of parentCols) columns[`parent.${c}`] = parentMeta.columns[c]!.sdtype;
    const read = joinParents?.get(relationshipKey(rel));
    const realJoin = denormalize(real, rel, parentCols, childCols, read?.real);
    const synJoin = denormalize(synthetic, rel, parentCols, childCols, read?.synthetic);
    const pairs: Array<[string, string]> = [];
    for (const p of parentCols) for (const c of childCols) pairs.push([`parent.${p}`, `child.${c}`]);
    const rows = scorePairs(
      (c) => realJoin.get(c)!,
      (c) => synJoin.get(c)!,
      columns,
      pairs,
      options,
      `${rel.childTable}⋈${rel.parentTable}`,
    );
    for (const r of rows) {
      out.push({
        parentTable: rel.parentTable,
        childTable: rel.childTable,
        foreignKey: rel.childForeignKey,
        ...r,
        column1: r.column1.slice('parent.'.length),
        column2: r.column2.slice('child.'.length),
      });
    }
  }
  return out;
}
