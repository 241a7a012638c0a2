/**
 * `synth plan`'s suggestions of virtual FKs for a source that relates tables only by naming and values: a column
 * named for another table's key (`customer_id`, `customerid`, `customers_id`, or the key's own name) whose sampled
 * values are found among that key's values. The user confirms a suggestion by copying it into `relations`.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { Column, DatabaseSchema, Table } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { typesJoin } from './virtual-fks.js';

export interface RelationSuggestion {
  /** Ready for the config: `{ from: 'orders.customer_id', to: 'customers.id' }`. */
  from: string;
  to: string;
  /** 0..1: the naming match times the value inclusion (naming alone, halved, when there are no values to test). */
  confidence: number;
  /** Share of the sampled distinct child values found among the parent's key values; null when not measured. */
  inclusion: number | null;
  /** Distinct non-null child values the inclusion was measured on. */
  checkedValues: number;
  reason: string;
}

export interface SuggestOptions {
  /** Child values sampled per candidate column. */
  sampleRows?: number;
  /** Parent keys read in full up to this many rows; larger parents are judged by naming alone. */
  maxParentRows?: number;
  seed?: number;
  /** Suggestions under this confidence are left out. */
  minConfidence?: number;
}

/** English plural → singular for table names (`categories` → `category`, `addresses` → `address`). */
export function singular(word: string): string {
  const w = word.toLowerCase();
  if (w.endsWith('ies') && w.length > 3) return `${w.slice(0, -3)}y`;
  if (/(ss|x|ch|sh|zz)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) return w.slice(0, -1);
  return w;
}

/** How well a column's name says it holds `parent.key`: 1 for `<singular>_<key>` or the key's own name, else less. */
export function namingScore(column: string, parent: string, key: string): number {
  const c = column.toLowerCase();
  const p = parent.toLowerCase();
  const k = key.toLowerCase();
  const one = singular(p);
  if (c === `${one}_${k}`) return 1;
  // `customers.customer_id` ← `orders.customer_id`: the key already carries the table's name.
  if (k !== 'id' && c === k && k.startsWith(one)) return 1;
  if (c === `${p}_${k}` || c === `${one}${k}`) return 0.9;
  return 0;
}

interface Candidate {
  child: Table;
  column: Column;
  parent: Table;
  key: Column;
  naming: number;
}

function singleKeys(table: Table): string[] {
  const keys = [table.primaryKey?.columns, ...table.uniques.filter((u) => u.predicate === null).map((u) => u.columns)];
  return [...new Set(keys.filter((k): k is string[] => k?.length === 1).map((k) => k[0]!))];
}

/** Pairs (child column, parent key) whose names match and whose types join, not already related. */
function namingCandidates(schema: DatabaseSchema): Candidate[] {
  const out: Candidate[] = [];
  for (const child of schema.tables) {
    const related = new Set(child.foreignKeys.flatMap((f) => f.columns));
    for (const column of child.columns) {
      if (related.has(column.name) || column.generated) continue;
      let best: Candidate | null = null;
      for (const parent of schema.tables) {
        if (parent === child) continue;
        for (const k of singleKeys(parent)) {
          const key = parent.columns.find((c) => c.name === k)!;
          const naming = namingScore(column.name, parent.name, k);
          if (naming === 0 || !typesJoin(column, key)) continue;
          if (!best || naming > best.naming) best = { child, column, parent, key, naming };
        }
      }
      if (best) out.push(best);
    }
  }
  return out;
}

/** Integers arrive as numbers, bigints or decimal text depending on type and driver: all compare as their text. */
function valueKey(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
}

async function distinctValues(source: SourceConnector, table: Table, column: string, limit: number | undefined, seed: number): Promise<Set<string>> {
  const out = new Set<string>();
  const options = limit === undefined ? { columns: [column] } : { columns: [column], limit, seed };
  for await (const batch of source.readRows(table, options)) {
    for (const row of batch.rows) if (row[0] !== null && row[0] !== undefined) out.add(valueKey(row[0]));
  }
  return out;
}

/** Suggested virtual FKs, most confident first. Reads a sample of each candidate column and the parent's keys. */
export async function suggestRelations(source: SourceConnector, schema: DatabaseSchema, options: SuggestOptions = {}): Promise<RelationSuggestion[]> {
  const sampleRows = options.sampleRows ?? 2_000;
  const maxParentRows = options.maxParentRows ?? 200_000;
  const seed = options.seed ?? 42;
  const parentKeys = new Map<string, Set<string> | null>();
  const name = tableNamer(schema);
  const out: RelationSuggestion[] = [];
  for (const c of namingCandidates(schema)) {
    const pk = `${tableKey(c.parent)}.${c.key.name}`;
    if (!parentKeys.has(pk)) {
      const rows = await source.countRows(c.parent);
      parentKeys.set(pk, rows <= maxParentRows ? await distinctValues(source, c.parent, c.key.name, undefined, seed) : null);
    }
    const keys = parentKeys.get(pk)!;
    const childRows = await source.countRows(c.child);
    const values = await distinctValues(source, c.child, c.column.name, childRows > sampleRows ? sampleRows : undefined, seed);
    let inclusion: number | null = null;
    if (keys && values.size > 0) {
      let found = 0;
      for (const v of values) if (keys.has(v)) found++;
      inclusion = found / values.size;
    }
    const confidence = inclusion === null ? c.naming / 2 : c.naming * inclusion;
    const [from, to] = [`${name(c.child)}.${c.column.name}`, `${name(c.parent)}.${c.key.name}`];
    const named = `${from} is named for ${to}`;
    const measured =
      inclusion !== null
        ? `${(inclusion * 100).toFixed(1)} % of ${values.size} sampled values found among its keys`
        : keys === null
          ? `${name(c.parent)} too large to check values`
          : 'no values to check';
    out.push({
      from,
      to,
      confidence,
      inclusion,
      checkedValues: values.size,
      reason: `${named}; ${measured}`,
    });
  }
  return out
    .filter((s) => s.confidence >= (options.minConfidence ?? 0.3))
    .sort((a, b) => b.confidence - a.confidence || a.from.localeCompare(b.from));
}

/**
 * A table as the config names it: schema-qualified where the source's tables are in more than one schema (a bare
 * `employee` beside `employees` hides that one is hr's and the other public's), else bare as the user wrote it.
 */
function tableNamer(schema: DatabaseSchema): (t: Table) => string {
  const qualify = new Set(schema.tables.map((t) => t.schema)).size > 1;
  return (t) => (qualify ? tableKey(t) : t.name);
}

export function formatSuggestions(suggestions: readonly RelationSuggestion[]): string {
  if (suggestions.length === 0) return '';
  const lines = ['Suggested relations (columns that look like foreign keys the source does not declare; add the ones you confirm to `relations`):'];
  for (const s of suggestions) {
    lines.push(`  { from: '${s.from}', to: '${s.to}' }  confidence ${s.confidence.toFixed(2)}  (${s.reason})`);
  }
  return lines.join('\n');
}
