/**
 * Schema parity: the shadow a run built must be a drop-in copy of the source's schema. Both sides are read by the
 * same dialect's introspector and flattened into items (table, column, key, index, object …), each with a
 * normalised description; an item whose description differs, or that exists on one side only, is a difference.
 *
 * Cross-dialect runs compare only what the plan carries over by construction: tables, column names and
 * nullability, primary/unique keys and foreign keys. Types, defaults, CHECKs, indexes and other objects are
 * translated or dropped there, and `synth plan --target` lists each such decision.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { SynthError } from '../errors.js';
import type { Column, DatabaseSchema, Table } from '../schema/model.js';
import { truncateIdentifier } from '../schema/model.js';

export interface ParityDifference {
  /** What differs, e.g. `shop.film.title` or `shop.film_cast`. */
  object: string;
  kind: string;
  /** The source's description, or null when only the target has it. */
  source: string | null;
  /** The target's description, or null when the target lacks it. */
  target: string | null;
}

export interface SchemaParity {
  matched: number;
  total: number;
  differences: ParityDifference[];
}

export interface ParityOptions {
  /** Source namespace → the shadow namespace holding its copy (the shadow's names are mapped back). */
  namespaces?: Array<{ source: string; shadow: string }>;
}

interface Item {
  kind: string;
  object: string;
  description: string;
}

/** Compares the source's schema with the target's (shadow) schema; see the module comment for what is compared. */
export function compareSchemas(source: DatabaseSchema, target: DatabaseSchema, options: ParityOptions = {}): SchemaParity {
  const sameDialect = source.dialect === target.dialect;
  const rename = renamer(options.namespaces ?? []);
  const mapped = sameDialect ? mapNamespaces(target, rename) : target;
  // PostgreSQL cuts names to 63 bytes (describeMapping announces each one it cuts); MySQL allows 64 characters.
  const name = source.dialect === 'postgres' || target.dialect === 'postgres' ? clip63 : (s: string) => s;
  // A database's own settings travel with a same-dialect schema whose source could read them (PostgreSQL).
  const settings = sameDialect && source.databaseSettings !== undefined;
  const left = index(sameDialect ? [...sameDialectItems(source), ...(settings ? settingItems(source) : [])] : crossDialectItems(source, name));
  const right = index(sameDialect ? [...sameDialectItems(mapped), ...(settings ? settingItems(mapped) : [])] : crossDialectItems(mapped, name));
  const differences: ParityDifference[] = [];
  let matched = 0;
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  for (const key of keys) {
    const a = left.get(key);
    const b = right.get(key);
    if (a && b && a.description === b.description) {
      matched++;
      continue;
    }
    const item = (a ?? b)!;
    differences.push({ object: item.object, kind: item.kind, source: a?.description ?? null, target: b?.description ?? null });
  }
  return { matched, total: keys.length, differences };
}

/** `schema parity 186/186`, the figure a run's summary carries. */
export function formatParity(parity: SchemaParity): string {
  return `schema parity ${parity.matched}/${parity.total}`;
}

/** Every difference on its own line, for the error that refuses the swap. */
export function formatDifferences(parity: SchemaParity, limit = 50): string {
  const lines = parity.differences.slice(0, limit).map((d) => {
    if (d.target === null) return `  ${d.kind} ${d.object}: missing in the target (source: ${d.source})`;
    if (d.source === null) return `  ${d.kind} ${d.object}: only in the target (${d.target})`;
    return `  ${d.kind} ${d.object}: source ${d.source} ≠ target ${d.target}`;
  });
  const more = parity.differences.length - limit;
  if (more > 0) lines.push(`  … and ${more} more`);
  return lines.join('\n');
}

