/**
 * Test fixtures: a hand-built neutral schema (mirroring DDL the tests run on the real PostgreSQL server),
 * and helpers that read real rows into TableSamples and child-count histograms with `pg` directly.
 */
import type { Column, DatabaseSchema, ForeignKey, NeutralType, Table } from '../../src/schema/model.js';
import type { Value } from '../../src/schema/values.js';
import type { ChildCountHistogram, TableSample } from '../../src/generation/model.js';
import type { TestDatabase } from '../support/databases.js';

export function col(name: string, type: NeutralType, opts: Partial<Column> = {}): Column {
  return {
    name,
    type,
    nativeType: opts.nativeType ?? type.kind,
    nullable: opts.nullable ?? true,
    default: null,
    autoIncrement: opts.autoIncrement ?? null,
    generated: opts.generated ?? null,
    domain: null,
    collation: null,
    comment: null,
  };
}

export const int4: NeutralType = { kind: 'integer', bytes: 4, unsigned: false };
export const int8: NeutralType = { kind: 'integer', bytes: 8, unsigned: false };
export const int2: NeutralType = { kind: 'integer', bytes: 2, unsigned: false };
export const text: NeutralType = { kind: 'text', maxLength: null, fixedLength: false };
export const varchar = (n: number): NeutralType => ({ kind: 'text', maxLength: n, fixedLength: false });

export function fk(name: string, columns: string[], table: string, refColumns: string[], schema = 'public'): ForeignKey {
  return { name, columns, references: { schema, name: table, columns: refColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false };
}

export function table(name: string, columns: Column[], opts: Partial<Table> = {}): Table {
  return {
    schema: opts.schema ?? 'public',
    name,
    columns,
    primaryKey: opts.primaryKey ?? null,
    uniques: opts.uniques ?? [],
    foreignKeys: opts.foreignKeys ?? [],
    checks: [],
    indexes: [],
    partitioning: null,
    comment: null,
    estimatedRows: 0,
  };
}

export function schemaOf(tables: Table[]): DatabaseSchema {
  return { dialect: 'postgres', serverVersion: '15', schemas: ['public'], tables, enums: [], otherObjects: [] };
}

export const pk = (...columns: string[]) => ({ name: 'pk', columns });
export const uq = (name: string, ...columns: string[]) => ({ name, columns, origin: 'constraint' as const, predicate: null, nullsDistinct: true });

/** Reads a whole (small) table as a TableSample, converting pg's wire values to neutral values. */
export async function readSample(db: TestDatabase, t: Table, sqlSchema = 'public'): Promise<TableSample> {
  const select = t.columns.map((c) => {
    const q = `"${c.name}"`;
    switch (c.type.kind) {
      case 'date':
        return `to_char(${q}, 'YYYY-MM-DD') as ${q}`;
      case 'timestamp':
        return c.type.withTimeZone
          ? `to_char(${q} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' as ${q}`
          : `to_char(${q}, 'YYYY-MM-DD HH24:MI:SS') as ${q}`;
      case 'decimal':
        return `${q}::text as ${q}`;
      default:
        return q;
    }
  });
  const rows = await db.query<Record<string, unknown>>(`select ${select.join(', ')} from "${sqlSchema}"."${t.name}"`);
  const count = await db.query<{ n: string }>(`select count(*)::text as n from "${sqlSchema}"."${t.name}"`);
  return {
    table: { schema: t.schema, name: t.name },
    totalRows: Number(count[0]!.n),
    columns: t.columns.map((c) => c.name),
    rows: rows.map((r) =>
      t.columns.map((c) => {
        const v = r[c.name];
        if (c.type.kind === 'integer' && typeof v === 'string') return Number(v);
        return v as Value;
      }),
    ),
  };
}

/** SQL child-count histogram of a single-column FK, the same measure a source connector takes. */
export async function readHistogram(db: TestDatabase, child: Table, fkName: string): Promise<ChildCountHistogram> {
  const f = child.foreignKeys.find((x) => x.name === fkName)!;
  const rows = await db.query<{ children: number; parents: number }>(
    `select children::int, count(*)::int as parents from (
       select p."${f.references.columns[0]}", count(c."${f.columns[0]}") as children
       from "${f.references.schema}"."${f.references.name}" p left join "${child.schema}"."${child.name}" c on c."${f.columns[0]}" = p."${f.references.columns[0]}"
       group by 1) s group by children order by children`,
  );
  return { child: { schema: child.schema, name: child.name }, foreignKey: fkName, counts: rows };
}
