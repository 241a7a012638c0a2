/** From the neutral schema and the generation stage's column roles to SDV metadata the report can score. */
import { describe, expect, it } from 'vitest';
import type { ColumnMeta } from '../../../src/generation/model.js';
import type { Column, DatabaseSchema, NeutralType, Table } from '../../../src/schema/model.js';
import { metadataFromSchema, qualityDataFromSamples, qualityReport } from '../../../src/validation/quality/index.js';

function col(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}

function table(schema: string, name: string, columns: Column[], pk: string[] | null, fks: Table['foreignKeys'] = []): Table {
  return {
    schema,
    name,
    columns,
    primaryKey: pk ? { name: `${name}_pkey`, columns: pk } : null,
    uniques: [],
    foreignKeys: fks,
    checks: [],
    indexes: [],
    partitioning: null,
    comment: null,
    estimatedRows: 0,
  };
}

const int: NeutralType = { kind: 'integer', bytes: 8, unsigned: false };
const schema: DatabaseSchema = {
  dialect: 'postgres',
  serverVersion: '15',
  schemas: ['public', 'audit'],
  enums: [],
  otherObjects: [],
  tables: [
    table('public', 'customers', [col('id', int), col('email', { kind: 'text', maxLength: null, fixedLength: false }), col('tier', { kind: 'enum', values: ['a', 'b'], name: 'tier' }), col('joined', { kind: 'timestamp', withTimeZone: true }), col('score', { kind: 'decimal', precision: 6, scale: 2 })], ['id']),
    table('public', 'orders', [col('id', { kind: 'uuid' }), col('customer_id', int), col('paid', { kind: 'boolean' }), col('note', { kind: 'json', binary: true })], ['id'], [
      { name: 'orders_customer_fk', columns: ['customer_id'], references: { schema: 'public', name: 'customers', columns: ['id'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false },
    ]),
    // Same bare name in another schema: both get schema-qualified names.
    table('public', 'log', [col('at', { kind: 'date' })], null),
    table('audit', 'log', [col('at', { kind: 'date' }), col('a', int), col('b', int)], ['a', 'b']),
  ],
};

describe('metadataFromSchema', () => {
  it('maps roles first, then keys, then neutral types to sdtypes', () => {
    const meta: ColumnMeta[] = [
      { table: { schema: 'public', name: 'customers' }, column: 'email', role: 'pii', piiKind: 'email' },
      { table: { schema: 'public', name: 'customers' }, column: 'score', role: 'numerical' },
      { table: { schema: 'public', name: 'orders' }, column: 'note', role: 'structured' },
    ];
    const m = metadataFromSchema(schema, meta);
    expect(Object.keys(m.tables)).toEqual(['customers', 'orders', 'public.log', 'audit.log']);
    expect(m.tables.customers).toEqual({
      primaryKey: 'id',
      columns: { id: { sdtype: 'id' }, email: { sdtype: 'other' }, tier: { sdtype: 'categorical' }, joined: { sdtype: 'datetime' }, score: { sdtype: 'numerical' } },
    });
    expect(m.tables.orders!.columns).toEqual({ id: { sdtype: 'id' }, customer_id: { sdtype: 'id' }, paid: { sdtype: 'boolean' }, note: { sdtype: 'other' } });
    // Composite primary keys are not SDV primary keys.
    expect(m.tables['audit.log']!.primaryKey).toBeUndefined();
    expect(m.relationships).toEqual([{ parentTable: 'customers', parentPrimaryKey: 'id', childTable: 'orders', childForeignKey: 'customer_id' }]);
  });

  it('feeds neutral rows (bigint keys, decimal strings, UTC timestamps, JSON) into a report', () => {
    const m = metadataFromSchema(schema, []);
    const big = 2n ** 60n;
    const customers = (shift: number) => ({
      table: { schema: 'public', name: 'customers' },
      totalRows: 4,
      columns: ['id', 'email', 'tier', 'joined', 'score'],
      rows: [0, 1, 2, 3].map((i) => [big + BigInt(i), `u${i}@x.org`, i % 2 ? 'a' : 'b', `2024-01-0${i + 1} 10:00:00+00`, `${(i + shift).toFixed(2)}`]),
    });
    const orders = {
      table: { schema: 'public', name: 'orders' },
      totalRows: 4,
      columns: ['id', 'customer_id', 'paid', 'note'],
      rows: [0, 1, 2, 3].map((i) => [`00000000-0000-0000-0000-00000000000${i}`, big + BigInt(i % 2), i % 2 === 0, { k: [i] }]),
    };
    const logs = [
      { table: { schema: 'public', name: 'log' }, totalRows: 1, columns: ['at'], rows: [['2024-02-01']] },
      { table: { schema: 'audit', name: 'log' }, totalRows: 1, columns: ['at', 'a', 'b'], rows: [['2024-02-01', 1, 2]] },
    ];
    const real = qualityDataFromSamples(schema, [customers(0), orders, ...logs]);
    const synthetic = qualityDataFromSamples(schema, [customers(0.5), orders, ...logs]);
    expect(real.customers!.rows[0]![0]).toBe((2n ** 60n).toString());
    expect(real.orders!.rows[1]![3]).toBe('{"k":[1]}');
    const r = qualityReport(real, synthetic, m);
    const shapes = Object.fromEntries(r.columnShapes.map((s) => [`${s.table}.${s.column}`, s.score]));
    expect(shapes['customers.score']).toBe(0.75);
    expect(shapes['customers.joined']).toBe(1);
    expect(shapes['customers.tier']).toBe(1);
    // bigint keys still join: two customers with two orders each in both data sets.
    expect(r.cardinality[0]!.score).toBe(1);
    expect(r.diagnostics.relationshipValidity).toBe(1);
  });
});
