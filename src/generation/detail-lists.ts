/**
 * A per-parent list: a table nothing references whose primary key is one FK plus one item label, with nothing else
 * but a handful of categories — an aircraft's seats (aircraft_code, seat_no → fare_conditions), a product's sizes.
 * An application reads such a list as part of its parent's definition (a seat map), so when the parent is reference
 * data the list is too: a synthetic seats table gives a Boeing 777 the seat numbers of a Cessna. Link tables (a PK
 * of two FKs) and lists with measures (world's countrylanguage: a percentage per row) are not such lists.
 */
import type { Table } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import type { TableSample } from './model.js';
import { columnValues } from './metadata.js';

/** Most distinct values a non-key column may take and still read as a category of the item (Economy/Comfort/Business). */
const CATEGORY_MAX_DISTINCT = 10;

/** The list's parent table (key) and label column, or null when the table is not such a list. */
export function detailListOf(table: Table, sample: TableSample): { parent: string; label: string } | null {
  const pk = table.primaryKey?.columns ?? [];
  const fkColumns = new Set(table.foreignKeys.flatMap((f) => f.columns));
  const owner = table.foreignKeys.find((f) => tableKey(f.references) !== tableKey(table) && f.columns.every((c) => pk.includes(c)));
  if (!owner) return null;
  const labels = pk.filter((c) => !owner.columns.includes(c));
  if (labels.length !== 1 || fkColumns.has(labels[0]!)) return null;
  const rest = table.columns.filter((c) => !pk.includes(c.name) && !fkColumns.has(c.name));
  for (const c of rest) {
    if (c.type.kind !== 'text' && c.type.kind !== 'boolean' && c.type.kind !== 'enum') return null;
    const distinct = new Set(columnValues(sample, c.name).filter((v) => v !== null && v !== undefined).map(String));
    if (distinct.size > CATEGORY_MAX_DISTINCT) return null;
  }
  return { parent: tableKey(owner.references), label: labels[0]! };
}
