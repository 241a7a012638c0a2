/**
 * Looked-up values, as `synth plan` and the run log describe them: the vocabularies (vocabulary.ts) and the sequence
 * identifiers (metadata.ts). The fit decides both in `fitKeyStats` and keeps them in the key statistics; this module
 * asks the same functions about the same samples, so what the plan lists is what generation does. A sequence column
 * that stays an attribute is listed too, with the count that decided it, since that is where a developer looks when
 * an invoice number repeats.
 */
import type { Column, DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { columnValues, sequenceColumns, sequenceDistinctness } from './metadata.js';
import type { TableSample } from './model.js';
import { vocabularyFindings } from './vocabulary.js';

export type LookupRule =
  | {
      kind: 'vocabulary';
      table: TableRef;
      column: string;
      foreignKey: string;
      /** The parent table the FK references (what "another parent" is). */
      parent: string;
      values: number;
      /** Values held under one parent only, drawn all the same. */
      singleParent: number;
      rows: number;
      shared: number;
    }
  | {
      kind: 'sequence';
      table: TableRef;
      column: string;
      /** The column's default as the source declares it (`nextval('invoice_no_seq'::regclass)`). */
      default: string;
      identifier: boolean;
      /** `sample`: decided from the sampled values (counted here); `schema`: under privacy, from the default alone. */
      decidedBy: 'sample' | 'schema';
      values?: number;
      distinct?: number;
    };

/**
 * Every vocabulary and every sequence column of the tables the models are fitted on (`skip`: copied or skipped
 * tables, whose keys are not generated). Under `privacy` no vocabulary is read and every sequence column is an
 * identifier by its default (dp-fit.ts `dataFreeKeyStats`): nothing here reads a value then.
 */
export function detectLookupRules(schema: DatabaseSchema, samples: Map<string, TableSample>, skip: (t: Table) => boolean, privacy: boolean): LookupRule[] {
  const out: LookupRule[] = [];
  for (const table of schema.tables) {
    if (skip(table)) continue;
    const ref = { schema: table.schema, name: table.name };
    const sample = samples.get(tableKey(table));
    if (!privacy && sample) {
      for (const [column, v] of Object.entries(vocabularyFindings(table, sample))) {
        const fk = table.foreignKeys.find((f) => f.name === v.foreignKey);
        out.push({ kind: 'vocabulary', table: ref, column, foreignKey: v.foreignKey, parent: fk?.references.name ?? '?', values: v.values.length, singleParent: v.singleParent, rows: v.rows, shared: v.shared });
      }
    }
    for (const column of sequenceColumns(table)) out.push(sequenceRule(ref, column, privacy ? null : sample));
  }
  return out;
}

function sequenceRule(table: TableRef, column: Column, sample: TableSample | null | undefined): LookupRule {
  const base = { kind: 'sequence' as const, table, column: column.name, default: column.default ?? '' };
  if (sample === null) return { ...base, identifier: true, decidedBy: 'schema' };
  const d = sequenceDistinctness(sample ? columnValues(sample, column.name) : []);
  return { ...base, identifier: d.identifier, decidedBy: 'sample', values: d.values, distinct: d.distinct };
}

/** Rules generation keeps (the vocabularies and the identifiers), for the run log's count. */
export function keptLookupRules(rules: readonly LookupRule[]): LookupRule[] {
  return rules.filter((r) => r.kind === 'vocabulary' || r.identifier);
}

/** One line of `synth plan`, the decision first. */
export function describeLookupRule(r: LookupRule): string {
  const at = `${tableKey(r.table)}.${r.column}`;
  if (r.kind === 'vocabulary') {
    const once = r.singleParent > 0 ? `; the ${r.singleParent} held by one ${r.parent} only are drawn too` : '';
    return `vocabulary  ${at}: keyed beside ${r.parent} (${r.foreignKey}), ${r.shared} of ${r.rows} sampled rows hold a value another ${r.parent} holds: each ${r.parent}'s rows draw distinct values of the ${r.values}${once}`;
  }
  const head = `DEFAULT ${r.default}, no UNIQUE`;
  if (r.decidedBy === 'schema') return `identifier  ${at}: ${head}: an identifier by its default under privacy (nothing read): generated distinct, the sequence set past it`;
  if (r.identifier) return `identifier  ${at}: ${head}, all ${r.values} sampled values distinct: generated distinct, the sequence set past it`;
  const why = (r.values ?? 0) < 2 ? `only ${r.values ?? 0} sampled value(s)` : `${r.distinct} distinct of ${r.values} sampled values`;
  return `attribute   ${at}: ${head}, but ${why}: drawn by the model like any attribute`;
}
