/** Type mapping and DDL: shadow tables (columns + NOT NULL), then keys, checks, indexes and triggers. */
import type { TypeMappingNote } from '../connector.js';
import type { Column, DatabaseSchema, NeutralType, Table } from '../../schema/model.js';
import { truncateIdentifier } from '../../schema/model.js';
import { fitIdentifier, pgIdentSpelling, qi, qn, rewriteSchemaRefs } from './postgres-quote.js';
import { translateCheck } from '../translate-check.js';

/** Where each model namespace lands: live target schema and the run's shadow schema. */
export interface Layout {
  /** Model schema (source name) → live target schema. */
  live: Map<string, string>;
  /** Live target schema → shadow schema. */
  shadow: Map<string, string>;
  /** `schema.name` of extension objects in a shadowed schema: they stay in the live schema (see rewriteSchemaRefs). */
  keep?: Set<string>;
}

export function liveSchemaOf(schema: DatabaseSchema, modelSchema: string, defaultSchema: string): string {
  return schema.dialect === 'postgres' ? modelSchema : defaultSchema;
}

export function shadowName(runId: string, live: string, many: boolean): string {
  return fitIdentifier(many ? `synth_shadow_${runId}_${live}` : `synth_shadow_${runId}`);
}

export function backupName(live: string): string {
  return fitIdentifier(`synth_backup_${live}`);
}

export function layoutFor(runId: string, schema: DatabaseSchema, defaultSchema: string): Layout {
  const live = new Map<string, string>();
  // Only namespaces holding tables are shadowed (and later swapped): an empty source schema must not
  // replace whatever the target keeps in a schema of the same name.
  for (const s of new Set([...schema.tables.map((t) => t.schema), ...typeSchemas(schema)])) live.set(s, liveSchemaOf(schema, s, defaultSchema));
  const lives = [...new Set(live.values())];
  const shadow = new Map(lives.map((l) => [l, shadowName(runId, l, lives.length > 1)]));
  // A name the source's own objects also use (an operator or function overloading an extension's) is not kept:
  // rewriting it is what puts the source's object into the shadow rather than next to the extension's.
  const own = new Set([
    ...schema.otherObjects.filter((o) => o.kind !== 'extension').map((o) => `${o.schema}.${o.kind === 'operator' ? o.name.replace(/\(.*$/, '') : o.name}`),
    ...schema.tables.map((t) => `${t.schema}.${t.name}`),
    ...schema.enums.map((e) => `${e.schema}.${e.name}`),
  ]);
  const keep = new Set(schema.otherObjects.flatMap((o) => (o.kind === 'extension' ? (o.members ?? []) : [])).filter((n) => !own.has(n)));
  return { live, shadow, keep };
}

/** Schemas holding enums or domains that tables use: they are shadowed too, so the types travel with the tables. */
function typeSchemas(schema: DatabaseSchema): string[] {
  if (schema.dialect !== 'postgres') return [];
  const out = new Set<string>();
  // Types outside `schemas` are only read when a copied column needs them, perhaps through another type.
  for (const o of schema.otherObjects) {
    if ((o.kind === 'domain' || o.kind === 'composite type' || o.kind === 'range type') && !schema.schemas.includes(o.schema)) out.add(o.schema);
  }
  for (const e of schema.enums) if (!schema.schemas.includes(e.schema)) out.add(e.schema);
  const spell = (s: string, n: string) => [`${s}.${n}`, `${pgIdentSpelling(s)}.${pgIdentSpelling(n)}`];
  const enumOf = (t: NeutralType): string | null => (t.kind === 'enum' ? t.name : t.kind === 'array' ? enumOf(t.element) : null);
  const structuredOf = (t: NeutralType): string | null =>
    t.kind === 'json' && t.structured ? t.structured.name : t.kind === 'array' ? structuredOf(t.element) : null;
  for (const table of schema.tables) {
    for (const col of table.columns) {
      const e = enumOf(col.type);
      if (e) for (const en of schema.enums) if (`${en.schema}.${en.name}` === e) out.add(en.schema);
      if (col.domain) {
        for (const d of schema.otherObjects) if (d.kind === 'domain' && spell(d.schema, d.name).includes(col.domain)) out.add(d.schema);
      }
      const st = structuredOf(col.type);
      if (st) {
        for (const d of schema.otherObjects) {
          if ((d.kind === 'composite type' || d.kind === 'range type') && spell(d.schema, d.name).includes(st)) out.add(d.schema);
        }
      }
    }
  }
  return [...out];
}

