/** Reads information_schema into the neutral schema model. */
import type {
  CheckConstraint,
  Column,
  DatabaseSchema,
  ForeignKey,
  NeutralType,
  OtherObject,
  ReferentialAction,
  Table,
  UniqueConstraint,
} from '../../schema/model.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, ql, qt } from './mysql-quote.js';
import { routinesAndEvents, unqualified } from './mysql-objects.js';
import { readSequences } from './mysql-sequences.js';
import { columnRangeOfExpression, partitioningOf, partitionRows, type PartitionRow } from './mysql-partitions.js';

interface ColumnRow {
  TABLE_SCHEMA: string;
  TABLE_NAME: string;
  COLUMN_NAME: string;
  COLUMN_DEFAULT: string | null;
  IS_NULLABLE: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  CHARACTER_MAXIMUM_LENGTH: string | number | null;
  NUMERIC_PRECISION: string | number | null;
  NUMERIC_SCALE: string | number | null;
  COLLATION_NAME: string | null;
  EXTRA: string;
  GENERATION_EXPRESSION: string | null;
  COLUMN_COMMENT: string;
}

/** Parses the quoted list of `enum('a','b''c')` / `set(...)` as information_schema spells it. */
export function parseQuotedList(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const body = columnType.slice(open + 1, columnType.lastIndexOf(')'));
  const out: string[] = [];
  let i = 0;
  while (i < body.length) {
    if (body[i] !== "'") {
      i++;
      continue;
    }
    let s = '';
    i++;
    while (i < body.length) {
      const ch = body[i]!;
      if (ch === "'" && body[i + 1] === "'") {
        s += "'";
        i += 2;
      } else if (ch === "'") {
        i++;
        break;
      } else if (ch === '\\' && i + 1 < body.length) {
        const n = body[i + 1]!;
        s += n === 'n' ? '\n' : n === 't' ? '\t' : n === '0' ? '\0' : n;
        i += 2;
      } else {
        s += ch;
        i++;
      }
    }
    out.push(s);
  }
  return out;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export function neutralTypeOf(dataType: string, columnType: string, charMax: number | null, precision: number | null, scale: number | null): NeutralType {
  const dt = dataType.toLowerCase();
  const ct = columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(ct);
  switch (dt) {
    case 'tinyint':
      return /^tinyint\(1\)/.test(ct) && !unsigned ? { kind: 'boolean' } : { kind: 'integer', bytes: 1, unsigned };
    case 'bool':
    case 'boolean':
      return { kind: 'boolean' };
    case 'smallint':
      return { kind: 'integer', bytes: 2, unsigned };
    case 'mediumint':
      return { kind: 'integer', bytes: 3, unsigned };
    case 'int':
    case 'integer':
      return { kind: 'integer', bytes: 4, unsigned };
    case 'bigint':
      return { kind: 'integer', bytes: 8, unsigned };
    case 'decimal':
    case 'numeric':
      return { kind: 'decimal', precision, scale };
    case 'float':
      return { kind: 'float', bytes: 4 };
    case 'double':
    case 'real':
    case 'double precision':
      return { kind: 'float', bytes: 8 };
    case 'bit': {
      const m = /^bit\((\d+)\)/.exec(ct);
      return { kind: 'bit', length: m ? Number(m[1]) : 1, varying: false };
    }
    case 'char':
      return { kind: 'text', maxLength: charMax, fixedLength: true };
    case 'varchar':
      return { kind: 'text', maxLength: charMax, fixedLength: false };
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      return { kind: 'text', maxLength: dt === 'longtext' || dt === 'mediumtext' ? null : charMax, fixedLength: false };
    case 'binary':
    case 'varbinary':
      return { kind: 'binary', maxLength: charMax };
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return { kind: 'binary', maxLength: dt === 'longblob' || dt === 'mediumblob' ? null : charMax };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time', withTimeZone: false };
    case 'datetime':
      return { kind: 'timestamp', withTimeZone: false };
    // TIMESTAMP is stored in UTC and converted by the session time zone: an instant, like timestamptz.
    case 'timestamp':
      return { kind: 'timestamp', withTimeZone: true };
    case 'year':
      return { kind: 'year' };
    case 'json':
      return { kind: 'json', binary: true };
    case 'enum':
      return { kind: 'enum', values: parseQuotedList(columnType), name: null };
    case 'set':
      return { kind: 'set', values: parseQuotedList(columnType) };
    case 'geometry':
      return { kind: 'geometry', subtype: null };
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon':
    case 'geometrycollection':
    case 'geomcollection':
      return { kind: 'geometry', subtype: dt };
    case 'uuid':
      return { kind: 'uuid' };
    case 'inet4':
    case 'inet6':
      return { kind: 'network', family: 'inet' };
    default:
      return { kind: 'unsupported', reason: `MySQL type ${columnType} is not supported` };
  }
}

/** MariaDB spells defaults as SQL (quoted literals, expressions); MySQL 8 gives raw literals. */
function normalizeDefault(row: ColumnRow, mariadb: boolean, type: NeutralType): string | null {
  const d = row.COLUMN_DEFAULT;
  if (d === null) return null;
  if (mariadb) {
    if (d === 'NULL') return null;
    if (/^'.*'$/s.test(d) || /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(d) || /^\(.*\)$/s.test(d)) return d;
    if (/^current_timestamp(\(\d*\))?$/i.test(d)) return d;
    if (/^b'[01]*'$/i.test(d)) return d;
    return `(${d})`;
  }
  if (row.EXTRA.includes('DEFAULT_GENERATED')) {
    return /^current_timestamp(\(\d*\))?$/i.test(d) ? d : `(${d})`;
  }
  if ((type.kind === 'integer' || type.kind === 'decimal' || type.kind === 'float') && /^-?[\d.e+-]+$/i.test(d)) return d;
  if (type.kind === 'bit') return d;
  return `'${d.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Columns a CHECK expression mentions: backticked names that are columns of the table. */
function mentionedColumns(expression: string, columns: string[]): string[] {
  const out = new Set<string>();
  for (const m of expression.matchAll(/`((?:[^`]|``)+)`/g)) {
    const name = m[1]!.replace(/``/g, '`');
    if (columns.includes(name)) out.add(name);
  }
  if (out.size === 0) {
    for (const c of columns) if (new RegExp(`\\b${c.replace(/[^\w]/g, '\\$&')}\\b`).test(expression)) out.add(c);
  }
  return [...out];
}

function action(rule: string): ReferentialAction {
  const r = rule.toUpperCase();
  return r === 'CASCADE' || r === 'SET NULL' || r === 'SET DEFAULT' || r === 'RESTRICT' ? r : 'NO ACTION';
}

/** `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`, as SHOW CREATE TABLE spells a table's options. */
function storageOf(engine: string | null, collation: string | null, createOptions: string | null): string | null {
  // A collation's name starts with its character set's (utf8mb4_general_ci, latin1_swedish_ci, binary).
  const charset = collation?.split('_')[0] ?? null;
  // Explicit options (row_format=COMPRESSED, stats_persistent=1, …); PARTITION BY is appended by introspectMysql.
  const options = (createOptions ?? '').split(/\s+/).filter((o) => /^[a-z_]+=\S+$/i.test(o)).map((o) => o.replace(/^[a-z_]+/i, (k) => k.toUpperCase()));
  const parts = [engine ? `ENGINE=${engine}` : '', charset ? `DEFAULT CHARSET=${charset}` : '', collation ? `COLLATE=${collation}` : '', ...options];
  const text = parts.filter(Boolean).join(' ');
  return text === '' ? null : text;
}

/**
 * The `PARTITION BY …` clause of SHOW CREATE TABLE (MySQL wraps it in a versioned comment), kept at the end of
 * `Table.storage`: same-dialect DDL recreates it after the table options, and the parity check compares it.
 */
export function partitionClause(createTable: string): string | null {
  const m = /(?:\/\*!\d+\s*)?(PARTITION BY[\s\S]*?)(?:\s*\*\/)?\s*$/.exec(createTable);
  return m ? m[1]!.replace(/\s+/g, ' ').trim() : null;
}

export async function introspectMysql(session: MysqlSession, databases: string[]): Promise<DatabaseSchema> {
  const mariadb = await session.isMariaDb();
  const serverVersion = await session.serverVersion();
  const inList = databases.map(() => '?').join(', ');

  const tableRows = await session.query<{
    TABLE_SCHEMA: string; TABLE_NAME: string; TABLE_ROWS: string | null; TABLE_COMMENT: string;
    ENGINE: string | null; TABLE_COLLATION: string | null; CREATE_OPTIONS: string | null;
  }>(
    `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, TABLE_COMMENT, ENGINE, TABLE_COLLATION, CREATE_OPTIONS FROM information_schema.TABLES
     WHERE TABLE_SCHEMA IN (${inList}) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    databases,
  );
  const columnRows = await session.query<ColumnRow>(
    `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE,
            CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLLATION_NAME, EXTRA,
            GENERATION_EXPRESSION, COLUMN_COMMENT
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${inList})
     ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    databases,
  );
  const statRows = await session.query<{
    TABLE_SCHEMA: string; TABLE_NAME: string; INDEX_NAME: string; NON_UNIQUE: string | number;
    COLUMN_NAME: string | null; SUB_PART: string | number | null; INDEX_TYPE: string; SEQ_IN_INDEX: number;
    COLLATION: string | null; INDEX_COMMENT: string | null;
  }>(
    `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, SEQ_IN_INDEX, COLLATION, INDEX_COMMENT
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (${inList})`,
    databases,
  );
  const fkRows = await session.query<{
    TABLE_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; COLUMN_NAME: string;
    REFERENCED_TABLE_SCHEMA: string; REFERENCED_TABLE_NAME: string; REFERENCED_COLUMN_NAME: string;
    UPDATE_RULE: string; DELETE_RULE: string;
  }>(
    `SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA,
            k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE
     FROM information_schema.KEY_COLUMN_USAGE k
     JOIN information_schema.REFERENTIAL_CONSTRAINTS r
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
     WHERE k.TABLE_SCHEMA IN (${inList}) AND k.REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    databases,
  );
  const checkRows = mariadb
    ? await session.query<{ CONSTRAINT_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; CHECK_CLAUSE: string; LEVEL: string }>(
        `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA IN (${inList}) ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME`,
        databases,
      )
    : await session.query<{ CONSTRAINT_SCHEMA: string; TABLE_NAME: string; CONSTRAINT_NAME: string; CHECK_CLAUSE: string; LEVEL: string }>(
        `SELECT c.CONSTRAINT_SCHEMA, t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE, 'Table' AS LEVEL
         FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
           ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK'
         WHERE c.CONSTRAINT_SCHEMA IN (${inList}) ORDER BY 1, 2, 3`,
        databases,
      );

  const key = (s: string, t: string) => `${s}\u0000${t}`;
  const tables = new Map<string, Table>();
  for (const t of tableRows) {
    tables.set(key(t.TABLE_SCHEMA, t.TABLE_NAME), {
      schema: t.TABLE_SCHEMA,
      name: t.TABLE_NAME,
      columns: [],
      primaryKey: null,
      uniques: [],
      foreignKeys: [],
      checks: [],
      indexes: [],
      partitioning: null,
      comment: t.TABLE_COMMENT === '' ? null : t.TABLE_COMMENT,
      storage: storageOf(t.ENGINE, t.TABLE_COLLATION, t.CREATE_OPTIONS),
      estimatedRows: Number(t.TABLE_ROWS ?? 0),
    });
  }

  // MariaDB's JSON is LONGTEXT plus a column CHECK json_valid(`col`): report kind json and drop that check.
  const jsonColumns = new Set<string>();
  for (const c of checkRows) {
    const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(c.CHECK_CLAUSE.trim());
    if (m && c.LEVEL === 'Column' && m[1]!.replace(/``/g, '`') === c.CONSTRAINT_NAME) {
      jsonColumns.add(`${key(c.CONSTRAINT_SCHEMA, c.TABLE_NAME)}\u0000${c.CONSTRAINT_NAME}`);
    }
  }

  for (const r of columnRows) {
    const table = tables.get(key(r.TABLE_SCHEMA, r.TABLE_NAME));
    if (!table) continue;
    const isMariaJson = jsonColumns.has(`${key(r.TABLE_SCHEMA, r.TABLE_NAME)}\u0000${r.COLUMN_NAME}`);
    const type: NeutralType = isMariaJson
      ? { kind: 'json', binary: false }
      : neutralTypeOf(r.DATA_TYPE, r.COLUMN_TYPE, num(r.CHARACTER_MAXIMUM_LENGTH), num(r.NUMERIC_PRECISION), num(r.NUMERIC_SCALE));
    const extra = r.EXTRA.toUpperCase();
    const generated =
      extra.includes('GENERATED') && r.GENERATION_EXPRESSION !== null && !extra.includes('DEFAULT_GENERATED')
        ? { expression: r.GENERATION_EXPRESSION, stored: extra.includes('STORED') || extra.includes('PERSISTENT') }
        : null;
    const onUpdate = /\bon update (current_timestamp(\(\d*\))?)/i.exec(r.EXTRA)?.[0] ?? null;
    const column: Column = {
      name: r.COLUMN_NAME,
      type,
      // The model has no place for ON UPDATE or INVISIBLE; they ride on the type spelling so same-dialect DDL keeps them.
      nativeType: `${isMariaJson ? 'json' : onUpdate === null ? r.COLUMN_TYPE : `${r.COLUMN_TYPE} ${onUpdate}`}${/\bINVISIBLE\b/.test(extra) ? ' INVISIBLE' : ''}`,
      nullable: r.IS_NULLABLE === 'YES',
      default: generated ? null : normalizeDefault(r, mariadb, type),
      autoIncrement: extra.includes('AUTO_INCREMENT') ? 'auto_increment' : null,
      generated,
      domain: null,
      collation: isMariaJson ? null : r.COLLATION_NAME,
      comment: r.COLUMN_COMMENT === '' ? null : r.COLUMN_COMMENT,
    };
    table.columns.push(column);
  }

  // Indexes: PRIMARY, unique (MySQL's UNIQUE constraints are unique indexes), and the rest as ADD clauses.
  const indexGroups = new Map<string, typeof statRows>();
  for (const s of statRows) {
    const k = `${key(s.TABLE_SCHEMA, s.TABLE_NAME)}\u0000${s.INDEX_NAME}`;
    const g = indexGroups.get(k) ?? [];
    g.push(s);
    indexGroups.set(k, g);
  }
  // Unordered on purpose: the server lists a table's keys in their order in the table, which DDL must keep
  // (SHOW CREATE TABLE prints them so); the parts of one key are sorted here.
  for (const parts of indexGroups.values()) {
    parts.sort((a, b) => Number(a.SEQ_IN_INDEX) - Number(b.SEQ_IN_INDEX));
    const first = parts[0]!;
    const table = tables.get(key(first.TABLE_SCHEMA, first.TABLE_NAME));
    if (!table) continue;
    const columns = parts.map((p) => p.COLUMN_NAME).filter((c): c is string => c !== null);
    const hasPrefix = parts.some((p) => p.SUB_PART !== null);
    const functional = parts.some((p) => p.COLUMN_NAME === null);
    if (first.INDEX_NAME === 'PRIMARY') {
      table.primaryKey = { name: 'PRIMARY', columns };
      continue;
    }
    const unique = Number(first.NON_UNIQUE) === 0;
    const descending = parts.some((p) => p.COLLATION === 'D');
    if (unique && !hasPrefix && !functional && !descending && !first.INDEX_COMMENT) {
      const u: UniqueConstraint = { name: first.INDEX_NAME, columns, origin: 'constraint', predicate: null, nullsDistinct: true };
      table.uniques.push(u);
      continue;
    }
    if (functional) continue;
    const kind = first.INDEX_TYPE.toUpperCase();
    // A SPATIAL index reports a key length (32) that is not a prefix and cannot be declared.
    const prefix = (p: (typeof parts)[number]) => (p.SUB_PART === null || kind === 'SPATIAL' ? '' : `(${Number(p.SUB_PART)})`);
    const cols = parts.map((p) => `${qi(p.COLUMN_NAME!)}${prefix(p)}${p.COLLATION === 'D' ? ' DESC' : ''}`).join(', ');
    const head = unique ? 'UNIQUE INDEX' : kind === 'FULLTEXT' ? 'FULLTEXT INDEX' : kind === 'SPATIAL' ? 'SPATIAL INDEX' : 'INDEX';
    const comment = first.INDEX_COMMENT ? ` COMMENT ${ql(first.INDEX_COMMENT)}` : '';
    table.indexes.push({ name: first.INDEX_NAME, definition: `${head} ${qi(first.INDEX_NAME)} (${cols})${comment}` });
  }

  const fkGroups = new Map<string, typeof fkRows>();
  for (const f of fkRows) {
    const k = `${key(f.TABLE_SCHEMA, f.TABLE_NAME)}\u0000${f.CONSTRAINT_NAME}`;
    const g = fkGroups.get(k) ?? [];
    g.push(f);
    fkGroups.set(k, g);
  }
  for (const parts of fkGroups.values()) {
    const first = parts[0]!;
    const table = tables.get(key(first.TABLE_SCHEMA, first.TABLE_NAME));
    if (!table) continue;
    const fk: ForeignKey = {
      name: first.CONSTRAINT_NAME,
      columns: parts.map((p) => p.COLUMN_NAME),
      references: {
        schema: first.REFERENCED_TABLE_SCHEMA,
        name: first.REFERENCED_TABLE_NAME,
        columns: parts.map((p) => p.REFERENCED_COLUMN_NAME),
      },
      onDelete: action(first.DELETE_RULE),
      onUpdate: action(first.UPDATE_RULE),
      deferrable: false,
    };
    table.foreignKeys.push(fk);
  }

  for (const c of checkRows) {
    const table = tables.get(key(c.CONSTRAINT_SCHEMA, c.TABLE_NAME));
    if (!table) continue;
    if (jsonColumns.has(`${key(c.CONSTRAINT_SCHEMA, c.TABLE_NAME)}\u0000${c.CONSTRAINT_NAME}`)) continue;
    const columnNames = table.columns.map((x) => x.name);
    const check: CheckConstraint = {
      name: c.CONSTRAINT_NAME,
      expression: c.CHECK_CLAUSE,
      columns: c.LEVEL === 'Column' ? [c.CONSTRAINT_NAME] : mentionedColumns(c.CHECK_CLAUSE, columnNames),
      origin: c.LEVEL === 'Column' ? 'column' : 'table',
    };
    table.checks.push(check);
  }

  const partitioned = tableRows.filter((t) => /\bpartitioned\b/i.test(t.CREATE_OPTIONS ?? ''));
  const partitionsOf = new Map<string, PartitionRow[]>();
  for (const r of partitioned.length > 0 ? await partitionRows(session, databases) : []) {
    const k = key(r.TABLE_SCHEMA, r.TABLE_NAME);
    partitionsOf.set(k, [...(partitionsOf.get(k) ?? []), r]);
  }
  for (const t of partitioned) {
    const table = tables.get(key(t.TABLE_SCHEMA, t.TABLE_NAME))!;
    const rows = await session.query<Record<string, string>>(`SHOW CREATE TABLE ${qt(t.TABLE_SCHEMA, t.TABLE_NAME)}`);
    const clause = partitionClause(rows[0]?.['Create Table'] ?? '');
    if (clause !== null) table.storage = `${table.storage ?? ''} ${clause}`.trim();
    const prows = partitionsOf.get(key(t.TABLE_SCHEMA, t.TABLE_NAME)) ?? [];
    const partitioning = partitioningOf(prows, table.columns);
    table.partitioning = partitioning && ((await columnRangeOfExpression(session, prows, table.columns, partitioning)) ?? partitioning);
  }

  const otherObjects: OtherObject[] = [];
  const views = await session.query<{ TABLE_SCHEMA: string; TABLE_NAME: string; VIEW_DEFINITION: string; CHECK_OPTION: string; SECURITY_TYPE: string; ALGORITHM?: string }>(
    `SELECT * FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (${inList}) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    databases,
  );
  for (const v of views) {
    // The stored definition qualifies tables with the source database; strip that so it can live anywhere.
    const body = v.VIEW_DEFINITION.split(`${qi(v.TABLE_SCHEMA)}.`).join('');
    const algorithm = v.ALGORITHM && v.ALGORITHM !== 'UNDEFINED' ? `ALGORITHM=${v.ALGORITHM} ` : '';
    const check = v.CHECK_OPTION && v.CHECK_OPTION !== 'NONE' ? ` WITH ${v.CHECK_OPTION} CHECK OPTION` : '';
    otherObjects.push({
      schema: v.TABLE_SCHEMA, name: v.TABLE_NAME, kind: 'view',
      definition: `CREATE OR REPLACE ${algorithm}SQL SECURITY ${v.SECURITY_TYPE} VIEW ${qi(v.TABLE_NAME)} AS ${body}${check}`,
    });
  }
  const triggers = await session.query<{
    TRIGGER_SCHEMA: string; TRIGGER_NAME: string; EVENT_MANIPULATION: string; EVENT_OBJECT_TABLE: string;
    ACTION_TIMING: string; ACTION_STATEMENT: string; ACTION_ORIENTATION: string;
  }>(
    `SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT, ACTION_ORIENTATION
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (${inList}) ORDER BY 1, 4, ACTION_ORDER`,
    databases,
  );
  for (const t of triggers) {
    otherObjects.push({
      schema: t.TRIGGER_SCHEMA,
      name: t.TRIGGER_NAME,
      kind: 'trigger',
      table: t.EVENT_OBJECT_TABLE,
      definition: `CREATE TRIGGER ${qi(t.TRIGGER_NAME)} ${t.ACTION_TIMING} ${t.EVENT_MANIPULATION} ON ${qi(t.EVENT_OBJECT_TABLE)} FOR EACH ${t.ACTION_ORIENTATION} ${unqualified(t.ACTION_STATEMENT, t.TRIGGER_SCHEMA)}`,
    });
  }
  otherObjects.push(...(await routinesAndEvents(session, databases)));
  otherObjects.push(...(await readSequences(session, databases)));

  return {
    dialect: 'mysql',
    serverVersion,
    schemas: databases,
    // The connection's database: what unqualified names resolve to, seeded under a fixed name (seed-scope.ts).
    defaultSchema: session.url.database,
    tables: [...tables.values()],
    enums: [],
    otherObjects,
  };
}

