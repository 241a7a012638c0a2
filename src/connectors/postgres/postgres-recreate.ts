/**
 * Recreating the source's schema objects in a shadow (extensions, types, routines, aggregates, operators, casts,
 * matview indexes, comments) and guarding the backup schema the swap replaces.
 */
import type { DatabaseSchema, OtherObject } from '../../schema/model.js';
import { SynthError } from '../../errors.js';
import { toShadowSql, type Layout } from './postgres-ddl.js';
import { namespaceWhens } from './postgres-objects.js';
import { qi } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';

/** Runs `sql` in a savepoint; returns the error message instead of aborting the transaction. */
export async function attempt(s: PgSession, sql: string): Promise<string | null> {
  await s.query('SAVEPOINT synth_try');
  try {
    await s.query(sql);
    await s.query('RELEASE SAVEPOINT synth_try');
    return null;
  } catch (e) {
    await s.query('ROLLBACK TO SAVEPOINT synth_try');
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Installs the source's extensions in the target where it lacks them, in the schema the source has them in, so
 * the copied tables, indexes and types find them under the same names. An extension the target server cannot
 * install is refused here, before anything else is written.
 */
export async function ensureExtensions(s: PgSession, objects: OtherObject[]): Promise<string[]> {
  const wanted = objects.filter((o) => o.kind === 'extension');
  if (wanted.length === 0) return [];
  const installed = new Map(
    (await s.query<{ extname: string; nspname: string }>(`SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`)).rows.map(
      (r) => [r.extname, r.nspname],
    ),
  );
  const available = new Set((await s.query<{ name: string }>(`SELECT name FROM pg_available_extensions`)).rows.map((r) => r.name));
  const missing = wanted.filter((e) => !installed.has(e.name) && !available.has(e.name));
  if (missing.length > 0) {
    throw new SynthError('LOAD_FAILED', `The target server cannot install extension(s) ${missing.map((e) => e.name).join(', ')}, which the source schema uses`, {
      hint: `Install the package that provides ${missing.map((e) => e.name).join(', ')} on the target's PostgreSQL server (e.g. postgresql-contrib), or leave the schemas that use it out with \`schemas\`. Nothing was written.`,
    });
  }
  const notes: string[] = [];
  for (const e of wanted) {
    const at = installed.get(e.name);
    if (at !== undefined) {
      if (at !== e.schema) notes.push(`extension ${e.name} is installed in schema ${at} of the target (the source has it in ${e.schema})`);
      continue;
    }
    await s.query(`CREATE SCHEMA IF NOT EXISTS ${qi(e.schema)}`);
    await s.query(e.definition!);
    notes.push(`extension ${e.name} installed in schema ${e.schema} of the target`);
  }
  return notes;
}

/** Kinds created before the tables, in this order within each pass. */
const BEFORE_TABLES: OtherObject['kind'][] = ['composite type', 'range type', 'function', 'procedure', 'aggregate', 'operator', 'cast'];

/** Kinds created before everything else in the shadow: domains, columns, indexes and generated columns name them. */
const FIRST: OtherObject['kind'][] = ['collation', 'text search parser', 'text search template', 'text search dictionary', 'text search configuration'];

/**
 * Creates types, routines, aggregates, operators and casts in the shadow. They depend on each other in ways the
 * catalog order does not follow (a range's subtype_diff function, an operator over a composite type, a function
 * returning a table's row type), so failures are retried until a pass makes no progress; `pending` comes back for
 * a last pass after the tables exist.
 */
export async function createRoutinesAndTypes(s: PgSession, pending: OtherObject[], layout: Layout, final: boolean, notes: string[]): Promise<OtherObject[]> {
  const rank = (o: OtherObject) => [...FIRST, ...BEFORE_TABLES].indexOf(o.kind);
  let todo = [...pending].sort((a, b) => rank(a) - rank(b));
  const errors = new Map<OtherObject, string>();
  for (;;) {
    const failed: OtherObject[] = [];
    for (const o of todo) {
      const err = await attempt(s, relocate(o, layout));
      if (err) {
        failed.push(o);
        errors.set(o, err);
      }
    }
    if (failed.length === 0 || failed.length === todo.length) {
      todo = failed;
      break;
    }
    todo = failed;
  }
  if (final) for (const o of todo) notes.push(`${o.kind} ${o.schema}.${o.name} was not recreated (${errors.get(o)}); it stays in the backup schema`);
  return todo;
}

/** The objects `createRoutinesAndTypes` handles, of the shadowed schemas. */
export function routinesAndTypes(objects: OtherObject[], layout: Layout): OtherObject[] {
  return objects.filter((o) => BEFORE_TABLES.includes(o.kind) && o.definition !== null && layout.live.has(o.schema));
}

/**
 * The shadowed schemas' collations and text-search dictionaries and configurations, for `createRoutinesAndTypes`
 * to make before the types (a configuration names its dictionaries; the retry takes care of the order).
 */
export function collationsAndTextSearch(objects: OtherObject[], layout: Layout): OtherObject[] {
  return objects.filter((o) => FIRST.includes(o.kind) && o.definition !== null && layout.live.has(o.schema));
}

/** A definition moved into the shadow. A function's body keeps resolving names at run time, so only its header moves. */
export function relocate(o: OtherObject, layout: Layout): string {
  const def = o.definition!;
  if (o.kind === 'function' || o.kind === 'procedure') {
    const at = def.search(/\nAS \$|\n(BEGIN ATOMIC)/);
    if (at < 0 || /\nBEGIN ATOMIC/.test(def)) return toShadowSql(def, layout);
    return toShadowSql(def.slice(0, at), layout) + def.slice(at);
  }
  if (o.kind === 'comment') {
    // The comment's text is not SQL: only the object it names moves.
    const at = def.indexOf(' IS ');
    return toShadowSql(def.slice(0, at), layout) + def.slice(at);
  }
  return toShadowSql(def, layout);
}

/**
 * Indexes of materialized views, statistics objects, rules, INSTEAD OF triggers of views and comments, once every object they name
 * exists (after the views). `tables` are the model's: their triggers were made with the data.
 */
export async function createAfterViews(s: PgSession, schema: DatabaseSchema, layout: Layout, notes: string[]): Promise<void> {
  const onTable = (o: OtherObject) => schema.tables.some((t) => t.schema === o.schema && t.name === o.table);
  for (const kind of ['index', 'statistics', 'rule', 'trigger', 'comment'] as const) {
    for (const o of schema.otherObjects) {
      if (o.kind !== kind || o.definition === null || !layout.live.has(o.schema)) continue;
      if (kind === 'trigger' && onTable(o)) continue;
      const err = await attempt(s, relocate(o, layout));
      if (err) notes.push(`${o.kind} ${o.schema}.${o.name} was not recreated (${err})`);
    }
  }
}

/** Row security and policies, after the data (the load must not be filtered) and the constraints. */
export async function createPolicies(s: PgSession, objects: OtherObject[], layout: Layout, notes: string[]): Promise<void> {
  for (const kind of ['row security', 'policy'] as const) {
    for (const o of objects) {
      if (o.kind !== kind || o.definition === null || !layout.live.has(o.schema)) continue;
      const err = await attempt(s, relocate(o, layout));
      if (err) notes.push(`${o.kind} ${o.name} on ${o.schema}.${o.table ?? '?'} was not recreated (${err})`);
    }
  }
}

/**
 * Objects outside `backup` that depend on something in it: `DROP SCHEMA … CASCADE` would silently take them along.
 * Each is described the way PostgreSQL names it (`view reporting.actor_names`, `function other.f(integer)`).
 * Objects in `alsoDropped` (the other backups the same swap replaces, e.g. the tables using a type schema's
 * backup) go anyway and are not counted.
 */
export async function backupDependents(s: PgSession, backup: string, alsoDropped: string[] = []): Promise<string[]> {
  const rows = await s.query<{ what: string }>(
    `WITH b AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
     inside(classid, objid) AS (
       SELECT 'pg_namespace'::regclass, oid FROM b
       UNION ALL SELECT 'pg_class'::regclass, c.oid FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM b)
       UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM b)
       UNION ALL SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM b)
       UNION ALL SELECT 'pg_operator'::regclass, o.oid FROM pg_operator o WHERE o.oprnamespace IN (SELECT oid FROM b)
       UNION ALL SELECT 'pg_constraint'::regclass, k.oid FROM pg_constraint k WHERE k.connamespace IN (SELECT oid FROM b)
       UNION ALL SELECT 'pg_collation'::regclass, k.oid FROM pg_collation k WHERE k.collnamespace IN (SELECT oid FROM b)
     ),
     dep AS (
       SELECT DISTINCT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN inside i ON i.classid = d.refclassid AND i.objid = d.refobjid
        WHERE d.deptype IN ('n', 'a')
     ),
     placed AS (
       SELECT dep.*, CASE dep.classid
         ${namespaceWhens('dep.objid', ['pg_class', 'pg_type', 'pg_proc', 'pg_operator', 'pg_constraint', 'pg_collation', 'pg_opclass', 'pg_opfamily', 'pg_rewrite', 'pg_trigger', 'pg_attrdef', 'pg_policy'])}
         -- A cast of a backup type goes with that type: it means nothing without it.
         WHEN 'pg_cast'::regclass THEN (SELECT oid FROM b)
         WHEN 'pg_namespace'::regclass THEN dep.objid
       END AS ns FROM dep
     )
     SELECT DISTINCT CASE WHEN classid = 'pg_rewrite'::regclass
                          THEN pg_describe_object('pg_class'::regclass, (SELECT ev_class FROM pg_rewrite WHERE oid = objid), 0)
                          ELSE pg_describe_object(classid, objid, objsubid) END AS what FROM placed
      WHERE ns IS DISTINCT FROM (SELECT oid FROM b)
        AND NOT coalesce(ns IN (SELECT oid FROM pg_namespace WHERE nspname = ANY($2::text[])), false) ORDER BY 1`,
    [backup, alsoDropped],
  );
  return rows.rows.map((r) => r.what);
}

/** Refuses when something outside `backup` depends on it; the caller has not written anything yet. */
export async function refuseBackupDependents(s: PgSession, backup: string, code: 'LOAD_FAILED' | 'SWAP_FAILED', alsoDropped: string[] = []): Promise<void> {
  const outside = await backupDependents(s, backup, alsoDropped);
  if (outside.length === 0) return;
  throw new SynthError(code, `Replacing the backup schema ${backup} would also drop ${outside.length} object(s) outside it that depend on it: ${outside.join('; ')}`, {
    hint: `Nothing was written. Drop or change those objects so they no longer use ${backup} (it holds the tables the previous hydrate replaced), or drop ${backup} yourself, then run again.`,
  });
}

/**
 * Column types that live in schemas synth does not copy (and no copied extension provides) must already exist in the
 * target: checked before anything is written, naming the first column that needs each missing type.
 */
export async function refuseMissingForeignTypes(s: PgSession, schema: DatabaseSchema, layout: Layout): Promise<void> {
  const extensionSchemas = new Set(schema.otherObjects.filter((o) => o.kind === 'extension').map((o) => o.schema));
  const needed = new Map<string, string>();
  for (const table of schema.tables) {
    for (const col of table.columns) {
      const m = /^((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))\.((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))/.exec(col.nativeType);
      if (!m) continue;
      const nsp = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!;
      if (layout.live.has(nsp) || extensionSchemas.has(nsp) || nsp === 'pg_catalog') continue;
      const type = `${m[1]}.${m[2]}`;
      if (!needed.has(type)) needed.set(type, `${table.schema}.${table.name}.${col.name}`);
    }
  }
  if (needed.size === 0) return;
  const found = await s.query<{ name: string; present: boolean }>(`SELECT n AS name, to_regtype(n) IS NOT NULL AS present FROM unnest($1::text[]) n`, [[...needed.keys()]]);
  const missing = found.rows.filter((r) => !r.present).map((r) => `${r.name} (used by ${needed.get(r.name)})`);
  if (missing.length === 0) return;
  throw new SynthError('LOAD_FAILED', `The target lacks type(s) from schemas synth does not copy: ${missing.join('; ')}`, {
    hint: 'Nothing was written. Create those types in the target (or add their schema to `schemas` so synth copies it), then run again.',
  });
}

/** The roles a policy definition (as `postgres-objects` prints it) applies to, PUBLIC left out. */
export function policyRoles(definition: string): string[] {
  const m = / FOR (?:ALL|SELECT|INSERT|UPDATE|DELETE) TO (.+?)(?: USING \(| WITH CHECK \(|$)/s.exec(definition);
  if (!m) return [];
  const roles: string[] = [];
  for (const part of m[1]!.matchAll(/"((?:[^"]|"")*)"|([^,\s]+)/g)) {
    const name = part[1] !== undefined ? part[1].replace(/""/g, '"') : part[2]!;
    if (part[1] !== undefined || name.toUpperCase() !== 'PUBLIC') roles.push(name);
  }
  return roles;
}

/**
 * Roles are the server's, not the database's: a policy for a role the target's server lacks cannot be created, so
 * that is refused before anything is written, naming the roles and their policies.
 */
export async function refuseMissingRoles(s: PgSession, objects: OtherObject[]): Promise<void> {
  const wanted = new Map<string, string[]>();
  for (const o of objects) {
    if (o.kind !== 'policy' || o.definition === null) continue;
    for (const role of policyRoles(o.definition)) wanted.set(role, [...(wanted.get(role) ?? []), `${o.name} on ${o.schema}.${o.table ?? '?'}`]);
  }
  if (wanted.size === 0) return;
  const existing = new Set((await s.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`, [[...wanted.keys()]])).rows.map((r) => r.rolname));
  const missing = [...wanted].filter(([role]) => !existing.has(role));
  if (missing.length === 0) return;
  throw new SynthError('LOAD_FAILED', `The target server lacks role(s) that row-level security policies apply to: ${missing.map(([r, p]) => `${r} (policy ${p.join(', ')})`).join('; ')}`, {
    hint: `Nothing was written. Create the role(s) on the target server (e.g. CREATE ROLE ${qi(missing[0]![0])} NOLOGIN), then run again.`,
  });
}

const LOOKUP: Record<string, string> = {
  table: 'to_regclass', view: 'to_regclass', 'materialized view': 'to_regclass', sequence: 'to_regclass', 'foreign table': 'to_regclass',
  index: 'to_regclass', function: 'to_regprocedure', procedure: 'to_regprocedure', aggregate: 'to_regprocedure',
  type: 'to_regtype', domain: 'to_regtype', 'composite type': 'to_regtype', operator: 'to_regoperator', collation: 'to_regcollation',
};

/**
 * What the source's copied objects use from schemas synth does not copy (`DatabaseSchema.requires`) must exist in the
 * target already; checked before anything is written, naming each missing object and one object that uses it.
 */
export async function refuseMissingExternals(s: PgSession, schema: DatabaseSchema, layout: Layout): Promise<void> {
  const wanted = (schema.requires ?? []).filter((r) => !layout.live.has(r.schema) && LOOKUP[r.type] !== undefined);
  if (wanted.length === 0) return;
  const found = await s.query<{ i: number; present: boolean }>(
    `SELECT i::int, CASE f
       WHEN 'to_regclass' THEN to_regclass(n) IS NOT NULL WHEN 'to_regprocedure' THEN to_regprocedure(n) IS NOT NULL
       WHEN 'to_regtype' THEN to_regtype(n) IS NOT NULL WHEN 'to_regoperator' THEN to_regoperator(n) IS NOT NULL
       WHEN 'to_regcollation' THEN to_regcollation(n) IS NOT NULL END AS present
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(f, n, i)`,
    [wanted.map((r) => LOOKUP[r.type]!), wanted.map((r) => r.identity)],
  );
  const missing = found.rows.filter((r) => !r.present).map((r) => wanted[r.i - 1]!);
  if (missing.length === 0) return;
  throw new SynthError('LOAD_FAILED', `The target lacks object(s) of schemas synth does not copy that the source schema uses: ${missing.map((m) => `${m.type} ${m.identity} (used by ${m.usedBy})`).join('; ')}`, {
    hint: `Nothing was written. Create ${missing.length === 1 ? 'it' : 'them'} in the target, or add schema ${missing[0]!.schema} to \`schemas\` so synth copies it, then run again.`,
  });
}