function index(items: Item[]): Map<string, Item> {
  const out = new Map<string, Item>();
  for (const item of items) {
    let key = `${item.kind}\u0000${item.object}`;
    // Two unnamed CHECKs with one expression are two items, not one.
    for (let i = 2; out.has(key); i++) key = `${item.kind}\u0000${item.object}\u0000${i}`;
    out.set(key, item);
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces the shadow's namespace names by the source's in SQL text, quoted (`"x"`, `` `x` ``) or bare. */
function renamer(namespaces: Array<{ source: string; shadow: string }>): (name: string) => string {
  const pairs = namespaces.filter((n) => n.source !== n.shadow);
  if (pairs.length === 0) return (s) => s;
  const patterns = pairs.map((n) => ({
    re: new RegExp(`"${escape(n.shadow.replace(/"/g, '""'))}"|\`${escape(n.shadow.replace(/`/g, '``'))}\`|\\b${escape(n.shadow)}\\b`, 'g'),
    n,
  }));
  return (text) => {
    let out = text;
    for (const { re, n } of patterns) {
      out = out.replace(re, (m) => (m.startsWith('"') ? `"${n.source.replace(/"/g, '""')}"` : m.startsWith('`') ? `\`${n.source.replace(/`/g, '``')}\`` : n.source));
    }
    return out;
  };
}

