/**
 * Virtual foreign keys: relationships the source keeps only by naming and values (ORMs without FK constraints,
 * MyISAM tables, analytics copies), declared in the config's `relations`. They join the neutral model as FKs
 * marked `virtual`, so the graph, generation, conditioning and the validation gate treat them like declared ones,
 * while the target's DDL never gets a constraint the source does not have (see `physicalSchema`).
 */
import { z } from 'zod';
import { SynthError } from '../errors.js';
import type { Column, DatabaseSchema, ForeignKey, Table } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';

// `table.column`, `schema.table.column`, `table.(a, b)` or `schema.table.(a, b)`.
const ENDPOINT_TEXT = /^(?:[^.()\s]+\.)?[^.()\s]+\.(?:[^.()\s]+|\(\s*[^.()\s,]+(?:\s*,\s*[^.()\s,]+)*\s*\))$/;

const endpointSchema = z.union([
  z.string().regex(ENDPOINT_TEXT, "must be 'table.column', 'schema.table.column' or 'table.(col1, col2)'; for names with dots or parentheses use { table, columns }"),
  z.strictObject({ table: z.string().min(1), columns: z.array(z.string().min(1)).min(1) }),
]);

export const relationConfigSchema = z.strictObject({
  /** The referencing side, e.g. 'orders.customer_id'. */
  from: endpointSchema,
  /** The referenced side (its primary key or a unique key), e.g. 'customers.id'. */
  to: endpointSchema,
  /** Name of the virtual FK in plans and reports; default `virtual_<table>_<columns>`. */
  name: z.string().min(1).optional(),
});

export const relationsConfigSchema = z.array(relationConfigSchema);

export type RelationConfig = z.output<typeof relationConfigSchema>;

export interface RelationEndpoint {
  /** `name` or `schema.name`, as written. */
  table: string;
  columns: string[];
}

export interface ParsedRelation {
  from: RelationEndpoint;
  to: RelationEndpoint;
  name: string | undefined;
  /** How the relation reads in messages: `orders.(a, b) → customers.(a, b)`. */
  label: string;
}

function parseEndpoint(endpoint: RelationConfig['from']): RelationEndpoint {
  if (typeof endpoint !== 'string') return { table: endpoint.table, columns: [...endpoint.columns] };
  const composite = /^(.*)\.\(([^()]*)\)$/.exec(endpoint);
  if (composite) return { table: composite[1]!, columns: composite[2]!.split(',').map((c) => c.trim()) };
  const dot = endpoint.lastIndexOf('.');
  return { table: endpoint.slice(0, dot), columns: [endpoint.slice(dot + 1)] };
}

function endpointLabel(e: RelationEndpoint): string {
  return e.columns.length === 1 ? `${e.table}.${e.columns[0]}` : `${e.table}.(${e.columns.join(', ')})`;
}

export function parseRelation(relation: RelationConfig): ParsedRelation {
  const from = parseEndpoint(relation.from);
  const to = parseEndpoint(relation.to);
  return { from, to, name: relation.name, label: `${endpointLabel(from)} → ${endpointLabel(to)}` };
}

/** Comparable type families: values of one family join (int4 ↔ int8, varchar ↔ char), across families they do not. */
function typeFamily(column: Column): string {
  const t = column.type;
  switch (t.kind) {
    case 'integer':
    case 'year':
      return 'integer';
    case 'decimal':
      return t.scale === 0 ? 'integer' : 'decimal';
    case 'text':
    case 'enum':
      return 'text';
    default:
      return t.kind;
  }
}

/** Both sides' types join without a cast; `synth plan` suggests only such pairs. */
export function typesJoin(a: Column, b: Column): boolean {
  return typeFamily(a) === typeFamily(b);
}

function configError(relation: ParsedRelation, index: number, problem: string, hint: string, details: { table?: string; column?: string } = {}): SynthError {
  return new SynthError('CONFIG_INVALID', `relations[${index}] (${relation.label}): ${problem}`, { ...details, hint, path: `relations.${index}` });
}

function resolveTable(schema: DatabaseSchema, relation: ParsedRelation, index: number, name: string): Table {
  const matches = schema.tables.filter((t) => tableKey(t) === name || t.name === name);
  const exact = matches.find((t) => tableKey(t) === name);
  if (exact) return exact;
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw configError(relation, index, `table "${name}" exists in several schemas (${matches.map(tableKey).join(', ')}).`, `Qualify it: '${tableKey(matches[0]!)}.…'.`, { table: name });
  }
  const known = schema.tables.map((t) => t.name).sort();
  throw configError(relation, index, `there is no table "${name}" in the source (${schema.schemas.join(', ')}).`, `Use one of: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}.`, { table: name });
}

