/**
 * Column types and DDL for a MySQL target. A mysql-origin schema keeps `nativeType` verbatim; a schema from
 * another dialect is mapped through the neutral type, and every mapping that is not exact becomes a
 * TypeMappingNote (also listed in docs/type-mapping.md).
 */
import { createHash } from 'node:crypto';
import type { Column, DatabaseSchema, NeutralType, Table } from '../../schema/model.js';
import type { TypeMappingNote } from '../connector.js';
import { qcols, qi, ql, qt } from './mysql-quote.js';
import { repointNextval } from './mysql-sequences.js';
import { translateCheck, untranslatedCheckNote } from '../translate-check.js';

/** How a neutral value is spelled on the wire for a column, and the SQL that turns that text into the value. */
export type WireForm = 'text' | 'hex' | 'wkt' | 'bits' | 'json' | 'boolean' | 'set' | 'timestamp';

export interface ColumnPlan {
  column: Column;
  /** Type as written in DDL, e.g. `VARCHAR(255)`. */
  sqlType: string;
  /** Full column definition without the name and without AUTO_INCREMENT (that comes with the key in finalize). */
  definition: string;
  wire: WireForm;
  notes: TypeMappingNote[];
}

export function keyColumnsOf(table: Table, schema: DatabaseSchema): Set<string> {
  const keys = new Set<string>();
  for (const c of table.primaryKey?.columns ?? []) keys.add(c);
  for (const u of table.uniques) for (const c of u.columns) keys.add(c);
  for (const f of table.foreignKeys) for (const c of f.columns) keys.add(c);
  for (const other of schema.tables) {
    for (const f of other.foreignKeys) {
      if (f.references.schema === table.schema && f.references.name === table.name) for (const c of f.references.columns) keys.add(c);
    }
  }
  for (const i of table.indexes) {
    // Indexed TEXT needs a length in MySQL; treat indexed columns as keys for sizing.
    const list = /\(([^()]*)\)\s*$/.exec(i.definition)?.[1] ?? '';
    for (const part of list.split(',')) {
      const n = part.trim().replace(/^[`"]|[`"]$/g, '');
      if (table.columns.some((c) => c.name === n)) keys.add(n);
    }
  }
  return keys;
}

export function wireFor(type: NeutralType, sqlType: string): WireForm {
  const t = sqlType.toLowerCase();
  if (/blob|binary/.test(t)) return 'hex';
  if (type.kind === 'geometry') return 'wkt';
  if (/^bit\b/.test(t)) return 'bits';
  if (type.kind === 'json' || type.kind === 'array') return 'json';
  if (type.kind === 'boolean') return 'boolean';
  if (type.kind === 'set') return 'set';
  if (type.kind === 'timestamp') return 'timestamp';
  return 'text';
}

const isTextual = (k: NeutralType['kind']) => k === 'text' || k === 'enum' || k === 'set';

/** Maps a neutral type from another dialect to a MySQL type. */
function mapForeign(table: Table, column: Column, isKey: boolean): { sqlType: string; notes: TypeMappingNote[] } {
  const notes: TypeMappingNote[] = [];
  const note = (to: string, severity: TypeMappingNote['severity'], text: string) =>
    notes.push({ table: table.name, column: column.name, from: column.nativeType, to, severity, note: text });
  const t = column.type;
  let sqlType: string;
  switch (t.kind) {
    case 'integer': {
      const base = { 1: 'TINYINT', 2: 'SMALLINT', 3: 'MEDIUMINT', 4: 'INT', 8: 'BIGINT' }[t.bytes];
      sqlType = t.unsigned ? `${base} UNSIGNED` : base;
      break;
    }
    case 'decimal':
      if (t.precision === null) {
        sqlType = 'DECIMAL(65,30)';
        note(sqlType, 'lossy', 'numeric without precision: MySQL DECIMAL holds at most 65 digits, 30 after the point');
      } else if (t.precision > 65 || (t.scale ?? 0) > 30) {
        sqlType = `DECIMAL(65,${Math.min(t.scale ?? 0, 30)})`;
        note(sqlType, 'lossy', `precision ${t.precision}, scale ${t.scale ?? 0} exceeds MySQL DECIMAL(65,30)`);
      } else sqlType = `DECIMAL(${t.precision},${t.scale ?? 0})`;
      break;
    case 'float':
      sqlType = t.bytes === 4 ? 'FLOAT' : 'DOUBLE';
      break;
    case 'boolean':
      sqlType = 'TINYINT(1)';
      note(sqlType, 'info', 'boolean is stored as TINYINT(1) (0/1)');
      break;
    case 'text':
      if (t.maxLength !== null && t.fixedLength && t.maxLength <= 255) sqlType = `CHAR(${t.maxLength})`;
      else if (t.maxLength !== null && t.maxLength <= (isKey ? 768 : 16383)) sqlType = `VARCHAR(${t.maxLength})`;
      else if (isKey) {
        sqlType = 'VARCHAR(255)';
        note(sqlType, t.maxLength === null ? 'info' : 'lossy', 'text in a key or index needs a bounded length in MySQL: VARCHAR(255); longer values would not fit');
      } else {
        sqlType = 'LONGTEXT';
        if (t.maxLength !== null) note(sqlType, 'info', `length limit ${t.maxLength} is not enforced by LONGTEXT`);
      }
      break;
    case 'binary':
      if (isKey) {
        sqlType = `VARBINARY(${t.maxLength !== null && t.maxLength <= 3072 ? t.maxLength : 255})`;
        note(sqlType, 'lossy', 'binary in a key needs a bounded length in MySQL');
      } else {
        sqlType = 'LONGBLOB';
        note(sqlType, 'info', 'bytea is stored as LONGBLOB');
      }
      break;
    case 'date':
      sqlType = 'DATE';
      break;
    case 'time':
      sqlType = 'TIME(6)';
      if (t.withTimeZone) note(sqlType, 'lossy', 'MySQL TIME has no time zone; the offset is dropped');
      break;
    case 'timestamp':
      sqlType = 'DATETIME(6)';
      if (t.withTimeZone) note(sqlType, 'info', 'timestamptz is stored as DATETIME(6) holding UTC');
      break;
    case 'interval':
      sqlType = 'VARCHAR(64)';
      note(sqlType, 'lossy', 'MySQL has no interval type: stored as text in PostgreSQL form');
      break;
    case 'year':
      sqlType = 'YEAR';
      break;
    case 'uuid':
      sqlType = 'CHAR(36)';
      note(sqlType, 'info', 'uuid is stored as CHAR(36) text');
      break;
    case 'json':
      sqlType = 'JSON';
      if (t.structured) {
        const shape = t.structured.form === 'composite' ? `{${t.structured.attributes.map((a) => a.name).join(', ')}}` : '{lower, upper, bounds}';
        note(sqlType, 'lossy', `PostgreSQL ${t.structured.form} type ${t.structured.name} is stored as a JSON object ${shape}; the type itself is not created`);
      } else if (t.binary) note(sqlType, 'info', 'jsonb is stored as JSON (key order and duplicate keys may differ)');
      break;
    case 'enum':
      sqlType = `ENUM(${t.values.map(ql).join(', ')})`;
      note(sqlType, 'info', `enum type ${t.name ?? ''} becomes an inline ENUM`.replace('  ', ' '));
      break;
    case 'set':
      sqlType = `SET(${t.values.map(ql).join(', ')})`;
      break;
    case 'array':
      sqlType = 'JSON';
      note(sqlType, 'lossy', 'MySQL has no arrays: stored as a JSON array (element type not enforced)');
      break;
    case 'bit':
      if (!t.varying && t.length !== null && t.length <= 64) sqlType = `BIT(${t.length})`;
      else {
        sqlType = `VARCHAR(${t.length ?? 255})`;
        note(sqlType, 'lossy', 'varying or long bit strings are stored as text of 0/1');
      }
      break;
    case 'network':
      sqlType = 'VARCHAR(43)';
      note(sqlType, 'lossy', `${t.family} is stored as text; no address validation`);
      break;
    case 'tsvector':
      sqlType = 'LONGTEXT';
      note(sqlType, 'lossy', 'tsvector is stored as its text form; no full-text semantics');
      break;
    case 'geometry':
      sqlType = t.subtype ? t.subtype.toUpperCase() : 'GEOMETRY';
      if (!/^(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|GEOMETRY)$/.test(sqlType)) {
        note('GEOMETRY', 'lossy', `geometry subtype ${t.subtype} is stored as GEOMETRY`);
        sqlType = 'GEOMETRY';
      } else note(sqlType, 'info', 'geometry is carried as WKT; SRID is not kept');
      break;
    case 'money':
      sqlType = 'DECIMAL(19,2)';
      note(sqlType, 'info', 'money is stored as DECIMAL(19,2) without currency formatting');
      break;
    case 'xml':
      sqlType = 'LONGTEXT';
      note(sqlType, 'lossy', 'xml is stored as text; no well-formedness check');
      break;
    case 'unsupported':
      sqlType = 'LONGTEXT';
      note(sqlType, 'impossible', `unsupported type: ${t.reason}`);
      break;
  }
  if (column.collation !== null) note(sqlType, 'info', `collation ${column.collation} is not carried over; the database default applies`);
  return { sqlType, notes };
}

/** PostgreSQL defaults that mean the same in MySQL; the rest are dropped (noted). */
function mapForeignDefault(table: Table, column: Column, sqlType: string): { sql: string | null; note: TypeMappingNote | null } {
  const d = column.default;
  if (d === null || column.autoIncrement !== null) return { sql: null, note: null };
  const lit = /^'((?:[^']|'')*)'(::[\w ."[\]()]+)?$/.exec(d);
  if (lit && !/BLOB|TEXT|JSON|GEOMETRY/i.test(sqlType)) return { sql: `'${lit[1]!}'`.replace(/\\/g, '\\\\'), note: null };
  if (/^-?\d+(\.\d+)?$/.test(d.replace(/^\((.*)\)$/, '$1')) && !/BLOB|TEXT|JSON/i.test(sqlType)) return { sql: d.replace(/^\((.*)\)$/, '$1'), note: null };
  if (/^(true|false)$/i.test(d)) return { sql: /^true$/i.test(d) ? '1' : '0', note: null };
  if (/^(now\(\)|CURRENT_TIMESTAMP)$/i.test(d) && /^DATETIME/.test(sqlType)) return { sql: 'CURRENT_TIMESTAMP(6)', note: null };
  return {
    sql: null,
    note: { table: table.name, column: column.name, from: `DEFAULT ${d}`, to: '(none)', severity: 'info', note: 'default expression is PostgreSQL SQL and is not copied' },
  };
}

