import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import { openPgSession, type PgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { loadTable } from '../../../src/connectors/postgres/postgres-write.js';
import { binaryBatchEncoder } from '../../../src/connectors/postgres/postgres-copy-binary.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let session: PgSession;
let schema: DatabaseSchema;

const COLUMNS = `
  i2 smallint, i4 integer, i8 bigint, n numeric, n2 numeric(12,2), n0 numeric(6,0), d date, f float8, b boolean,
  t text, v varchar(10), c char(4), ts timestamp, tz timestamptz, t0 timestamp(0)`;
// Two tables of the same columns: one loaded as text, one as binary, compared row by row as the server prints them.
const SQL = `CREATE TABLE as_text (k int, ${COLUMNS}); CREATE TABLE as_binary (k int, ${COLUMNS});
  CREATE DOMAIN posint AS integer CHECK (VALUE > 0); CREATE TABLE with_domain (k int, p posint);`;

const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
const names = (t: Table): string[] => t.columns.map((c) => c.name);
async function* batches(columns: string[], rows: Row[], size: number): AsyncIterable<RowBatch> {
  for (let i = 0; i < rows.length; i += size) yield { columns, rows: rows.slice(i, i + size) };
}

/** The session, recording which COPY format each statement used. */
function recording(s: PgSession, formats: string[], binary = true): PgSession {
  return {
    ...s,
    copyFrom: (sql, chunks) => (formats.push('text'), s.copyFrom(sql, chunks)),
    copyFromBinary: binary ? (sql, chunks) => (formats.push('binary'), s.copyFromBinary!(sql, chunks)) : undefined,
  };
}

/** Loads `rows` into both tables (text and binary) and returns each table's rows as the server prints them. */
async function both(rows: Row[], size = 3): Promise<{ text: string[]; binary: string[]; formats: string[] }> {
  await db.exec('TRUNCATE as_text, as_binary');
  const formats: string[] = [];
  const keyed = rows.map((r, k) => [k, ...r]);
  await loadTable(recording(session, [], false), 'public', table('as_text'), batches(names(table('as_text')), keyed, size));
  await loadTable(recording(session, formats), 'public', table('as_binary'), batches(names(table('as_binary')), keyed, size));
  const read = async (t: string): Promise<string[]> => (await db.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x ORDER BY k`)).map((r) => r.r);
  return { text: await read('as_text'), binary: await read('as_binary'), formats };
}

beforeAll(async () => {
  db = await createPgDatabase('synth_pg_copybin');
  await db.exec(SQL);
  const source = await openPostgresSource(db.url);
  schema = await source.introspect();
  await source.close();
  session = await openPgSession(db.url, { readOnly: false, max: 2 });
});

afterAll(async () => {
  await session?.close();
  await db?.drop();
});

describe('COPY BINARY load (postgres-copy-binary.ts)', () => {
  it('writes every value exactly as the text COPY does', async () => {
    const rows: Row[] = [
      [-32768, 2147483647, 9007199254740991, '12345678901234567890.123456789', '1234.56', '999999', '2024-02-29', -0, true, 'tab\there\nline \\ back', 'ünïcødé 🎉', 'ab', '2024-02-29 23:59:59.999999', '1999-12-31 23:59:59+00', '2000-01-01 00:00:00.5'],
      [32767, -2147483648, -9007199254740991, '-0.0012', '-0.00', '-5', '0001-01-01', 1e-300, false, '', 'x', 'abcd', '0001-01-01 00:00:00', '9999-12-31 23:59:59.123456+00', '2285-06-01 12:00:00.4'],
      [0, -0, 9223372036854775807n, '0', '0.005', '12.5', '9999-12-31', -1.25, 1, 'plain', '', ' a', '2286-01-01 00:00:00.1', '1970-01-01 00:00:00.000001+00', '1969-12-31 23:59:59.999'],
      [null, null, -9223372036854775808n, '10000', '-1234.565', '0.4', '2000-01-01', Number.NaN, 't', null, null, null, null, null, null],
      [7, 8, '-42', 1.5, 12, 123456n, '1999-12-31', Number.POSITIVE_INFINITY, 'false', 42, 'q', 'z', '2000-01-01 00:00:00', '2000-01-01 00:00:00.25+00', '2024-06-30 12:34:56'],
      [1, 2, 3, '100000000.00010000', '7.10', '0', '1900-02-28', 1e21, 'true', 'x', 'y', 'w', '1900-02-28 01:02:03.04', '2262-04-11 23:47:16.854775+00', '0044-03-15 12:00:00'],
    ];
    const { text, binary, formats } = await both(rows);
    expect(binary).toEqual(text);
    expect(text[0]).toContain('12345678901234567890.123456789');
    expect(formats).toEqual(['binary']);
  });

  it('leaves a timestamptz without its +00 offset to the text COPY (the session time zone reads it)', async () => {
    const r: Row = [1, 2, 3, '1', '1', '1', '2020-01-01', 1, true, 'a', 'b', 'c', '2020-01-01 00:00:00', '2020-01-01 10:00:00', null];
    const { text, binary, formats } = await both([r]);
    expect(binary).toEqual(text);
    expect(formats).toEqual(['binary', 'text']);
  });

  it('sends a batch holding a value without an exact binary form, and the rest, as text', async () => {
    const row = (k: number, d: string, n: string): Row => [k, k, k, n, '1.00', '1', d, 1, true, 'a', 'b', 'c', `${d} 00:00:00`, null, null];
    const rows = [row(1, '2020-01-01', '1'), row(2, '2020-01-02', '2'), row(3, 'infinity', '3'), row(4, '2020-01-04', '1e5'), row(5, '2020-01-05', '5')];
    const { text, binary, formats } = await both(rows, 2);
    expect(binary).toEqual(text);
    expect(binary).toHaveLength(5);
    expect(formats).toEqual(['binary', 'text']);
  });

  it('refuses the same values the text COPY refuses, naming the table', async () => {
    const bad: Row = [1, 2, 3, '1', '1', '1', '2021-02-30', 1, true, 'a', 'b', 'c', null, null, null];
    await db.exec('TRUNCATE as_binary');
    const formats: string[] = [];
    await expect(loadTable(recording(session, formats), 'public', table('as_binary'), batches(names(table('as_binary')), [[0, ...bad]], 1))).rejects.toThrow(
      /public\.as_binary/,
    );
    expect(formats).toEqual(['binary', 'text']);
    expect(await db.query('SELECT 1 FROM as_binary')).toHaveLength(0);
  });

  it('leaves a table with a column of another type (a domain) to text', async () => {
    const t = table('with_domain');
    const formats: string[] = [];
    await loadTable(recording(session, formats), 'public', t, batches(names(t), [[1, 5]], 1));
    expect(formats).toEqual(['text']);
    expect(binaryBatchEncoder([{ kind: 'integer', bytes: 4, unsigned: false }], [23])).not.toBeNull();
    expect(binaryBatchEncoder([{ kind: 'integer', bytes: 4, unsigned: false }], [1700])).toBeNull();
  });
});

describe('COPY BINARY bytes (postgres-copy-binary.ts, no database)', () => {
  /** One field as Buffer's own writers spell it: the length word, then the value's bytes. */
  const field = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (bytes.length >>> (24 - 8 * i)) & 0xff)), bytes]);
  const int = (n: number, size: 2 | 4): Buffer => {
    const b = Buffer.alloc(size);
    if (size === 2) b.writeInt16BE(n);
    else b.writeInt32BE(n);
    return b;
  };

  it('writes text byte for byte as UTF-8 (ASCII, mixed, long, surrogates) and integers in two\'s complement', () => {
    const texts = ['', 'abc', 'abcü', 'ab🎉c', `${'x'.repeat(100)}é`, 'x'.repeat(64), '\ud800x', 'tab\there'];
    const ints = [0, -1, -32768, 32767, 255, -256];
    const enc = binaryBatchEncoder(
      [{ kind: 'text', maxLength: null, fixedLength: false }, { kind: 'integer', bytes: 2, unsigned: false }, { kind: 'integer', bytes: 4, unsigned: false }, { kind: 'integer', bytes: 8, unsigned: false }],
      [25, 21, 23, 20],
    )!;
    const rows = texts.map((t, i) => [t, ints[i % ints.length]!, -(2 ** 31) + i, -(2 ** 53) + 1 + i * 2 ** 33]);
    const expected = Buffer.concat(
      rows.flatMap(([t, s, i4, i8]) => {
        const b8 = Buffer.alloc(8);
        b8.writeBigInt64BE(BigInt(i8 as number));
        return [int(4, 2), field(Buffer.from(t as string, 'utf8')), field(int(s as number, 2)), field(int(i4 as number, 4)), field(b8)];
      }),
    );
    expect(enc.encode(rows)).toEqual(expected);
  });

  it('writes numerics with negative weights and signs as numeric_send does', () => {
    const enc = binaryBatchEncoder([{ kind: 'decimal', precision: null, scale: null }], [1700])!;
    // '-0.0012': one base-10000 digit 12 at weight -1, negative, display scale 4.
    const b = enc.encode([['-0.0012'], ['12345.6']])!;
    const words = (buf: Buffer, from: number, n: number): number[] => Array.from({ length: n }, (_, i) => buf.readInt16BE(from + 2 * i));
    expect(b.readInt32BE(2)).toBe(10);
    expect(words(b, 6, 5)).toEqual([1, -1, 0x4000, 4, 12]);
    // '12345.6': digits 1, 2345, 6000 from weight 1, display scale 1.
    expect(b.readInt32BE(16 + 2)).toBe(14);
    expect(words(b, 16 + 6, 7)).toEqual([3, 1, 0, 1, 1, 2345, 6000]);
  });
});