/** Rewrites server-printed SQL of a postgres-origin schema so it refers to the shadow schemas. */
export function toShadowSql(sql: string, layout: Layout): string {
  const map = new Map<string, string>();
  for (const [model, live] of layout.live) {
    const sh = layout.shadow.get(live);
    if (sh) map.set(model, sh);
  }
  return rewriteSchemaRefs(sql, map, layout.keep);
}

function enumTypeName(table: Table, column: Column): string {
  return fitIdentifier(`${table.name}_${column.name}_enum`);
}

interface MappedType {
  sql: string;
  severity?: TypeMappingNote['severity'];
  note?: string;
}

/** PostgreSQL type for a neutral type of another dialect. `enumSql` names the enum type created in the shadow. */
export function mapNeutral(t: NeutralType, enumSql: string | null, autoIncrement = false): MappedType {
  switch (t.kind) {
    case 'integer':
      if (t.unsigned && t.bytes === 8 && autoIncrement) {
        // Identity columns must be an integer type; keys past 2^63 are not a realistic AUTO_INCREMENT range.
        return { sql: 'bigint', severity: 'lossy', note: 'unsigned bigint AUTO_INCREMENT stored as bigint (max 2^63-1)' };
      }
      if (t.unsigned) {
        if (t.bytes <= 1) return { sql: 'smallint', severity: 'info', note: 'unsigned tinyint stored as smallint' };
        if (t.bytes === 2) return { sql: 'integer', severity: 'info', note: 'unsigned smallint stored as integer' };
        if (t.bytes <= 4) return { sql: 'bigint', severity: 'info', note: 'unsigned int stored as bigint' };
        return { sql: 'numeric(20,0)', severity: 'info', note: 'unsigned bigint stored as numeric(20,0)' };
      }
      if (t.bytes === 1) return { sql: 'smallint', severity: 'info', note: 'tinyint stored as smallint' };
      if (t.bytes === 2) return { sql: 'smallint' };
      if (t.bytes <= 4) return { sql: 'integer' };
      return { sql: 'bigint' };
    case 'decimal':
      return { sql: t.precision === null ? 'numeric' : `numeric(${t.precision},${t.scale ?? 0})` };
    case 'float':
      return { sql: t.bytes === 4 ? 'real' : 'double precision' };
    case 'boolean':
      return { sql: 'boolean' };
    case 'text':
      if (t.maxLength === null) return { sql: 'text' };
      return { sql: t.fixedLength ? `character(${t.maxLength})` : `character varying(${t.maxLength})` };
    case 'binary':
      return t.maxLength === null ? { sql: 'bytea' } : { sql: 'bytea', severity: 'info', note: `length limit ${t.maxLength} not enforced` };
    case 'date':
      return { sql: 'date' };
    case 'time':
      return { sql: t.withTimeZone ? 'time with time zone' : 'time without time zone' };
    case 'timestamp':
      return { sql: t.withTimeZone ? 'timestamp with time zone' : 'timestamp without time zone' };
    case 'interval':
      return { sql: 'interval' };
    case 'year':
      return { sql: 'smallint', severity: 'info', note: 'YEAR stored as smallint' };
    case 'uuid':
      return { sql: 'uuid' };
    case 'json':
      return { sql: t.binary ? 'jsonb' : 'json' };
    case 'enum':
      return { sql: enumSql ?? 'text', severity: 'info', note: 'ENUM created as a PostgreSQL enum type' };
    case 'set':
      return { sql: 'text[]', severity: 'lossy', note: 'SET stored as text[]: membership in the allowed values is not enforced' };
    case 'array': {
      const inner = mapNeutral(t.element, null);
      return { ...inner, sql: `${inner.sql}${'[]'.repeat(Math.max(1, t.dimensions))}` };
    }
    case 'bit':
      return { sql: t.varying ? (t.length === null ? 'bit varying' : `bit varying(${t.length})`) : `bit(${t.length ?? 1})` };
    case 'network':
      return { sql: t.family };
    case 'tsvector':
      return { sql: 'tsvector' };
    case 'geometry':
      return { sql: 'text', severity: 'lossy', note: 'geometry stored as WKT text (no postgis types)' };
    case 'money':
      return { sql: 'money' };
    case 'xml':
      return { sql: 'xml' };
    case 'unsupported':
      return { sql: 'text', severity: 'impossible', note: `unsupported type: ${t.reason}` };
  }
}

