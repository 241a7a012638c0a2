/**
 * Reference data: small, non-personal tables that others point at (countries, regions, categories, languages)
 * are copied verbatim, because an application looks their rows up by value ('GERMANY', 'Action'): a synthetic
 * `nation` table is gibberish to it. Copied rows keep their real keys, so children reference them as they are.
 * A small table that stands alone (no FK in or out) is a lookup too when its text is labels that name its rows
 * (northwind's `us_states`: 'Alabama', 'AL', 'south'); the application joins it by value, not by key.
 */
import { SynthError } from '../errors.js';
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { findTable, tableKey } from '../schema/model.js';
import type { TableSample } from './model.js';
import { columnValues } from './metadata.js';
import type { Value } from '../schema/values.js';
import type { PiiColumnConfig } from './privacy/pii-config.js';
import { detectPii } from './privacy/pii-detect.js';
import { detectCredentials } from './privacy/credential-detect.js';
import { planPiiTransforms } from './privacy/pii-transform.js';
import { recognizeFrameworkTable } from './framework-tables.js';
import { detailListOf } from './detail-lists.js';

export const DEFAULT_REFERENCE_MAX_ROWS = 5000;

export interface ReferenceDecision {
  table: TableRef;
  copy: boolean;
  reason: string;
  /** A framework's bookkeeping table (framework-tables.ts): "Django migrations". */
  framework?: string;
}

export interface ReferenceOptions {
  /** Largest table copied without being declared (`reference.maxRows`). */
  maxRows: number;
  /** Under privacy only declared tables are copied: anything else would publish rows without accounting. */
  privacy: boolean;
  /** `tables.<t>.mode` from the config. */
  mode: (t: TableRef) => 'copy' | 'synthesize' | undefined;
  /** `tables.<t>.columns` from the config (PII overrides). */
  columns?: (t: TableRef) => Record<string, PiiColumnConfig> | undefined;
  /** `tables.<t>.skip`: created empty, never copied. */
  skipped?: (t: TableRef) => boolean;
}

function referencedBy(schema: DatabaseSchema, table: Table): string[] {
  const key = tableKey(table);
  return schema.tables.filter((t) => tableKey(t) !== key && t.foreignKeys.some((f) => tableKey(f.references) === key)).map((t) => t.name);
}

/**
 * Date/time columns whose values vary from row to row (an order date, a signup date): such rows record events or
 * entities, not a lookup, even when there are few of them. A `last_update` shared by every row (or a handful of
 * edits) does not count.
 */
function eventDateColumns(table: Table, sample: TableSample): string[] {
  const limit = Math.max(3, sample.rows.length / 4);
  return table.columns
    .filter((c) => c.type.kind === 'date' || c.type.kind === 'timestamp')
    .filter((c) => {
      const i = sample.columns.indexOf(c.name);
      if (i < 0) return false;
      const distinct = new Set(sample.rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined).map(String));
      return distinct.size > limit;
    })
    .map((c) => c.name);
}

/** A label is short: a name or a code ('District of Columbia', 'AL'), not a sentence or a description. */
const LABEL_MAX_CHARS = 64;
const LABEL_MAX_WORDS = 5;

/**
 * Whether a standalone table's text reads as lookup labels: every text value short (LABEL_MAX_CHARS,
 * LABEL_MAX_WORDS), and at least one text column distinct on every row, the label an application looks a row up by.
 * Free text (notes, descriptions) or text that only repeats (answers, statuses) marks a table of facts.
 */
function lookupLabels(table: Table, sample: TableSample): { columns: string[] } | { not: string } {
  const text = table.columns.filter((c) => c.type.kind === 'text' && c.generated === null);
  if (text.length === 0) return { not: 'no text label to look a row up by' };
  const naming: string[] = [];
  for (const c of text) {
    const values = columnValues(sample, c.name).filter((v): v is string => typeof v === 'string');
    const long = values.find((v) => v.length > LABEL_MAX_CHARS || v.trim().split(/\s+/).length > LABEL_MAX_WORDS);
    if (long !== undefined) return { not: `${c.name} holds free text, not labels` };
    if (values.length === sample.rows.length && new Set(values).size === values.length) naming.push(c.name);
  }
  if (naming.length === 0) return { not: `no text column names its rows (${text.map((c) => c.name).join(', ')} repeat or have NULLs)` };
  return { columns: naming };
}

/**
 * Columns the PII scan (with the config's overrides) would treat as personal, and credential columns. A product name
 * is faked for readability only (name-fakes.ts), so a product catalogue is still reference data.
 */
function personalColumns(table: Table, sample: TableSample, overrides: Record<string, PiiColumnConfig>): string[] {
  const pii = [...planPiiTransforms(detectPii(table, sample), overrides)].filter(([, kind]) => kind !== 'product-name').map(([column]) => column);
  return [...pii, ...detectCredentials(table, sample, { overrides }).map((c) => c.column)];
}

/**
 * Which tables are copied verbatim, with the reason, for every table that is a candidate (referenced by a FK) or
 * named by `mode`. A copied table's parents must be copied too (its real FK values point at their real keys): a
 * candidate whose parent is synthesized is synthesized; a declared copy whose parent is not is refused.
 */
