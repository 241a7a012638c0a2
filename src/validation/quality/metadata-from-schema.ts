/**
 * Builds SDV-style metadata from the neutral schema and the column roles the generation stage decided, so
 * the pipeline can score what it wrote. Tables are named by bare name, or `schema.name` when two schemas
 * share a name.
 */
import type { ColumnMeta, ColumnRole } from '../../generation/model.js';
import type { Column, DatabaseSchema, Table, TableRef } from '../../schema/model.js';
import { writableColumns } from '../../schema/model.js';
import type { QualityMetadata, Relationship, Sdtype } from './types.js';

const ROLE_SDTYPE: Record<ColumnRole, Sdtype> = {
  'primary-key': 'id',
  'foreign-key': 'id',
  unique: 'id',
  numerical: 'numerical',
  categorical: 'categorical',
  datetime: 'datetime',
  boolean: 'boolean',
  text: 'text',
  pii: 'other',
  // A constant column is scored like a one-category categorical (TVComplement is 1 when it stays constant).
  constant: 'categorical',
  structured: 'other',
};

function sdtypeFromType(column: Column): Sdtype {
  switch (column.type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
    case 'year':
      return 'numerical';
    case 'boolean':
      return 'boolean';
    case 'date':
    case 'timestamp':
      return 'datetime';
    case 'enum':
      return 'categorical';
    case 'uuid':
      return 'id';
    case 'text':
      return 'text';
    default:
      return 'other';
  }
}

/** The name a table gets in the quality data and metadata. */
export function qualityTableName(schema: DatabaseSchema, ref: TableRef): string {
  const clash = schema.tables.filter((t) => t.name === ref.name).length > 1;
  return clash ? `${ref.schema}.${ref.name}` : ref.name;
}

export function metadataFromSchema(schema: DatabaseSchema, meta: readonly ColumnMeta[]): QualityMetadata {
  const roles = new Map<string, ColumnRole>();
  for (const m of meta) roles.set(`${m.table.schema}.${m.table.name}.${m.column}`, m.role);
  const tables: QualityMetadata['tables'] = {};
  const relationships: Relationship[] = [];
  for (const t of schema.tables) {
    const keyColumns = new Set<string>([...(t.primaryKey?.columns ?? []), ...t.foreignKeys.flatMap((f) => f.columns)]);
    const columns: Record<string, { sdtype: Sdtype }> = {};
    // Generated columns are computed by the database and not read back for scoring.
    for (const c of writableColumns(t)) {
      const role = roles.get(`${t.schema}.${t.name}.${c.name}`);
      columns[c.name] = { sdtype: role !== undefined ? ROLE_SDTYPE[role] : keyColumns.has(c.name) ? 'id' : sdtypeFromType(c) };
    }
    const name = qualityTableName(schema, t);
    tables[name] = t.primaryKey?.columns.length === 1 ? { primaryKey: t.primaryKey.columns[0]!, columns } : { columns };
    for (const fk of t.foreignKeys) {
      const parent = schema.tables.find((p: Table) => p.schema === fk.references.schema && p.name === fk.references.name);
      // SDV relationships are single-column; composite keys are left to the integrity gate.
      if (!parent || fk.columns.length !== 1 || fk.references.columns.length !== 1) continue;
      const relationship: Relationship = {
        parentTable: qualityTableName(schema, parent),
        parentPrimaryKey: fk.references.columns[0]!,
        childTable: name,
        childForeignKey: fk.columns[0]!,
      };
      // The same FK declared on several partitions of one table is one relationship of that table.
      const seen = relationships.some((r) => JSON.stringify(r) === JSON.stringify(relationship));
      if (!seen) relationships.push(relationship);
    }
  }
  return { tables, relationships };
}