export function describeMapping(schema: DatabaseSchema): TypeMappingNote[] {
  const notes: TypeMappingNote[] = [];
  for (const table of schema.tables) {
    for (const col of table.columns) {
      const key = `${table.schema}.${table.name}`;
      if (schema.dialect === 'postgres') {
        // Same dialect: the column is created verbatim, so storing is never the problem (generation decides
        // separately whether it can produce values for it).
        if (col.type.kind === 'unsupported') {
          notes.push({ table: key, column: col.name, from: col.nativeType, to: col.nativeType, severity: 'info', note: `created verbatim (${col.type.reason})` });
        }
        continue;
      }
      const m = mapNeutral(col.type, col.type.kind === 'enum' ? enumTypeName(table, col) : null, col.autoIncrement !== null);
      if (m.severity) notes.push({ table: key, column: col.name, from: col.nativeType, to: m.sql, severity: m.severity, note: m.note ?? '' });
      if (col.generated) {
        const expression = translatedGenerated(schema, table, col);
        notes.push({
          table: key,
          column: col.name,
          from: col.nativeType,
          to: expression ? `${m.sql} GENERATED ALWAYS AS (${expression}) STORED` : m.sql,
          severity: expression ? 'info' : 'lossy',
          note: expression
            ? `generated column expression translated to PostgreSQL${col.generated.stored ? '' : ' (VIRTUAL becomes STORED)'}`
            : 'generated column expression is MySQL SQL; created as a plain nullable column',
        });
      }
    }
    if (schema.dialect !== 'postgres') notes.push(...identifierNotes(table, schema.tables));
  }
  return notes;
}

/**
 * A MySQL generated column's expression in PostgreSQL, when the CHECK translator renders it into plain arithmetic and
 * a few immutable functions: PostgreSQL refuses a generated column over anything not immutable, which would fail the
 * whole shadow, so anything else stays a plain column (lossy).
 */
export function translatedGenerated(schema: DatabaseSchema, table: Table, col: Column): string | null {
  if (!col.generated || schema.dialect === 'postgres') return null;
  const t = translateCheck(schema.dialect, 'postgres', table, { expression: col.generated.expression });
  if (!t.ok) return null;
  const words = t.sql
    .replace(/"(?:[^"]|"")*"/g, ' ')
    .replace(/\b\d+(\.\d+)?\b/g, ' ')
    .match(/[A-Za-z_]+|::/g) ?? [];
  const allowed = new Set(['numeric', 'lower', 'upper', 'abs', 'char_length', 'octet_length', 'AND', 'OR', 'NOT', 'and', 'or', 'not']);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '::') {
      if (words[i + 1] !== 'numeric') return null;
      continue;
    }
    if (!allowed.has(w)) return null;
  }
  return /['$;]/.test(t.sql) ? null : t.sql;
}

/** The name PostgreSQL actually stores: identifiers are cut at 63 bytes (on a character boundary), silently. */
export function pgTruncated(name: string): string {
  return truncateIdentifier(name, 63);
}

/**
 * MySQL allows 64 characters (up to 256 bytes) per name: longer names are truncated by PostgreSQL, which is lossy,
 * and impossible when two names of one table (or two tables) become the same.
 */