export function planColumns(schema: DatabaseSchema, table: Table): ColumnPlan[] {
  const keys = keyColumnsOf(table, schema);
  return table.columns.map((column) => {
    if (schema.dialect === 'mysql') {
      const collate = column.collation !== null && isTextual(column.type.kind) ? ` COLLATE ${column.collation}` : '';
      const invisible = / INVISIBLE$/.test(column.nativeType);
      const spelled = invisible ? column.nativeType.slice(0, -' INVISIBLE'.length) : column.nativeType;
      const onUpdate = /\s+(on update .+)$/i.exec(spelled);
      const baseType = onUpdate ? spelled.slice(0, onUpdate.index) : spelled;
      let definition = `${baseType}${collate}`;
      if (column.generated) {
        definition += ` GENERATED ALWAYS AS (${column.generated.expression}) ${column.generated.stored ? 'STORED' : 'VIRTUAL'}`;
      } else {
        definition += column.nullable ? ' NULL' : ' NOT NULL';
        if (column.default !== null) definition += ` DEFAULT ${column.default}`;
        if (onUpdate) definition += ` ${onUpdate[1]}`;
      }
      if (invisible) definition += ' INVISIBLE';
      if (column.comment !== null) definition += ` COMMENT ${ql(column.comment)}`;
      return { column, sqlType: baseType, definition, wire: wireFor(column.type, baseType), notes: [] };
    }
    const { sqlType, notes } = mapForeign(table, column, keys.has(column.name));
    let definition = sqlType;
    // A generated expression the CHECK translator can render (arithmetic, comparisons, simple functions) stays generated.
    const translated = column.generated ? translateCheck(schema.dialect, 'mysql', table, { expression: column.generated.expression }) : null;
    if (column.generated && translated?.ok) {
      notes.push({
        table: table.name, column: column.name, from: `GENERATED (${column.generated.expression})`, to: `${sqlType} AS (${translated.sql})`,
        severity: 'info', note: 'generated expression translated to MySQL',
      });
      definition += ` GENERATED ALWAYS AS (${translated.sql}) ${column.generated.stored ? 'STORED' : 'VIRTUAL'}`;
    } else if (column.generated) {
      notes.push({
        table: table.name, column: column.name, from: `GENERATED (${column.generated.expression})`, to: `${sqlType} NULL`,
        severity: 'lossy', note: 'generated expression is PostgreSQL SQL: the column becomes a plain nullable column left NULL',
      });
      definition += ' NULL';
    } else {
      definition += column.nullable ? ' NULL' : ' NOT NULL';
      const d = mapForeignDefault(table, column, sqlType);
      if (d.sql !== null) definition += ` DEFAULT ${d.sql}`;
      if (d.note) notes.push(d.note);
    }
    return { column, sqlType, definition, wire: wireFor(column.type, sqlType), notes };
  });
}

