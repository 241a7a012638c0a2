/**
 * Which tables the copy filters guard: those whose rows can describe a person. A generated row that matches a real
 * one is a leak when the row says something about someone: a customer's job title and town, a patient's visit, an
 * order of a customer's. A row of reference data (the languages of a country and their shares) that matches a real
 * one tells nothing about anyone; with few values per column nearly every generated row matches some real row, and
 * redrawing it only pulls the table away from its distribution (world's countrylanguage: 797 of 984 rows moved).
 *
 * The split follows how synthetic-data vendors scope their privacy protection: MOSTLY AI protects a *subject* table
 * (one row per person) and the tables *linked* to it (that person's events), not the reference tables around them;
 * SDMetrics' DCR metrics call a row too close only when it is closer than data the model never saw would be, and a
 * table whose columns allow few distinct rows is exactly where unseen data matches too. So a table is guarded when
 *
 * - it is **personal**: its sample holds a PII column (a name, an email, a phone, an address, a city, a postal code, a
 *   birth date …; a product name is no one's) or the config gives one of its columns a transform (other than `keep`);
 * - it is **linked** to a personal table: it references one through a foreign key, directly or through other linked
 *   tables (orders of customers, the lines of those orders, a visit of a patient): its rows are that person's;
 * - its compared columns allow **many distinct rows** (more than filters.ts VARIETY_CAP): a match then singles out a
 *   real record, whoever it describes (decided by the filter, which knows the compared columns; see privacy-run.ts).
 *
 * Anything else is left as generated and the run's report says why. The decision reads the samples' PII scan and
 * the schema, never the generated rows, so every process of a run (load workers get it with the samples) decides
 * alike.
 */
import type { DatabaseSchema, Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { PiiKind } from '../../generation/privacy/pii-config.js';

/** Why a table's generated rows are (or are not) compared with its real rows. */
export interface FilterScope {
  /** Personal or linked: the table is guarded whatever its columns allow. */
  guarded: boolean;
  /** Its own columns that name or locate a person (personal tables). */
  personal?: string[];
  /** The personal table it reaches through foreign keys (linked tables). */
  linkedTo?: string;
}

/** Kinds that are no one's: a product name does not describe a person. */
const NOT_PERSONAL: ReadonlySet<PiiKind> = new Set<PiiKind>(['product-name']);

export interface ScopeInput {
  /** The PII plan of the table's sample (TableSample.piiKinds), when the sample was scanned. */
  piiKinds?: Record<string, PiiKind> | undefined;
  /** Columns the config transforms (any transform but `keep`). */
  transformed?: readonly string[];
}

/** A table's own personal columns: its PII kinds (but product names) and the columns the config transforms. */
export function personalColumns(input: ScopeInput): string[] {
  const out = new Set<string>();
  for (const [column, kind] of Object.entries(input.piiKinds ?? {})) if (!NOT_PERSONAL.has(kind)) out.add(column);
  for (const column of input.transformed ?? []) out.add(column);
  return [...out].sort();
}

/**
 * The scope of every table of `schema` that `inputs` describes (keyed by table key). A table is linked when one of
 * its foreign keys (a self-reference aside) reaches a personal or linked table; decided to a fixed point, so the
 * order of the schema's tables does not matter.
 */
export function decideFilterScopes(schema: DatabaseSchema, inputs: ReadonlyMap<string, ScopeInput>): Map<string, FilterScope> {
  const scopes = new Map<string, FilterScope>();
  for (const t of schema.tables) {
    const own = personalColumns(inputs.get(tableKey(t)) ?? {});
    scopes.set(tableKey(t), own.length > 0 ? { guarded: true, personal: own } : { guarded: false });
  }
  const parentsOf = (t: Table): string[] => t.foreignKeys.map((fk) => tableKey(fk.references)).filter((k) => k !== tableKey(t));
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of schema.tables) {
      const s = scopes.get(tableKey(t))!;
      if (s.guarded) continue;
      // The first guarded parent in the table's FK order names the link (a linked parent passes on its own person).
      for (const p of parentsOf(t)) {
        const ps = scopes.get(p);
        if (!ps?.guarded) continue;
        scopes.set(tableKey(t), { guarded: true, linkedTo: ps.linkedTo ?? p });
        changed = true;
        break;
      }
    }
  }
  return scopes;
}

/** One line on why a table is guarded (for logs and tests). */
export function describeScope(table: string, s: FilterScope): string {
  if (s.personal) return `${table} holds personal columns (${s.personal.join(', ')})`;
  if (s.linkedTo) return `${table} reaches ${s.linkedTo} through foreign keys, and that table holds personal columns`;
  return `${table} holds no personal column and references no table that does`;
}
