/**
 * What of a schema does not carry over to a target of another dialect, decided before anything is written: every
 * view, trigger, routine, event, sequence, policy, … of the source (their SQL is the source dialect's), and the
 * index kinds the target has no counterpart for. Each becomes a lossy TypeMappingNote naming the fallback, so
 * `synth plan --target` lists it and hydrate warns about it; the schema parity check of a cross-dialect run then
 * compares only what carries over (validation/schema-parity.ts).
 */
import type { DatabaseSchema, Dialect, OtherObject } from '../schema/model.js';
import type { TypeMappingNote } from './connector.js';

const FALLBACK: Record<OtherObject['kind'], string> = {
  view: 'not recreated: its query is {from} SQL (applications that read it need it rewritten for {to})',
  'materialized view': 'not recreated: its query is {from} SQL',
  function: 'not recreated: its body is {from} SQL',
  procedure: 'not recreated: its body is {from} SQL',
  trigger: 'not recreated: its body is {from} SQL; nothing fires on the target',
  event: 'not recreated: {to} has no scheduled events of this form',
  sequence: 'not copied: key columns use {auto} set past the largest generated value',
  domain: 'not created: its columns use the base type, and its CHECKs are translated where their form allows',
  type: 'not created: columns of this type are mapped through the type mapping',
  'composite type': 'not created: columns of this type are stored as JSON objects keyed by attribute',
  'range type': 'not created: columns of this type are stored as JSON objects {lower, upper, bounds}',
  aggregate: 'not copied: {to} has no user-defined aggregates of this form',
  operator: 'not copied: {to} has no user-defined operators',
  cast: 'not copied: {to} has no user-defined casts',
  extension: 'not installed: {to} has no extensions; the columns that use its types are mapped by the type mapping',
  policy: 'not copied: {to} has no row-level security',
  'row security': 'not copied: {to} has no row-level security',
  index: 'not recreated: it belongs to a materialized view, which is not recreated',
  comment: 'not copied: it is a comment on an object that is not recreated',
  rule: 'not recreated: its action is {from} SQL',
  statistics: 'not created: {to} keeps no extended statistics of this form',
  collation: 'not created: {to} has no user collations; its columns use the database default collation',
  'text search parser': 'not created: {to} has no text-search parsers (FULLTEXT indexes use its own)',
  'text search template': 'not created: {to} has no text-search templates',
  'text search dictionary': 'not created: {to} has no text-search dictionaries (FULLTEXT indexes use its own parser)',
  'text search configuration': 'not created: {to} has no text-search configurations; tsvector columns are stored as text',
};

/** Notes for every object and index kind of `schema` that a `to` target does not carry over (none when same dialect). */
export function carryOverNotes(schema: DatabaseSchema, to: Dialect): TypeMappingNote[] {
  if (schema.dialect === to) return unreadableObjectNotes(schema);
  const fill = (text: string) =>
    text.replace(/\{from\}/g, schema.dialect).replace(/\{to\}/g, to).replace(/\{auto\}/g, to === 'mysql' ? 'AUTO_INCREMENT' : 'identity');
  const notes: TypeMappingNote[] = schema.otherObjects.map((o) => ({
    table: `${o.schema}.${o.table ?? o.name}`,
    column: '*',
    from: `${o.kind} ${o.name}`,
    to: '(none)',
    severity: 'lossy',
    note: fill(FALLBACK[o.kind] ?? 'not copied: it has no counterpart in {to}'),
  }));
  for (const d of schema.databaseSettings ?? []) {
    if (d.role !== undefined) continue;
    notes.push({ table: '(database)', column: '*', from: `setting ${d.name} = ${d.value}`, to: '(none)', severity: 'lossy', note: `not applied: a ${schema.dialect} database setting (ALTER DATABASE … SET) has no counterpart in ${to}` });
  }
  if (schema.dialect === 'mysql' && to === 'postgres') {
    for (const table of schema.tables) {
      const key = `${table.schema}.${table.name}`;
      for (const ix of table.indexes) {
        const note = mysqlIndexFallback(ix.definition);
        if (note) notes.push({ table: key, column: '*', from: ix.definition, to: note.to, severity: 'lossy', note: note.note });
      }
      const partitioned = /\bPARTITION BY (\w+(?: \w+)?) ?\(/i.exec(table.storage ?? '');
      if (partitioned) {
        const strategy = partitioned[1]!.toUpperCase();
        notes.push({ table: key, column: '*', from: `PARTITION BY ${strategy}`, to: '(none)', severity: 'lossy', note: 'MySQL partitions are not recreated in PostgreSQL: the table is created and loaded unpartitioned (declare PARTITION OF tables there by hand if you need them)' });
      }
      for (const c of table.columns) {
        if (/\bon update current_timestamp/i.test(c.nativeType)) {
          notes.push({ table: key, column: c.name, from: 'ON UPDATE CURRENT_TIMESTAMP', to: '(none)', severity: 'lossy', note: 'PostgreSQL has no ON UPDATE clause: the column keeps its default but is not refreshed on UPDATE' });
        }
        if (/ INVISIBLE$/.test(c.nativeType)) {
          notes.push({ table: key, column: c.name, from: 'INVISIBLE', to: '(visible)', severity: 'lossy', note: 'PostgreSQL has no invisible columns: SELECT * returns it' });
        }
      }
    }
  }
  return notes;
}

/** How the PostgreSQL target treats a MySQL index it cannot create as such (postgres-ddl.ts mysqlIndexSql). */
function mysqlIndexFallback(definition: string): { to: string; note: string } | null {
  if (/^FULLTEXT\b/i.test(definition)) return { to: '(none)', note: 'FULLTEXT index not recreated: PostgreSQL full-text search needs a tsvector expression index' };
  if (/^SPATIAL\b/i.test(definition)) return { to: '(none)', note: 'SPATIAL index not recreated: the geometry is stored as WKT text, which a GiST index cannot serve' };
  const prefixed = /`\(\d+\)/.test(definition);
  if (prefixed && /^UNIQUE\b/i.test(definition)) return { to: 'btree index', note: 'prefix lengths have no PostgreSQL form: a plain (non-unique) index over the whole columns' };
  if (prefixed) return { to: 'btree index', note: 'prefix lengths have no PostgreSQL form: the index covers the whole columns' };
  if (/\bDESC\b/.test(definition)) return { to: 'btree index', note: 'descending key order is not kept (a btree index is read both ways)' };
  return null;
}

/** Same dialect: objects whose DDL the source's account could not read are not recreated, and parity will say so. */
function unreadableObjectNotes(schema: DatabaseSchema): TypeMappingNote[] {
  if (schema.dialect !== 'mysql') return [];
  return schema.otherObjects
    .filter((o) => o.definition === null)
    .map((o) => ({
      table: `${o.schema}.${o.table ?? o.name}`,
      column: '*',
      from: `${o.kind} ${o.name}`,
      to: '(none)',
      severity: 'lossy' as const,
      note:
        'its definition cannot be read with the source account (grant SELECT on mysql.proc, or SHOW CREATE ROUTINE where the server has it; EVENT for events); until then the schema parity check refuses the swap',
    }));
}