/** Columns synth writes: generated ones are computed (or, cross-dialect, left NULL). */
export function writablePlans(plans: ColumnPlan[]): ColumnPlan[] {
  return plans.filter((p) => p.column.generated === null);
}

export function createTableSql(database: string, schema: DatabaseSchema, table: Table): string {
  const plans = planColumns(schema, table);
  const listed = plans.map((p) => `  ${qi(p.column.name)} ${p.definition}`).join(',\n');
  // A `DEFAULT nextval(source.seq)` names the sequence copied into this database instead (mysql-sequences.ts).
  const cols = schema.dialect === 'mysql' ? repointNextval(listed, table.schema, database) : listed;
  const comment = table.comment !== null ? ` COMMENT=${ql(table.comment)}` : '';
  const storage = schema.dialect === 'mysql' && table.storage ? table.storage : 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
  // Partition options come after every table option (COMMENT included).
  const cut = storage.search(/\bPARTITION BY\b/);
  const options = cut < 0 ? storage : storage.slice(0, cut).trim();
  const partitions = cut < 0 ? '' : ` ${storage.slice(cut)}`;
  return `CREATE TABLE ${qt(database, table.name)} (\n${cols}\n) ${options}${comment}${partitions}`;
}

/** Constraint names must be unique per database in MySQL (FKs, and CHECKs in MySQL 8) and at most 64 chars. */
export class NameAllocator {
  private used = new Set<string>();
  take(wanted: string): string {
    let base = wanted.length > 64 ? `${wanted.slice(0, 55)}_${shortHash(wanted)}` : wanted;
    let name = base;
    for (let i = 2; this.used.has(name.toLowerCase()); i++) {
      const suffix = `_${i}`;
      base = base.length + suffix.length > 64 ? base.slice(0, 64 - suffix.length) : base;
      name = `${base}${suffix}`;
    }
    this.used.add(name.toLowerCase());
    return name;
  }
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Converts a simple PostgreSQL index definition (plain column list) to a MySQL ADD clause, else null. */
export function foreignIndexClause(name: string, definition: string): string | null {
  const m = /^CREATE (UNIQUE )?INDEX .* USING btree \(([^()]+)\)$/i.exec(definition.trim());
  if (!m) return null;
  const cols: string[] = [];
  for (const part of m[2]!.split(',')) {
    const p = part.trim();
    const q = /^"((?:[^"]|"")+)"$/.exec(p);
    if (q) cols.push(q[1]!.replace(/""/g, '"'));
    else if (/^[a-z_][a-z0-9_$]*$/.test(p)) cols.push(p);
    else return null;
  }
  return `${m[1] ? 'UNIQUE INDEX' : 'INDEX'} ${qi(name.slice(0, 64))} (${qcols(cols)})`;
}