function resolveColumns(table: Table, relation: ParsedRelation, index: number, columns: string[]): Column[] {
  return columns.map((c) => {
    const column = findColumn(table, c);
    if (!column) {
      throw configError(relation, index, `table ${tableKey(table)} has no column "${c}".`, `Its columns are: ${table.columns.map((x) => x.name).join(', ')}.`, { table: tableKey(table), column: c });
    }
    return column;
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The referenced columns must be a key of the parent, as a real FK's must: generation assigns parents by key. */
function isKey(table: Table, columns: string[]): boolean {
  return (
    (table.primaryKey !== null && sameSet(table.primaryKey.columns, columns)) ||
    table.uniques.some((u) => u.predicate === null && sameSet(u.columns, columns))
  );
}

/** Checks the config's relations against the source schema and adds each to its table as a virtual FK. */
function resolveRelations(schema: DatabaseSchema, relations: readonly RelationConfig[]): Array<{ table: Table; foreignKey: ForeignKey }> {
  const out: Array<{ table: Table; foreignKey: ForeignKey }> = [];
  relations.forEach((raw, index) => {
    const r = parseRelation(raw);
    const child = resolveTable(schema, r, index, r.from.table);
    const parent = resolveTable(schema, r, index, r.to.table);
    if (r.from.columns.length !== r.to.columns.length) {
      throw configError(r, index, `${r.from.columns.length} column(s) reference ${r.to.columns.length} column(s).`, 'List as many columns on each side, in matching order.');
    }
    const fromCols = resolveColumns(child, r, index, r.from.columns);
    const toCols = resolveColumns(parent, r, index, r.to.columns);
    fromCols.forEach((c, i) => {
      const p = toCols[i]!;
      if (!typesJoin(c, p)) {
        throw configError(r, index, `${tableKey(child)}.${c.name} (${c.nativeType}) cannot reference ${tableKey(parent)}.${p.name} (${p.nativeType}): the types differ.`, 'Pair columns of the same kind (integer with integer, text with text, uuid with uuid), or drop the relation.', { table: tableKey(child), column: c.name });
      }
    });
    if (!isKey(parent, r.to.columns)) {
      throw configError(r, index, `(${r.to.columns.join(', ')}) is not the primary key or a UNIQUE key of ${tableKey(parent)}.`, `Reference ${parent.primaryKey ? `its primary key (${parent.primaryKey.columns.join(', ')})` : 'a unique key'}; synth assigns parents by key.`, { table: tableKey(parent) });
    }
    const existing = child.foreignKeys.find((f) => tableKey(f.references) === tableKey(parent) && sameSet(f.columns, r.from.columns));
    if (existing) {
      throw configError(r, index, `the source already declares it as ${existing.virtual ? 'another relation' : `foreign key ${existing.name}`}.`, 'Remove this entry from `relations`.', { table: tableKey(child) });
    }
    const foreignKey: ForeignKey = {
      name: r.name ?? `virtual_${child.name}_${r.from.columns.join('_')}`,
      columns: [...r.from.columns],
      references: { schema: parent.schema, name: parent.name, columns: [...r.to.columns] },
      onDelete: 'NO ACTION',
      onUpdate: 'NO ACTION',
      deferrable: false,
      virtual: true,
    };
    if (child.foreignKeys.some((f) => f.name === foreignKey.name)) {
      throw configError(r, index, `${tableKey(child)} already has a foreign key named ${foreignKey.name}.`, 'Give the relation another `name`.', { table: tableKey(child) });
    }
    out.push({ table: child, foreignKey });
    child.foreignKeys = [...child.foreignKeys, foreignKey];
  });
  return out;
}

/** The schema with the config's relations added as virtual FKs (a copy; the introspected schema is not changed). */
export function withRelations(schema: DatabaseSchema, relations: readonly RelationConfig[]): DatabaseSchema {
  if (relations.length === 0) return schema;
  const copy: DatabaseSchema = { ...schema, tables: schema.tables.map((t) => ({ ...t, foreignKeys: [...t.foreignKeys] })) };
  resolveRelations(copy, relations);
  return copy;
}

/** The schema as the database declares it: what the target's DDL, finalize and swap may create. */
export function physicalSchema(schema: DatabaseSchema): DatabaseSchema {
  if (!schema.tables.some((t) => t.foreignKeys.some((f) => f.virtual))) return schema;
  return { ...schema, tables: schema.tables.map((t) => (t.foreignKeys.some((f) => f.virtual) ? { ...t, foreignKeys: t.foreignKeys.filter((f) => !f.virtual) } : t)) };
}