export function decideReferenceTables(schema: DatabaseSchema, samples: Map<string, TableSample>, options: ReferenceOptions): ReferenceDecision[] {
  const decisions = new Map<string, ReferenceDecision>();
  for (const table of schema.tables) {
    const key = tableKey(table);
    const ref = { schema: table.schema, name: table.name };
    const mode = options.mode(table);
    const sample = samples.get(key);
    const users = referencedBy(schema, table);
    const framework = recognizeFrameworkTable(table);
    if (options.skipped?.(table)) {
      if (framework?.role === 'secrets') {
        decisions.set(key, { table: ref, copy: false, framework: framework.framework, reason: `${framework.framework}: live session ids or tokens, created empty (as in a fresh deployment)` });
        continue;
      }
      if (mode === 'copy') decisions.set(key, { table: ref, copy: false, reason: '`skip: true` wins over `mode: copy`' });
      continue;
    }
    if (mode === 'copy' && framework?.role === 'history') {
      decisions.set(key, { table: ref, copy: true, framework: framework.framework, reason: `framework table (${framework.framework}): the schema's own history, copied as is` });
      continue;
    }
    if (mode === 'copy') {
      decisions.set(key, { table: ref, copy: true, reason: 'declared `mode: copy`' });
      continue;
    }
    const standalone = users.length === 0 && table.foreignKeys.length === 0;
    if (mode === 'synthesize') {
      if (users.length > 0 || standalone) decisions.set(key, { table: ref, copy: false, reason: 'declared `mode: synthesize`' });
      continue;
    }
    // A list per parent row (an aircraft's seats, detail-lists.ts) is a candidate too; it is copied only with its parent (below).
    const list = users.length === 0 && !standalone && sample ? detailListOf(table, sample) : null;
    if ((users.length === 0 && !standalone && !list) || !sample) continue;
    const rows = sample.totalRows;
    if (rows === 0 || rows > options.maxRows) continue;
    const where = list ? `a list of ${list.label} per ${list.parent} row` : standalone ? 'stands alone (no FK in or out)' : `referenced by ${users.slice(0, 3).join(', ')}${users.length > 3 ? ', …' : ''}`;
    const events = eventDateColumns(table, sample);
    if (events.length > 0) {
      decisions.set(key, { table: ref, copy: false, reason: `${rows} rows, ${where}, but dates that vary per row (${events.join(', ')}): facts, not a lookup` });
      continue;
    }
    const personal = personalColumns(table, sample, options.columns?.(table) ?? {});
    if (personal.length > 0) {
      decisions.set(key, { table: ref, copy: false, reason: `${rows} rows, ${where}, but personal column(s) ${personal.join(', ')}` });
      continue;
    }
    // Nothing points at a standalone table, so only its text says it is looked up: labels that name its rows.
    const labels = standalone ? lookupLabels(table, sample) : null;
    if (labels !== null && 'not' in labels) {
      decisions.set(key, { table: ref, copy: false, reason: `${rows} rows, ${where}, no personal columns, but ${labels.not}: not a lookup` });
      continue;
    }
    const named = labels !== null ? `, labels ${labels.columns.join(', ')}` : '';
    if (options.privacy) {
      decisions.set(key, { table: ref, copy: false, reason: `looks like reference data (${rows} rows, ${where}${named}), but under privacy only tables declared \`mode: copy\` are copied` });
      continue;
    }
    decisions.set(key, { table: ref, copy: true, reason: `reference data: ${rows} rows (≤ ${options.maxRows}), ${where}${named}, no personal columns` });
  }
  // Parents of copied tables must be copied: repeat until nothing changes (chains like nation → region).
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of decisions.values()) {
      if (!d.copy) continue;
      const table = findTable(schema, d.table)!;
      for (const fk of table.foreignKeys) {
        const parent = tableKey(fk.references);
        if (parent === tableKey(table) || decisions.get(parent)?.copy) continue;
        if (options.mode(table) === 'copy') {
          throw new SynthError('CONFIG_INVALID', `${tableKey(table)} is declared \`mode: copy\`, but its parent ${parent} (via ${fk.name}) is synthesized, so the copied keys would point nowhere.`, {
            table: tableKey(table),
            path: `tables.${table.name}.mode`,
            hint: `Declare ${parent} \`mode: 'copy'\` too, or synthesize ${table.name}.`,
          });
        }
        d.copy = false;
        d.reason = `would be reference data, but its parent ${parent} is synthesized`;
        changed = true;
      }
    }
  }
  return [...decisions.values()];
}

/**
 * Children per copied parent row through one FK, by the parent's key (`referenceKey`): a copied parent is a real
 * row, so its children follow its real count (China keeps its 363 cities) instead of a draw from the histogram.
 */
export interface CopiedParentCounts {
  child: TableRef;
  foreignKey: string;
  byKey: Record<string, number>;
}

/** A key's identity across reads: numbers and bigints of the same value meet (an int8 FK to an int4 PK). */
export function referenceKey(values: ReadonlyArray<Value | undefined>): string | null {
  if (values.some((v) => v === null || v === undefined)) return null;
  return values.map((v) => (typeof v === 'bigint' || typeof v === 'number' ? `n${String(v)}` : `s${String(v)}`)).join('\u0000');
}

export function copiedTables(decisions: ReferenceDecision[]): Set<string> {
  return new Set(decisions.filter((d) => d.copy).map((d) => tableKey(d.table)));
}