function mapNamespaces(schema: DatabaseSchema, rename: (s: string) => string): DatabaseSchema {
  const text = (s: string | null) => (s === null ? null : rename(s));
  return {
    ...schema,
    schemas: schema.schemas.map(rename),
    enums: schema.enums.map((e) => ({ ...e, schema: rename(e.schema) })),
    otherObjects: schema.otherObjects.map((o) => ({ ...o, schema: rename(o.schema), definition: text(o.definition) })),
    tables: schema.tables.map((t) => ({
      ...t,
      schema: rename(t.schema),
      columns: t.columns.map((c) => ({
        ...c,
        nativeType: rename(c.nativeType),
        default: text(c.default),
        domain: text(c.domain),
        collation: text(c.collation),
        generated: c.generated ? { ...c.generated, expression: rename(c.generated.expression) } : null,
      })),
      uniques: t.uniques.map((u) => ({ ...u, predicate: text(u.predicate) })),
      foreignKeys: t.foreignKeys.map((f) => ({
        ...f,
        references: { ...f.references, schema: rename(f.references.schema) },
        ...(f.onPartition ? { onPartition: { ...f.onPartition, schema: rename(f.onPartition.schema) } } : {}),
      })),
      checks: t.checks.map((c) => ({ ...c, expression: rename(c.expression) })),
      indexes: t.indexes.map((i) => ({ ...i, definition: rename(i.definition) })),
      partitioning: t.partitioning
        ? { ...t.partitioning, partitions: t.partitioning.partitions.map((p) => ({ ...p, schema: rename(p.schema) })) }
        : null,
    })),
  };
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * PostgreSQL deparses a CHECK it is given in its own deparsed form with other casts and parentheses
 * (`(ARRAY['G'::varchar])::text[]` comes back as `ARRAY[('G'::varchar)::text]`), so casts and parentheses are left
 * out of the comparison of CHECK expressions and index predicates; columns, operators and literals are not.
 */
function looseExpression(s: string): string {
  return squash(s.replace(/::(?:"[^"]+"|[a-z_][\w.]*)(?:\s+(?:varying|precision|without time zone|with time zone))?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*/gi, '').replace(/[()]/g, ' ')).replace(/\s*([[\],])\s*/g, '$1');
}

/**
 * Names the database makes up for unnamed constraints (`film_ibfk_1`, `CONSTRAINT_1`, `film_title_key`, …) may
 * differ between two databases holding the same schema; declared names must not.
 */
function declaredName(table: Table, name: string, columns: string[]): string | null {
  const t = escape(table.name);
  const cols = escape(columns.join('_'));
  const generated = [
    new RegExp(`^${t}_ibfk_\\d+$`),
    /^CONSTRAINT_\d+$/,
    new RegExp(`^${t}_(${cols}_)?(pkey|key|fkey|check|excl)\\d*$`),
  ];
  if (columns.length === 1 && name === columns[0]) return null;
  return generated.some((re) => re.test(name)) ? null : name;
}

function columnText(c: Column, position: number): string {
  const parts = [`#${position}`, c.nativeType, c.nullable ? 'NULL' : 'NOT NULL'];
  if (c.default !== null) parts.push(`DEFAULT ${squash(c.default)}`);
  if (c.autoIncrement !== null) parts.push(c.autoIncrement.toUpperCase().replace('_', ' '));
  if (c.generated) parts.push(`GENERATED AS (${squash(c.generated.expression)}) ${c.generated.stored ? 'STORED' : 'VIRTUAL'}`);
  if (c.domain !== null) parts.push(`DOMAIN ${c.domain}`);
  if (c.collation !== null) parts.push(`COLLATE ${c.collation}`);
  if (c.comment !== null) parts.push(`COMMENT ${JSON.stringify(c.comment)}`);
  return parts.join(' ');
}

function sameDialectItems(schema: DatabaseSchema): Item[] {
  const items: Item[] = [];
  for (const e of schema.enums) items.push({ kind: 'enum', object: `${e.schema}.${e.name}`, description: e.values.join(', ') });
  for (const t of schema.tables) {
    const at = `${t.schema}.${t.name}`;
    const head = [t.comment === null ? '' : `COMMENT ${JSON.stringify(t.comment)}`, t.partitioning && schema.dialect !== 'mysql' ? `PARTITION BY ${t.partitioning.strategy} (${t.partitioning.key})` : '']
      .filter(Boolean)
      .join(' ');
    items.push({ kind: 'table', object: at, description: head || 'table' });
    // MySQL keeps its PARTITION BY clause (partitions and bounds included) at the end of the table options.
    const mysqlPartitions = schema.dialect === 'mysql' ? /\bPARTITION BY\b[\s\S]*$/.exec(t.storage ?? '') : null;
    if (mysqlPartitions) items.push({ kind: 'partitioning', object: at, description: squash(mysqlPartitions[0]) });
    // MySQL's partitions are no tables of their own: the clause above holds them and their bounds.
    for (const p of mysqlPartitions ? [] : t.partitioning?.partitions ?? []) items.push({ kind: 'partition', object: `${p.schema}.${p.name}`, description: squash(p.bound) });
    t.columns.forEach((c, i) => items.push({ kind: 'column', object: `${at}.${c.name}`, description: columnText(c, i + 1) }));
    if (t.primaryKey) items.push({ kind: 'primary key', object: at, description: `(${t.primaryKey.columns.join(', ')})` });
    for (const u of t.uniques) {
      const name = declaredName(t, u.name, u.columns);
      const flags = [u.origin === 'index' ? 'index' : 'constraint', u.nullsDistinct ? '' : 'NULLS NOT DISTINCT', u.predicate === null ? '' : `WHERE ${looseExpression(u.predicate)}`, name ? `named ${name}` : ''];
      items.push({ kind: 'unique', object: `${at}(${u.columns.join(', ')})`, description: flags.filter(Boolean).join(' ') });
    }
    for (const f of t.foreignKeys) {
      const name = declaredName(t, f.name, f.columns);
      const ref = `${f.references.schema}.${f.references.name}(${f.references.columns.join(', ')})`;
      const flags = [`ON DELETE ${f.onDelete}`, `ON UPDATE ${f.onUpdate}`, f.deferrable ? 'DEFERRABLE' : '', name ? `named ${name}` : ''];
      items.push({ kind: 'foreign key', object: `${at}(${f.columns.join(', ')}) → ${ref}`, description: flags.filter(Boolean).join(' ') });
    }
    for (const c of t.checks) {
      const name = declaredName(t, c.name, c.columns);
      items.push({ kind: 'check', object: `${at}: ${looseExpression(c.expression)}`, description: `${c.origin}${name ? ` named ${name}` : ''}` });
    }
    for (const i of t.indexes) items.push({ kind: 'index', object: `${at}.${i.name}`, description: squash(i.definition) });
  }
  for (const o of schema.otherObjects) {
    const object = o.table === undefined ? `${o.schema}.${o.name}` : `${o.schema}.${o.table}.${o.name}`;
    items.push({ kind: o.kind, object, description: o.definition === null ? '(no definition)' : squash(o.definition) });
  }
  return items;
}

/** Database-wide settings (`ALTER DATABASE … SET`); one role's are the server's and not carried. */
function settingItems(schema: DatabaseSchema): Item[] {
  return (schema.databaseSettings ?? []).filter((d) => d.role === undefined).map((d) => ({ kind: 'database setting', object: d.name, description: d.value }));
}

/** A name as PostgreSQL stores it: cut to 63 UTF-8 bytes at a character boundary. */
function clip63(name: string): string {
  return truncateIdentifier(name, 63);
}

/** Across dialects tables meet by name: a MySQL target holds every source schema in its one database. */
function crossDialectItems(schema: DatabaseSchema, nameOf: (name: string) => string): Item[] {
  const items: Item[] = [];
  const list = (names: string[]) => names.map(nameOf).join(', ');
  for (const s of schema.tables) {
    const t = { ...s, name: nameOf(s.name), columns: s.columns.map((c) => ({ ...c, name: nameOf(c.name) })) };
    items.push({ kind: 'table', object: t.name, description: 'table' });
    for (const c of t.columns) items.push({ kind: 'column', object: `${t.name}.${c.name}`, description: c.nullable || c.generated ? 'NULL' : 'NOT NULL' });
    if (s.primaryKey) items.push({ kind: 'primary key', object: t.name, description: `(${list(s.primaryKey.columns)})` });
    for (const u of s.uniques) {
      // Partial unique indexes do not exist in MySQL; the plan says so.
      if (u.predicate !== null) continue;
      items.push({ kind: 'unique', object: `${t.name}(${list(u.columns)})`, description: 'unique' });
    }
    for (const f of s.foreignKeys) {
      items.push({ kind: 'foreign key', object: `${t.name}(${list(f.columns)}) → ${nameOf(f.references.name)}(${list(f.references.columns)})`, description: 'foreign key' });
    }
  }
  return items;
}

/** Introspects the shadow with the target's own introspector and compares it with the source's schema. */
export async function shadowParity(target: TargetConnector, shadow: Shadow, source: DatabaseSchema): Promise<SchemaParity> {
  const read = await target.introspectShadow(shadow);
  const only = shadow.namespaces.length === 1 ? shadow.namespaces[0]!.shadow : null;
  // A PostgreSQL shadow keeps one namespace per source schema that holds tables; the swap leaves the target's other
  // schemas alone, so a source schema without a shadow (functions only, say) is not part of the comparison.
  // A MySQL target holds every source namespace in its one database.
  const byName = shadow.namespaces.some((n) => source.schemas.includes(n.live));
  const covered = (s: string) => !byName || shadow.namespaces.some((n) => n.live === s);
  const scoped: DatabaseSchema = {
    ...source,
    schemas: source.schemas.filter(covered),
    tables: source.tables.filter((t) => covered(t.schema)),
    enums: source.enums.filter((e) => covered(e.schema)),
    otherObjects: source.otherObjects.filter((o) => covered(o.schema)),
  };
  // A schema outside `schemas` whose enums or domains the copied tables use has a shadow too (the types travel with
  // the tables); its name is mapped back like the copied schemas' names.
  const lives = byName ? [...new Set([...scoped.schemas, ...shadow.namespaces.map((n) => n.live)])] : scoped.schemas;
  const namespaces = lives.map((s) => ({ source: s, shadow: shadow.namespaces.find((n) => n.live === s)?.shadow ?? only ?? s }));
  return compareSchemas(scoped, read, { namespaces });
}

/** The error that refuses the swap when the shadow is not a drop-in copy; it lists every difference. */
export function parityRefusal(parity: SchemaParity, shadow: Shadow): SynthError {
  const first = parity.differences[0];
  const names = shadow.namespaces.map((n) => n.shadow).join(', ');
  return new SynthError(
    'SCHEMA_PARITY',
    `The shadow's schema is not the source's (${formatParity(parity)}); the swap is refused and the live schema is untouched:\n${formatDifferences(parity, Infinity)}`,
    {
      ...(first ? { table: first.object } : {}),
      hint:
        `Each line names an object synth could not recreate as the source has it. Run again with --keep-shadow to inspect ${names}; ` +
        'then change or drop that object in the source (or leave its schema out with `schemas`) and run again, and report the difference as a synth bug.',
    },
  );
}

/** Adds the parity (figure and differences) to the run's JSON report, which is written before finalize. */
export function addParityToJsonReport(path: string, parity: SchemaParity): void {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...report, schemaParity: parity }, null, 2));
}