function identifierNotes(table: Table, tables: Table[]): TypeMappingNote[] {
  const key = `${table.schema}.${table.name}`;
  const notes: TypeMappingNote[] = [];
  const cut = pgTruncated(table.name);
  if (cut !== table.name) {
    const clash = tables.find((t) => t !== table && pgTruncated(t.name) === cut);
    notes.push({
      table: key, column: '*', from: table.name, to: cut, severity: clash ? 'impossible' : 'lossy',
      note: clash ? `table name longer than 63 bytes becomes the same as ${clash.name}'s; rename one of them` : 'table name longer than 63 bytes is truncated by PostgreSQL',
    });
  }
  for (const col of table.columns) {
    const c = pgTruncated(col.name);
    if (c === col.name) continue;
    const clash = table.columns.find((o) => o !== col && pgTruncated(o.name) === c);
    notes.push({
      table: key, column: col.name, from: col.name, to: c, severity: clash ? 'impossible' : 'lossy',
      note: clash ? `column name longer than 63 bytes becomes the same as ${clash.name}; rename one of them` : 'column name longer than 63 bytes is truncated by PostgreSQL',
    });
  }
  return notes;
}

function intSerial(t: NeutralType): string {
  if (t.kind === 'integer' && t.bytes === 8) return 'bigserial';
  if (t.kind === 'integer' && t.bytes <= 2) return 'smallserial';
  return 'serial';
}

/** Column definition for the shadow table: type and NOT NULL only (plus identity and generated expressions). */
export function columnDdl(schema: DatabaseSchema, table: Table, col: Column, layout: Layout): string {
  const pg = schema.dialect === 'postgres';
  let type: string;
  if (pg) {
    // Types of the copied schemas are recreated in the shadow; an extension's types stay where it is (layout.keep),
    // and serial columns get their sequence by name with the other sequences.
    const ownSequence = schema.otherObjects.some((o) => o.kind === 'sequence' && o.schema === table.schema && o.table === table.name);
    type = col.autoIncrement === 'serial' && !ownSequence ? intSerial(col.type) : toShadowSql(col.nativeType, layout);
  } else if (col.type.kind === 'enum') {
    type = qn(layout.shadow.get(layout.live.get(table.schema)!)!, enumTypeName(table, col));
  } else {
    type = mapNeutral(col.type, null, col.autoIncrement !== null).sql;
  }
  let ddl = `${qi(col.name)} ${type}`;
  if (pg && col.collation) ddl += ` COLLATE ${toShadowSql(col.collation, layout)}`;
  if (pg && col.generated) return `${ddl} GENERATED ALWAYS AS (${toShadowSql(col.generated.expression, layout)}) STORED`;
  if (!pg && col.generated) {
    const expression = translatedGenerated(schema, table, col);
    return expression ? `${ddl} GENERATED ALWAYS AS (${expression}) STORED` : ddl;
  }
  if (!col.nullable) ddl += ' NOT NULL';
  // Identity columns are created BY DEFAULT so COPY can write explicit keys; ALWAYS is restored in finalize.
  if (col.autoIncrement === 'identity-always' || col.autoIncrement === 'identity-default' || (!pg && col.autoIncrement === 'auto_increment')) {
    ddl += ' GENERATED BY DEFAULT AS IDENTITY';
  }
  return ddl;
}

export function shadowOf(layout: Layout, modelSchema: string): string {
  const live = layout.live.get(modelSchema) ?? modelSchema;
  return layout.shadow.get(live) ?? live;
}

/** Whether the domain's definition already carries this CHECK (postgres-objects does so for domains inside composite or range types). */
function domainCreatedWith(schema: DatabaseSchema, domain: string, check: string): boolean {
  return schema.otherObjects.some(
    (o) =>
      o.kind === 'domain' &&
      [`${o.schema}.${o.name}`, `${pgIdentSpelling(o.schema)}.${pgIdentSpelling(o.name)}`].includes(domain) &&
      o.definition?.includes(` CONSTRAINT ${pgIdentSpelling(check)} CHECK `) === true,
  );
}