/** Every mapping note for a schema landing in MySQL (empty for a mysql-origin schema). */
export function mappingNotes(schema: DatabaseSchema): TypeMappingNote[] {
  if (schema.dialect === 'mysql') return [];
  const notes: TypeMappingNote[] = [];
  const seen = new Map<string, string>();
  for (const table of schema.tables) {
    // Tables are named `schema.table` in notes, as the PostgreSQL connector does, even though they land in one database.
    const key = `${table.schema}.${table.name}`;
    const prior = seen.get(table.name);
    if (prior !== undefined) {
      notes.push({
        table: key, column: '*', from: `${table.schema}.${table.name}`, to: table.name, severity: 'impossible',
        note: `tables ${prior}.${table.name} and ${table.schema}.${table.name} would both land in the one MySQL database`,
      });
    }
    seen.set(table.name, table.schema);
    for (const p of planColumns(schema, table)) notes.push(...p.notes.map((n) => ({ ...n, table: key })));
    for (const c of table.checks) {
      const translated = translateCheck(schema.dialect, 'mysql', table, c);
      if (translated.ok) continue;
      notes.push({ table: key, column: c.columns[0] ?? '*', from: `CHECK ${c.name} (${c.expression})`, to: '(none)', severity: 'lossy', note: `${untranslatedCheckNote(c, 'mysql', translated.reason)}; validation skips it` });
    }
    for (const u of table.uniques) {
      if (u.predicate !== null) notes.push({ table: key, column: u.columns.join(','), from: `UNIQUE ${u.name} WHERE ${u.predicate}`, to: '(none)', severity: 'lossy', note: 'MySQL has no partial unique indexes: not created' });
      else if (!u.nullsDistinct) notes.push({ table: key, column: u.columns.join(','), from: `UNIQUE NULLS NOT DISTINCT ${u.name}`, to: `UNIQUE ${u.name}`, severity: 'lossy', note: 'MySQL unique keys treat NULLs as distinct' });
    }
    for (const i of table.indexes) {
      if (foreignIndexClause(i.name, i.definition) === null) notes.push({ table: key, column: '*', from: i.definition, to: '(none)', severity: 'info', note: 'index is not a plain column list: not recreated' });
    }
    if (table.partitioning) notes.push({ table: key, column: '*', from: `PARTITION BY ${table.partitioning.strategy}`, to: '(none)', severity: 'info', note: 'partitioning is not recreated; the table is loaded unpartitioned' });
    for (const f of table.foreignKeys) if (f.deferrable) notes.push({ table: key, column: f.columns.join(','), from: `DEFERRABLE ${f.name}`, to: f.name, severity: 'info', note: 'MySQL foreign keys are not deferrable' });
  }
  return notes;
}
