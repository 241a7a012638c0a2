/**
 * End to end on the real servers: a schema is introspected through the source connectors, its metadata
 * derived, rows streamed in, and the report must (a) give a perfect score to a copy of itself, (b) notice a
 * damaged copy, and (c) score the same data identically whether it lives in PostgreSQL or MariaDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../../support/databases.js';
import {
  metadataFromSchema,
  qualityReport,
  qualityTableName,
  tableDataFromBatches,
} from '../../../src/validation/quality/index.js';
import type { QualityData, QualityMetadata } from '../../../src/validation/quality/index.js';

const PG_DDL = `
CREATE TABLE customers (id integer PRIMARY KEY, tier text NOT NULL, age integer, balance numeric(10,2), joined timestamp NOT NULL, active boolean NOT NULL);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers(id), amount double precision NOT NULL, placed date NOT NULL, status text NOT NULL);`;
const MY_DDL = `
CREATE TABLE customers (id int PRIMARY KEY, tier varchar(20) NOT NULL, age int, balance decimal(10,2), joined datetime NOT NULL, active boolean NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount double NOT NULL, placed date NOT NULL, status varchar(20) NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers(id));`;

/** Deterministic rows; `damage` skews ages, flips tiers and moves all orders to few customers. */
function inserts(damage: boolean, bool: (b: boolean) => string): string {
  const cust: string[] = [];
  const ord: string[] = [];
  let seed = 11;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const tiers = ['gold', 'silver', 'bronze'];
  for (let i = 1; i <= 60; i++) {
    const age = 20 + Math.floor(rnd() * 40);
    const tier = tiers[damage ? 0 : age % 3]!;
    const balance = rnd() < 0.1 ? 'NULL' : (age * 37.5 + rnd() * 100).toFixed(2);
    const day = String(1 + Math.floor(rnd() * 28)).padStart(2, '0');
    cust.push(`(${i}, '${tier}', ${damage ? age + 25 : age}, ${balance}, '2024-03-${day} 0${i % 10}:15:00', ${bool(i % 4 === 0)})`);
    const n = damage ? (i <= 10 ? 6 : 0) : 1 + (i % 2);
    for (let k = 0; k < n; k++) {
      const id = ord.length + 1;
      ord.push(`(${id}, ${i}, ${(age * 2 + rnd() * 10).toFixed(3)}, '2024-04-${String(1 + (id % 28)).padStart(2, '0')}', '${rnd() < 0.8 ? 'paid' : 'open'}')`);
    }
  }
  return `INSERT INTO customers VALUES ${cust.join(',')}; INSERT INTO orders VALUES ${ord.join(',')};`;
}

async function readAll(url: string): Promise<{ data: QualityData; metadata: QualityMetadata }> {
  const source: SourceConnector = await openSource(url);
  try {
    const schema = await source.introspect();
    const metadata = metadataFromSchema(schema, []);
    const data: QualityData = {};
    for (const t of schema.tables) {
      const columns = t.columns.map((c) => c.name);
      data[qualityTableName(schema, t)] = await tableDataFromBatches(columns, source.readRows(t, { columns, batchSize: 17 }));
    }
    return { data, metadata };
  } finally {
    await source.close();
  }
}

describe('quality report over real databases', () => {
  const dbs: TestDatabase[] = [];
  let pgReal: Awaited<ReturnType<typeof readAll>>;
  let pgDamaged: Awaited<ReturnType<typeof readAll>>;
  let myReal: Awaited<ReturnType<typeof readAll>>;

  beforeAll(async () => {
    const [a, b, c] = await Promise.all([createPgDatabase('synth_q'), createPgDatabase('synth_q'), createMysqlDatabase('synth_q')]);
    dbs.push(a, b, c);
    await a.exec(PG_DDL + inserts(false, (x) => String(x)));
    await b.exec(PG_DDL + inserts(true, (x) => String(x)));
    await c.exec(MY_DDL + inserts(false, (x) => (x ? '1' : '0')));
    [pgReal, pgDamaged, myReal] = await Promise.all([readAll(a.url), readAll(b.url), readAll(c.url)]);
  });

  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('derives SDV metadata from the introspected schema', () => {
    const m = pgReal.metadata;
    expect(m.relationships).toEqual([{ parentTable: 'customers', parentPrimaryKey: 'id', childTable: 'orders', childForeignKey: 'customer_id' }]);
    expect(m.tables.customers).toEqual({
      primaryKey: 'id',
      columns: { id: { sdtype: 'id' }, tier: { sdtype: 'text' }, age: { sdtype: 'numerical' }, balance: { sdtype: 'numerical' }, joined: { sdtype: 'datetime' }, active: { sdtype: 'boolean' } },
    });
    expect(pgReal.data.customers!.rows).toHaveLength(60);
  });

  it('gives a perfect score to an identical copy and flags every row as copied', () => {
    const r = qualityReport(pgReal.data, pgReal.data, pgReal.metadata);
    for (const p of r.properties) expect(p.score, p.name).toBe(1);
    expect(r.overall).toBe(1);
    expect(r.diagnostics.newRowSynthesis).toBe(0);
    expect(r.diagnostics.dataValidity).toBe(1);
    expect(r.diagnostics.relationshipValidity).toBe(1);
  });

  it('notices the damaged copy in shapes, cardinality and cross-table trends', () => {
    const meta: QualityMetadata = {
      ...pgReal.metadata,
      tables: { ...pgReal.metadata.tables, customers: { ...pgReal.metadata.tables.customers!, columns: { ...pgReal.metadata.tables.customers!.columns, tier: { sdtype: 'categorical' } } } },
    };
    const r = qualityReport(pgReal.data, pgDamaged.data, meta, { realCorrelationThreshold: 0, realAssociationThreshold: 0 });
    const shape = (c: string): number | null => r.columnShapes.find((s) => s.column === c)!.score;
    expect(shape('tier')).toBeCloseTo(1 / 3, 1);
    expect(shape('age')!).toBeLessThan(0.5);
    expect(shape('joined')!).toBeGreaterThan(0.8);
    expect(r.cardinality[0]!.score!).toBeLessThan(0.5);
    expect(r.properties.find((p) => p.name === 'Intertable Trends')!.score!).toBeLessThan(0.9);
    expect(r.overall!).toBeLessThan(0.8);
    // Ages moved up by 25: most fall outside the real range.
    expect(r.diagnostics.details.find((d) => d.column === 'age' && d.metric === 'BoundaryAdherence')!.score!).toBeLessThan(0.6);
  });

  it('scores the same data the same in PostgreSQL and MariaDB', () => {
    // MariaDB's boolean is tinyint(1); compare with the PostgreSQL sdtypes so only the values can differ.
    const mine = qualityReport(myReal.data, pgDamaged.data, pgReal.metadata);
    const theirs = qualityReport(pgReal.data, pgDamaged.data, pgReal.metadata);
    expect(mine.properties).toEqual(theirs.properties);
    expect(mine.columnShapes).toEqual(theirs.columnShapes);
    expect(mine.overall).toBe(theirs.overall);
  });
});