/** Statements that create the shadow's types (enums, domains) for a schema. */
export function typeStatements(schema: DatabaseSchema, layout: Layout): string[] {
  const out: string[] = [];
  if (schema.dialect === 'postgres') {
    for (const e of schema.enums) {
      if (!layout.live.has(e.schema)) continue;
      out.push(`CREATE TYPE ${qn(shadowOf(layout, e.schema), e.name)} AS ENUM (${e.values.map(lit).join(', ')})`);
    }
    for (const d of schema.otherObjects) {
      if (d.kind === 'domain' && d.definition && layout.live.has(d.schema)) out.push(toShadowSql(d.definition, layout));
    }
    return out;
  }
  for (const table of schema.tables) {
    for (const col of table.columns) {
      if (col.type.kind !== 'enum') continue;
      out.push(`CREATE TYPE ${qn(shadowOf(layout, table.schema), enumTypeName(table, col))} AS ENUM (${col.type.values.map(lit).join(', ')})`);
    }
  }
  return out;
}

/**
 * A MySQL index clause (`INDEX \`name\` (\`a\`, \`b\`(10))`) as a PostgreSQL btree index. Prefix lengths have no
 * equivalent, so a prefixed UNIQUE index becomes a plain one; FULLTEXT and SPATIAL indexes are not recreated.
 */
