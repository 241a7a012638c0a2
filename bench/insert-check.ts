/**
 * The application-style check of issue 13: in every table of a hydrated target, an INSERT that leaves out the
 * database-assigned key (and every column with a default or that may be NULL) must succeed. Nullable and defaulted
 * columns are left to the database; a NOT NULL column without a default takes a valid value of its type, an FK
 * column an existing parent's key. A failure is most often a sequence or AUTO_INCREMENT counter left behind the
 * generated keys, or a default still pointing at the source.
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openSource } from '../src/connectors/index.js';
import type { Column, NeutralType, Table } from '../src/schema/model.js';

export interface InsertCheck {
  inserted: number;
  total: number;
  /** `table: error message` for each table whose INSERT failed. */
  failures: string[];
}

interface Runner {
  query(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>>;
  quote(schema: string, name: string): string;
  col(name: string): string;
  placeholder(i: number): string;
  close(): Promise<void>;
}

async function runnerFor(url: string): Promise<Runner> {
  if (/^postgres(ql)?:/.test(url)) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    return {
      query: async (sql, params) => (await client.query(sql, params)).rows as Array<Record<string, unknown>>,
      quote: (schema, name) => `${q(schema)}.${q(name)}`,
      col: q,
      placeholder: (i) => `$${i}`,
      close: () => client.end(),
    };
  }
  const conn = await mysql.createConnection({ uri: url });
  const q = (s: string) => `\`${s.replace(/`/g, '``')}\``;
  return {
    query: async (sql, params) => {
      const [rows] = await conn.query(sql, params);
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    },
    quote: (schema, name) => `${q(schema)}.${q(name)}`,
    col: q,
    placeholder: () => '?',
    close: () => conn.end(),
  };
}

/** A value of the column's type that a plain column of it accepts; null where the type has none to offer here. */
function valueOf(type: NeutralType, attempt: number): unknown {
  const tag = `${Date.now().toString(36).slice(-4)}${attempt}${Math.floor(Math.random() * 1e6).toString(36)}`;
  switch (type.kind) {
    case 'integer': {
      // Within the type's range (a SMALLINT key is common): a random value, which a retry redraws on a collision.
      const span = type.bytes === 1 ? 100 : type.bytes === 2 ? 20_000 : 90_000;
      const base = type.bytes === 1 ? 1 : type.bytes === 2 ? 10_000 : 900_000;
      return base + Math.floor(Math.random() * span);
    }
    case 'decimal':
      return '1';
    case 'float':
      return 1.5;
    case 'boolean':
      return true;
    case 'text':
      return type.maxLength === null ? `new-${tag}` : tag.toUpperCase().padEnd(type.maxLength, 'X').slice(0, type.maxLength);
    case 'binary':
      return Buffer.from('new');
    case 'date':
      return '2024-01-02';
    case 'time':
      return '03:04:05';
    case 'timestamp':
      return '2024-01-02 03:04:05';
    case 'year':
      return 2024;
    case 'uuid':
      return randomUUID();
    case 'json':
      return '{}';
    case 'enum':
    case 'set':
      return type.values[0] ?? null;
    default:
      return null;
  }
}

/** The columns an application must give: NOT NULL, no default, not computed or assigned by the database. */
function required(c: Column): boolean {
  return !c.nullable && c.default === null && c.autoIncrement === null && c.generated === null;
}

/** A NOT NULL FK column takes a parent's key even where it has a default (`CountryCode CHAR(3) DEFAULT ''`). */
function parentKeyed(table: Table, c: Column): boolean {
  return !c.nullable && c.generated === null && table.foreignKeys.some((f) => !f.virtual && f.columns.includes(c.name));
}

/** The first literal of a CHECK on this one column alone (`continent IN ('Asia', …)`, `= ANY (ARRAY['Asia', …])`). */
function checkedLiteral(table: Table, c: Column): string | null {
  for (const check of table.checks) {
    if (check.columns.length !== 1 || check.columns[0] !== c.name) continue;
    const m = /'((?:[^']|'')*)'/.exec(check.expression);
    if (m) return m[1]!.replace(/''/g, "'");
  }
  return null;
}

/** Referenced tables first, so a parent that held no row gets one before its children need it. */
function parentsFirst(tables: Table[]): Table[] {
  const out: Table[] = [];
  const seen = new Set<Table>();
  const byName = new Map(tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const visit = (t: Table) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const f of t.foreignKeys) {
      const parent = byName.get(`${f.references.schema}.${f.references.name}`);
      if (parent && parent !== t) visit(parent);
    }
    out.push(t);
  };
  tables.forEach(visit);
  return out;
}

async function insertOne(db: Runner, table: Table): Promise<void> {
  const needed = table.columns.filter((c) => required(c) || parentKeyed(table, c));
  let last: unknown = null;
  // A random parent or value may collide with a unique key the existing rows already hold: a few tries.
  for (let attempt = 0; attempt < 5; attempt++) {
    const values = new Map<string, unknown>();
    for (const fk of table.foreignKeys) {
      if (!fk.columns.some((c) => needed.some((n) => n.name === c))) continue;
      const cols = fk.references.columns.map(db.col).join(', ');
      const order = /^\$/.test(db.placeholder(1)) ? 'random()' : 'RAND()';
      const [row] = await db.query(`SELECT ${cols} FROM ${db.quote(fk.references.schema, fk.references.name)} ORDER BY ${order} LIMIT 1`, []);
      if (!row) throw new Error(`no parent row in ${fk.references.name}`);
      fk.columns.forEach((c, i) => values.set(c, row[fk.references.columns[i]!]));
    }
    for (const c of needed) {
      if (values.has(c.name)) continue;
      const v = checkedLiteral(table, c) ?? valueOf(c.type, attempt);
      if (v === null) throw new Error(`no test value for ${c.name} ${c.nativeType}`);
      values.set(c.name, v);
    }
    const names = [...values.keys()];
    const sql =
      names.length === 0
        ? db.placeholder(1) === '?'
          ? `INSERT INTO ${db.quote(table.schema, table.name)} () VALUES ()`
          : `INSERT INTO ${db.quote(table.schema, table.name)} DEFAULT VALUES`
        : `INSERT INTO ${db.quote(table.schema, table.name)} (${names.map(db.col).join(', ')}) VALUES (${names.map((_, i) => db.placeholder(i + 1)).join(', ')})`;
    try {
      await db.query(sql, [...values.values()]);
      return;
    } catch (e) {
      last = e;
      // Only a collision with existing keys is worth another try; anything else is the answer.
      const msg = e instanceof Error ? e.message : String(e);
      if (!/duplicate/i.test(msg) || table.columns.some((c) => c.autoIncrement !== null && table.primaryKey?.columns.includes(c.name))) break;
    }
  }
  throw last;
}

/** Inserts one new row, without its database-assigned key, into every table of the database at `url`. */
export async function insertIntoEveryTable(url: string): Promise<InsertCheck> {
  const connector = await openSource(url);
  let tables: Table[];
  try {
    tables = (await connector.introspect()).tables;
  } finally {
    await connector.close();
  }
  const db = await runnerFor(url);
  const failures: string[] = [];
  try {
    for (const table of parentsFirst(tables)) {
      await insertOne(db, table).catch((e: unknown) => failures.push(`${table.name}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`));
    }
  } finally {
    await db.close();
  }
  return { inserted: tables.length - failures.length, total: tables.length, failures };
}