export function mysqlIndexSql(definition: string, name: string, table: string): string | null {
  const m = /^(UNIQUE INDEX|INDEX|KEY|UNIQUE KEY)\s+`(?:[^`]|``)*`\s*\((.*)\)\s*$/is.exec(definition.trim());
  if (!m) return null;
  const parts = [...m[2]!.matchAll(/`((?:[^`]|``)*)`(\(\d+\))?/g)];
  if (parts.length === 0) return null;
  const prefixed = parts.some((p) => p[2] !== undefined);
  const unique = /^UNIQUE/i.test(m[1]!) && !prefixed;
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name} ON ${table} (${parts.map((p) => qi(p[1]!.replace(/``/g, '`'))).join(', ')})`;
}

/** MySQL quotes identifiers with backticks; simple CHECK expressions then often work as PostgreSQL SQL too. */
function backticksToQuotes(expr: string): string {
  return expr.replace(/`((?:[^`]|``)*)`/g, (_m, name: string) => qi(name.replace(/``/g, '`')));
}

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** CREATE TABLE for the shadow, with its partitions when partitioned. */
export function tableStatements(schema: DatabaseSchema, table: Table, layout: Layout): string[] {
  const cols = table.columns.map((c) => `  ${columnDdl(schema, table, c, layout)}`).join(',\n');
  const target = qn(shadowOf(layout, table.schema), table.name);
  const storage = schema.dialect === 'postgres' && table.storage?.startsWith('WITH (') ? ` ${table.storage}` : '';
  if (schema.dialect === 'postgres' && table.partitioning) {
    const p = table.partitioning;
    const out = [`CREATE TABLE ${target} (\n${cols}\n) PARTITION BY ${p.strategy.toUpperCase()} (${p.key})${storage}`];
    for (const part of p.partitions) {
      const sch = layout.live.has(part.schema) ? shadowOf(layout, part.schema) : shadowOf(layout, table.schema);
      out.push(`CREATE TABLE ${qn(sch, part.name)} PARTITION OF ${target} ${toShadowSql(part.bound, layout)}`);
    }
    return out;
  }
  return [`CREATE TABLE ${target} (\n${cols}\n)${storage}`];
}

export interface FinalizeStep {
  sql: string;
  table: string;
  what: string;
  /** Best-effort steps (another dialect's SQL, defaults) are skipped on error instead of failing the run. */
  optional: boolean;
  /**
   * A foreign key added NOT VALID, and the statement that then verifies its rows: finalize runs these after its
   * transaction, several tables at once (VALIDATE takes only SHARE UPDATE EXCLUSIVE on the child).
   */
  validate?: { sql: string; constraint: string; relation: string };
}

function constraintName(schema: DatabaseSchema, table: Table, name: string): string {
  // MySQL index names are per table (every primary key is "PRIMARY"); PostgreSQL's are per schema.
  return schema.dialect === 'postgres' ? name : fitIdentifier(`${table.name}_${name === 'PRIMARY' ? 'pkey' : name}`);
}

/** Everything added after the data, in an order that keeps dependencies satisfied. */
export function finalizeSteps(schema: DatabaseSchema, layout: Layout): FinalizeStep[] {
  const pg = schema.dialect === 'postgres';
  const steps: FinalizeStep[] = [];
  const add = (table: Table, what: string, sql: string, optional = false) =>
    steps.push({ sql, table: `${table.schema}.${table.name}`, what, optional });
  for (const table of schema.tables) {
    const t = qn(shadowOf(layout, table.schema), table.name);
    for (const col of table.columns) {
      if (pg && col.default !== null && col.generated === null) {
        add(table, `default of ${col.name}`, `ALTER TABLE ${t} ALTER COLUMN ${qi(col.name)} SET DEFAULT ${toShadowSql(col.default, layout)}`, true);
      }
      if (col.autoIncrement === 'identity-always') add(table, `identity of ${col.name}`, `ALTER TABLE ${t} ALTER COLUMN ${qi(col.name)} SET GENERATED ALWAYS`);
      if (col.autoIncrement !== null && (pg || col.generated === null)) {
        add(
          table,
          `sequence of ${col.name}`,
          `SELECT setval(pg_get_serial_sequence(${lit(t)}, ${lit(col.name)}), coalesce(max(${qi(col.name)}), 0) + 1, false) FROM ${t}`,
        );
      }
    }
    if (pg && table.comment !== null) add(table, 'comment', `COMMENT ON TABLE ${t} IS ${lit(table.comment)}`, true);
    for (const col of table.columns) {
      if (pg && col.comment !== null) add(table, `comment of ${col.name}`, `COMMENT ON COLUMN ${t}.${qi(col.name)} IS ${lit(col.comment)}`, true);
    }
    if (table.primaryKey) {
      add(table, 'primary key', `ALTER TABLE ${t} ADD CONSTRAINT ${qi(constraintName(schema, table, table.primaryKey.name))} PRIMARY KEY (${table.primaryKey.columns.map(qi).join(', ')})`);
    }
    for (const u of table.uniques) {
      const nnd = u.nullsDistinct ? '' : ' NULLS NOT DISTINCT';
      const name = qi(constraintName(schema, table, u.name));
      if (u.origin === 'constraint' || (!pg && u.predicate === null)) {
        add(table, `unique ${u.name}`, `ALTER TABLE ${t} ADD CONSTRAINT ${name} UNIQUE${nnd} (${u.columns.map(qi).join(', ')})`);
      } else {
        const where = u.predicate !== null && pg ? ` WHERE ${toShadowSql(u.predicate, layout)}` : '';
        add(table, `unique index ${u.name}`, `CREATE UNIQUE INDEX ${name} ON ${t} (${u.columns.map(qi).join(', ')})${nnd}${where}`);
      }
    }
    for (const c of table.checks) {
      if (c.origin === 'domain') continue;
      const notValid = pg && c.notValid ? ' NOT VALID' : '';
      add(table, `check ${c.name}`, `ALTER TABLE ${t} ADD CONSTRAINT ${qi(c.name)} CHECK (${pg ? toShadowSql(c.expression, layout) : backticksToQuotes(c.expression)})${notValid}`, !pg);
    }
  }
  if (pg) steps.push(...sequenceSteps(schema, layout));
  // Domain CHECKs once per domain, with the column reference turned back into VALUE.
  if (pg) {
    const seen = new Set<string>();
    for (const table of schema.tables) {
      for (const c of table.checks) {
        if (c.origin !== 'domain') continue;
        const col = table.columns.find((x) => x.name === c.columns[0]);
        if (!col?.domain) continue;
        const key = `${col.domain}|${c.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (domainCreatedWith(schema, col.domain, c.name)) continue;
        const expr = c.expression.split(qi(col.name)).join('VALUE');
        add(table, `domain check ${c.name}`, `ALTER DOMAIN ${toShadowSql(col.domain, layout)} ADD CONSTRAINT ${qi(c.name)} CHECK (${toShadowSql(expr, layout)})`);
      }
    }
  }
  for (const table of schema.tables) {
    const t = qn(shadowOf(layout, table.schema), table.name);
    for (const fk of table.foreignKeys) {
      const refSchema = layout.live.has(fk.references.schema) ? shadowOf(layout, fk.references.schema) : fk.references.schema;
      const on = pg && fk.onPartition
        ? qn(layout.live.has(fk.onPartition.schema) ? shadowOf(layout, fk.onPartition.schema) : shadowOf(layout, table.schema), fk.onPartition.name)
        : t;
      let sql = `ALTER TABLE ${on} ADD CONSTRAINT ${qi(fk.name)} FOREIGN KEY (${fk.columns.map(qi).join(', ')}) REFERENCES ${qn(refSchema, fk.references.name)} (${fk.references.columns.map(qi).join(', ')}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
      if (fk.deferrable) sql += fk.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
      // PostgreSQL (before 18) refuses NOT VALID on a partitioned table: those are verified as they are added.
      const partitioned = pg && table.partitioning !== null && !fk.onPartition;
      if (pg && fk.notValid) sql += ' NOT VALID';
      else if (!partitioned) {
        steps.push({
          sql: `${sql} NOT VALID`, table: `${table.schema}.${table.name}`, what: `foreign key ${fk.name}`, optional: false,
          validate: { sql: `ALTER TABLE ${on} VALIDATE CONSTRAINT ${qi(fk.name)}`, constraint: fk.name, relation: on },
        });
        continue;
      }
      add(table, `foreign key ${fk.name}`, sql);
    }
    if (pg) {
      for (const ix of table.indexes) {
        // Exclusion constraints (ALTER TABLE … EXCLUDE) are not generated for: kept when the data allows, else noted.
        const exclusion = /^ALTER TABLE /.test(ix.definition);
        add(table, exclusion ? `exclusion constraint ${ix.name}` : `index ${ix.name}`, toShadowSql(ix.definition, layout).replace(/ ON ONLY /, ' ON '), exclusion);
      }
    } else {
      for (const ix of table.indexes) {
        const sql = mysqlIndexSql(ix.definition, qi(constraintName(schema, table, ix.name)), t);
        if (sql) add(table, `index ${ix.name}`, sql, true);
      }
    }
  }
  return steps;
}

/** The sequence a `nextval('schema.name'::regclass)` default draws from, as printed (schema-qualified). */
export function nextvalSequence(expression: string): string | null {
  const m = /^nextval\('((?:[^']|'')+)'(?:::regclass)?\)$/i.exec(expression.trim());
  return m ? m[1]!.replace(/''/g, "'") : null;
}

/**
 * Every sequence behind a `nextval()` default continues after the largest generated value of all the columns that
 * draw from it (one sequence may feed several tables), so the application's next INSERT gets a fresh key.
 */
function sequenceSteps(schema: DatabaseSchema, layout: Layout): FinalizeStep[] {
  const steps: FinalizeStep[] = [];
  for (const seq of schema.otherObjects) {
    if (seq.kind !== 'sequence' || !layout.live.has(seq.schema)) continue;
    const spellings = [`${pgIdentSpelling(seq.schema)}.${pgIdentSpelling(seq.name)}`, qn(seq.schema, seq.name)];
    const users: string[] = [];
    for (const table of schema.tables) {
      for (const col of table.columns) {
        const used = col.default !== null ? nextvalSequence(col.default) : null;
        if (used !== null && spellings.includes(used)) users.push(`SELECT max(${qi(col.name)})::numeric AS v FROM ${qn(shadowOf(layout, table.schema), table.name)}`);
      }
    }
    if (users.length === 0) continue;
    const name = qn(shadowOf(layout, seq.schema), seq.name);
    steps.push({
      sql: `SELECT setval(${lit(name)}, m::bigint) FROM (SELECT max(v) AS m FROM (${users.join(' UNION ALL ')}) u) x WHERE m IS NOT NULL`,
      table: `${seq.schema}.${seq.name}`,
      what: 'sequence position',
      optional: true,
    });
  }
  return steps;
}
