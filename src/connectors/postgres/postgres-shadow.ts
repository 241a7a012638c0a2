/** Shadow schemas, the atomic swap, rollback, and cleanup. Schemas carry a JSON marker in their comment. */
import type { KeyState, Shadow, ShadowListing, SwapResult } from '../connector.js';
import type { DatabaseSchema, DatabaseSetting } from '../../schema/model.js';
import { SynthError } from '../../errors.js';
import { useParallelMaintenance } from './postgres-maintenance.js';
import { backupName, finalizeSteps, layoutFor, tableStatements, toShadowSql, typeStatements, type FinalizeStep, type Layout } from './postgres-ddl.js';
import { refuseStrandedTypeNeeds } from './postgres-foreign-types.js';
import { fitIdentifier, lit, qi } from './postgres-quote.js';
import {
  attempt, collationsAndTextSearch, createAfterViews, createPolicies, createRoutinesAndTypes, ensureExtensions, refuseBackupDependents, refuseMissingForeignTypes,
  refuseMissingExternals, refuseMissingRoles, routinesAndTypes,
} from './postgres-recreate.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { applyDatabaseSettings, databaseSettingsOf, probeDatabaseSettings } from './postgres-database-settings.js';

interface Marker {
  synth: string;
  /** `live`: written on the live schema by earlier versions; a live schema now keeps its own comment. */
  kind: 'shadow' | 'backup' | 'live';
  live: string;
  createdAt: string;
  /** A backup's: the comment it had as the live schema, given back to it by a rollback. */
  comment?: string | null;
  /** A backup's: the database's own settings before the swap that made it, given back by a rollback. */
  settings?: DatabaseSetting[];
}

async function mark(s: PgSession, schemaName: string, marker: Marker): Promise<void> {
  await s.query(`COMMENT ON SCHEMA ${qi(schemaName)} IS ${lit(JSON.stringify(marker))}`);
}

/** The synth marker a schema comment holds, or null for any other comment (a user's, even one that starts with a brace). */
function parseMarker(comment: string | null): Marker | null {
  if (!comment?.startsWith('{')) return null;
  try {
    const m = JSON.parse(comment) as Partial<Marker>;
    return typeof m.synth === 'string' && typeof m.kind === 'string' && typeof m.live === 'string' ? (m as Marker) : null;
  } catch {
    return null;
  }
}

/** The user's comment on a schema: null when it has none, or only a synth marker. */
async function ownComment(s: PgSession, schemaName: string): Promise<string | null> {
  const r = await s.query<{ comment: string | null }>(`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`, [schemaName]);
  const comment = r.rows[0]?.comment ?? null;
  return parseMarker(comment) ? null : comment;
}

/**
 * The owner of a live schema when it is not the connecting user (PostgreSQL 15's `public` belongs to
 * pg_database_owner, which gives the database's owner CREATE there), as SQL, else null. The swapped-in schema is
 * given that owner back: the app's migrations keep creating tables in it. Its tables stay the connecting user's.
 */
async function otherOwner(s: PgSession, schemaName: string): Promise<string | null> {
  const r = await s.query<{ owner: string; mine: boolean }>(
    `SELECT nspowner::regrole::text AS owner, nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS mine FROM pg_namespace WHERE nspname = $1`,
    [schemaName],
  );
  const row = r.rows[0];
  return row && !row.mine ? row.owner : null;
}

/**
 * A schema swapped in (or rolled back) carries the comment the live schema had (`standard public schema`), not a
 * marker: cleanup and rollback look only for shadows and backups, and the user's schema should read as theirs.
 */
async function setComment(s: PgSession, schemaName: string, comment: string | null): Promise<void> {
  await s.query(`COMMENT ON SCHEMA ${qi(schemaName)} IS ${comment === null ? 'NULL' : lit(comment)}`);
}

async function markers(s: PgSession): Promise<Array<{ namespace: string; marker: Marker }>> {
  const rows = await s.query<{ nspname: string; comment: string | null }>(
    `SELECT nspname, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace ORDER BY nspname`,
  );
  return rows.rows.flatMap((r) => {
    const marker = parseMarker(r.comment);
    return marker ? [{ namespace: r.nspname, marker }] : [];
  });
}

export function shadowLayout(shadow: Shadow): Layout {
  return { live: new Map(shadow.namespaces.map((n) => [n.live, n.live])), shadow: new Map(shadow.namespaces.map((n) => [n.live, n.shadow])) };
}

async function schemaExists(s: PgSession, name: string): Promise<boolean> {
  return (await s.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name])).rows.length > 0;
}

export async function createShadow(
  session: PgSession,
  runId: string,
  schema: DatabaseSchema,
  defaultSchema: string,
): Promise<{ shadow: Shadow; layout: Layout; notes: string[]; settings?: DatabaseSchema['databaseSettings'] }> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) {
    throw new SynthError('INTERNAL', `Run id ${runId} contains characters not allowed in a schema name`, {
      hint: 'Run ids are letters, digits, - and _.',
    });
  }
  const layout = layoutFor(runId, schema, defaultSchema);
  const shadow: Shadow = { runId, namespaces: [...layout.shadow].map(([live, sh]) => ({ live, shadow: sh })) };
  const createdAt = new Date().toISOString();
  const notes: string[] = [];
  const pg = schema.dialect === 'postgres';
  let settings: DatabaseSchema['databaseSettings'];
  await inTransaction(session, async (s) => {
    // The database's settings the swap will carry: one the target server rejects is refused now, not at the swap.
    if (pg && schema.databaseSettings) settings = await probeDatabaseSettings(s, schema.databaseSettings);
    // The swap will replace each live schema's backup: refuse now, not after the load, if that would drop more.
    const backups = shadow.namespaces.map((ns) => backupName(ns.live));
    for (const b of backups) await refuseBackupDependents(s, b, 'LOAD_FAILED', backups);
    if (pg) notes.push(...(await ensureExtensions(s, schema.otherObjects)));
    if (pg) await refuseMissingForeignTypes(s, schema, layout);
    if (pg) await refuseMissingRoles(s, schema.otherObjects);
    if (pg) await refuseMissingExternals(s, schema, layout);
    if (pg) refuseStrandedTypeNeeds(schema, layout);
    for (const ns of shadow.namespaces) {
      if (await schemaExists(s, ns.shadow)) {
        throw new SynthError('LOAD_FAILED', `Schema ${ns.shadow} for run ${runId} already exists in the target`, {
          hint: 'A shadow of an earlier run with the same id is left over; drop it (synth cleanup) or use a new run id.',
        });
      }
      await run(s, `CREATE SCHEMA ${qi(ns.shadow)}`, `creating schema ${ns.shadow}`);
      await mark(s, ns.shadow, { synth: runId, kind: 'shadow', live: ns.live, createdAt });
    }
    if (pg) await createRoutinesAndTypes(s, collationsAndTextSearch(schema.otherObjects, layout), layout, true, notes);
    for (const sql of typeStatements(schema, layout)) await run(s, sql, 'creating a type');
    // Types, functions, aggregates, operators and casts come before tables (generated columns and column types may
    // need them), with bodies unchecked as pg_dump does; the ones that need a table's row type are retried after.
    let pending = pg ? routinesAndTypes(schema.otherObjects, layout) : [];
    if (pending.length > 0) await s.query('SET LOCAL check_function_bodies = off');
    pending = await createRoutinesAndTypes(s, pending, layout, false, notes);
    for (const table of schema.tables) {
      for (const sql of tableStatements(schema, table, layout)) await run(s, sql, 'creating the shadow table', `${table.schema}.${table.name}`);
    }
    await createRoutinesAndTypes(s, pending, layout, true, notes);
    if (pg) {
      for (const q of schema.otherObjects) {
        if (q.kind !== 'sequence' || !q.definition || !layout.live.has(q.schema)) continue;
        const err = await attempt(s, toShadowSql(q.definition, layout));
        if (err) notes.push(`sequence ${q.schema}.${q.name} was not recreated (${err})`);
      }
    }
  });
  return { shadow, layout, notes, ...(settings ? { settings } : {}) };
}

async function run(s: PgSession, sql: string, what: string, table?: string): Promise<void> {
  try {
    await s.query(sql);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const missingType = /type "?[^ ]+"? does not exist/.test(msg);
    throw new SynthError('LOAD_FAILED', `${what}${table ? ` for ${table}` : ''} failed: ${msg}`, {
      ...(table ? { table } : {}),
      hint: missingType
        ? 'The source uses a type from an extension the target lacks: install it in the target (CREATE EXTENSION …) and run again.'
        : 'The target could not create this object; check the type mapping and that the target user may create schemas.',
      cause,
    });
  }
}

/** The finalize steps buildKeys takes before the gate: primary keys, unique constraints and indexes, plain indexes. */
function isKeyStep(step: FinalizeStep): boolean {
  return !step.optional && step.validate === undefined && /^(primary key|unique |index )/.test(step.what);
}

/**
 * Each table's primary key, unique constraints and indexes, one transaction per table with the parallel maintenance
 * budget, before the gate: a unique index that builds is that key's check of every row, and the gate's orphan
 * checks and the quality report's child counts and key reads use the indexes. A table whose build fails (a
 * duplicate) is rolled back to unindexed: the gate counts it in full, and finalize builds it (or fails) as before.
 */
export async function buildKeys(session: PgSession, layout: Layout, schema: DatabaseSchema): Promise<{ keys: KeyState; notes: string[] }> {
  const keys: KeyState = { built: new Set(), refused: new Set() };
  const notes: string[] = [];
  const byTable = new Map<string, FinalizeStep[]>();
  for (const step of finalizeSteps(schema, layout).filter(isKeyStep)) byTable.set(step.table, [...(byTable.get(step.table) ?? []), step]);
  for (const [table, steps] of byTable) {
    try {
      await inTransaction(session, async (s) => {
        await useParallelMaintenance(s);
        for (const step of steps) await s.query(step.sql);
      });
      keys.built.add(table);
    } catch (e) {
      keys.refused.add(table);
      notes.push(`${table}: the server refused its keys before validation (${e instanceof Error ? e.message : String(e)}); its keys are counted in full`);
    }
  }
  return { keys, notes };
}

export async function finalize(session: PgSession, layout: Layout, schema: DatabaseSchema, keys?: KeyState): Promise<string[]> {
  const notes: string[] = [];
  const pg = schema.dialect === 'postgres';
  // What buildKeys built before the gate is there already.
  const steps = finalizeSteps(schema, layout).filter((st) => !(keys?.built.has(st.table) && isKeyStep(st)));
  await inTransaction(session, async (s) => {
    // Keys and indexes of tables loaded unindexed: the biggest cost of finalize, parallel where the server allows.
    await useParallelMaintenance(s);
    for (const step of steps) {
      if (step.optional) {
        const err = await attempt(s, step.sql);
        if (err) notes.push(`${step.table}: ${step.what} skipped (${err})`);
      } else {
        await run(s, step.sql, `adding ${step.what}`, step.table);
      }
    }
    if (pg) {
      // Triggers last, so none fired while the data went in.
      for (const t of schema.otherObjects) {
        if (t.kind !== 'trigger' || !t.definition || !layout.live.has(t.schema)) continue;
        // A view's trigger waits for its view (createAfterViews).
        if (!schema.tables.some((x) => x.schema === t.schema && x.name === t.table)) continue;
        const err = await attempt(s, toShadowSql(t.definition, layout));
        if (err) notes.push(`trigger ${t.name} on ${t.schema}.${t.table ?? '?'} was not recreated (${err})`);
      }
      await createPolicies(s, schema.otherObjects, layout, notes);
      // Views (and what hangs on them) in finalize, not in the swap: the schema parity check reads the shadow
      // between the two and must find them there (validation/schema-parity.ts).
      await recreateViews(s, schema, layout, notes);
      await createAfterViews(s, schema, layout, notes);
    }
  });
  // The foreign keys went in NOT VALID; verifying their rows is what costs, and needs the keys committed.
  await validateForeignKeys(session, steps.filter((st) => st.validate !== undefined));
  return notes;
}

/**
 * VALIDATE CONSTRAINT of the foreign keys finalize added NOT VALID, one child table per connection and several
 * tables at once (it takes SHARE UPDATE EXCLUSIVE on the child, which only conflicts with itself, so one table's
 * keys go one after the other), the biggest tables first. The shadow is not live, so nothing reads it half-checked;
 * an orphan fails the run with the key and table named, and the shadow is dropped as after any failure.
 */
export async function validateForeignKeys(session: PgSession, steps: FinalizeStep[]): Promise<void> {
  const byTable = new Map<string, FinalizeStep[]>();
  for (const step of steps) byTable.set(step.table, [...(byTable.get(step.table) ?? []), step]);
  if (byTable.size === 0) return;
  const sizes = await session.query<{ name: string; bytes: string | null }>(
    `SELECT t.name, pg_relation_size(to_regclass(t.rel))::text AS bytes FROM unnest($1::text[], $2::text[]) AS t(name, rel)`,
    [[...byTable.keys()], [...byTable.values()].map((g) => g[0]!.validate!.relation)],
  );
  const bytes = new Map(sizes.rows.map((r) => [r.name, Number(r.bytes ?? 0)]));
  const queue = [...byTable.values()].sort((a, b) => (bytes.get(b[0]!.table) ?? 0) - (bytes.get(a[0]!.table) ?? 0));
  let failed = false;
  const worker = async (): Promise<void> => {
    const s = await session.pin();
    try {
      for (let group = queue.shift(); group && !failed; group = queue.shift()) {
        const keys = group;
        await inTransaction(s, async (t) => {
          // The anti-join behind VALIDATE runs with work_mem = maintenance_work_mem: finalize's budget again.
          await useParallelMaintenance(t);
          for (const step of keys) await runValidation(t, step);
        }).catch((e: unknown) => {
          failed = true;
          throw e;
        });
      }
    } finally {
      await s.close();
    }
  };
  const workers = Math.max(1, Math.min(session.connections ?? 1, byTable.size));
  const results = await Promise.allSettled(Array.from({ length: workers }, worker));
  // One failure stops the others taking new tables; the first is the one reported.
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

async function runValidation(s: PgSession, step: FinalizeStep): Promise<void> {
  try {
    await s.query(step.validate!.sql);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const detail = (cause as { detail?: unknown }).detail;
    const orphan = /violates foreign key constraint/.test(msg);
    throw new SynthError('LOAD_FAILED', `validating foreign key ${step.validate!.constraint} of ${step.table} failed: ${msg}${typeof detail === 'string' ? ` (${detail})` : ''}`, {
      table: step.table,
      hint: orphan
        ? 'A generated row references a parent row that does not exist; the validation gate spot-checks big tables, so this is a bug in generation: report it. Nothing was swapped.'
        : 'The target could not verify this foreign key; see the server message. Nothing was swapped.',
      cause,
    });
  }
}

/** How long the swap waits for a lock (on an old backup still in use) before giving up with nothing changed. */
export const SWAP_LOCK_TIMEOUT_MS = 30_000;

export async function swap(
  session: PgSession,
  shadow: Shadow,
  layout: Layout,
  schema: DatabaseSchema,
  extraNotes: string[],
  lockTimeoutMs = SWAP_LOCK_TIMEOUT_MS,
): Promise<SwapResult> {
  const notes = [...extraNotes];
  const backups: SwapResult['backups'] = [];
  const createdAt = new Date().toISOString();
  try {
    await inTransaction(session, async (s) => {
      await s.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      for (const ns of shadow.namespaces) {
        if (!(await schemaExists(s, ns.shadow))) {
          throw new SynthError('SWAP_FAILED', `Shadow schema ${ns.shadow} does not exist`, { hint: 'Run the hydrate again; the shadow was dropped or never created.' });
        }
      }
      notes.push(...(await outsideDependents(s, shadow.namespaces.map((n) => n.live))));
      const carry = schema.dialect === 'postgres' && schema.databaseSettings !== undefined;
      const settings = carry ? (await databaseSettingsOf(s)).filter((d) => d.role === undefined) : undefined;
      for (const ns of shadow.namespaces) {
        const backup = backupName(ns.live);
        let comment: string | null = null;
        let owner: string | null = null;
        if (await schemaExists(s, ns.live)) {
          comment = await ownComment(s, ns.live);
          owner = await otherOwner(s, ns.live);
          notes.push(...(await moveExtensions(s, ns.live, ns.shadow)));
          notes.push(...(await copyGrants(s, ns.live, ns.shadow)));
          // CASCADE only drops the backup's own objects: anything outside that depends on them refuses the swap.
          await refuseBackupDependents(s, backup, 'SWAP_FAILED', shadow.namespaces.map((n) => backupName(n.live)));
          await s.query(`DROP SCHEMA IF EXISTS ${qi(backup)} CASCADE`);
          await s.query(`ALTER SCHEMA ${qi(ns.live)} RENAME TO ${qi(backup)}`);
          await mark(s, backup, { synth: shadow.runId, kind: 'backup', live: ns.live, createdAt, comment, ...(settings ? { settings } : {}) });
          backups.push({ live: ns.live, backup });
        }
        await s.query(`ALTER SCHEMA ${qi(ns.shadow)} RENAME TO ${qi(ns.live)}`);
        await setComment(s, ns.live, comment);
        if (owner !== null) {
          const err = await attempt(s, `ALTER SCHEMA ${qi(ns.live)} OWNER TO ${owner}`);
          notes.push(err === null ? `schema ${ns.live} keeps its owner ${owner}` : `schema ${ns.live} could not keep its owner ${owner} (${err}); it belongs to the connecting user`);
        }
      }
      if (carry) notes.push(...(await applyDatabaseSettings(s, schema.databaseSettings!)));
    });
  } catch (cause) {
    if (cause instanceof SynthError) throw cause;
    throw new SynthError('SWAP_FAILED', `Swapping the shadow of run ${shadow.runId} in failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'Nothing changed (the swap is one transaction). Check for locks held on the live schema and retry.',
      cause,
    });
  }
  if (schema.dialect === 'postgres') {
    const sequences: string[] = [];
    for (const o of schema.otherObjects) {
      if (!layout.live.has(o.schema)) continue;
      if (o.definition === null) notes.push(`${o.kind} ${o.schema}.${o.name} has no recreatable definition (e.g. an aggregate); it stays in the backup schema`);
      else if (o.kind === 'sequence') sequences.push(`${o.schema}.${o.name}`);
    }
    // One line however many sequences: a schema with a sequence per table would otherwise fill the screen.
    if (sequences.length > 0) {
      const shown = sequences.length <= 3 ? sequences.join(', ') : `${sequences.slice(0, 3).join(', ')} and ${sequences.length - 3} more`;
      notes.push(`${sequences.length} sequence(s) recreated with their parameters, each past the largest generated value that draws from it (${shown})`);
    }
  } else {
    // Said as the MySQL target says it for a PostgreSQL source: their SQL is the other dialect's, so they are not made.
    const views = schema.otherObjects.filter((o) => o.kind === 'view').length;
    const triggers = schema.otherObjects.filter((o) => o.kind === 'trigger').length;
    const rest = schema.otherObjects.length - views - triggers;
    if (views + triggers > 0) notes.push(`${views} view(s) and ${triggers} trigger(s) of the ${schema.dialect} source were not recreated (their SQL is ${schema.dialect})`);
    if (rest > 0) notes.push(`${rest} routine(s)/event(s) of the ${schema.dialect} source were not copied`);
  }
  notes.push('Ownership and default privileges are not copied: the new objects belong to the connecting user.');
  return { backups, notes };
}

async function recreateViews(s: PgSession, schema: DatabaseSchema, layout: Layout, notes: string[]): Promise<void> {
  // Views may depend on each other: retry failures until a pass makes no progress.
  let pending = schema.otherObjects.filter((o) => (o.kind === 'view' || o.kind === 'materialized view') && o.definition && layout.live.has(o.schema));
  const errors = new Map<string, string>();
  for (;;) {
    const next: typeof pending = [];
    for (const v of pending) {
      const err = await attempt(s, toShadowSql(v.definition!, layout));
      if (err) {
        next.push(v);
        errors.set(`${v.schema}.${v.name}`, err);
      }
    }
    if (next.length === 0 || next.length === pending.length) {
      for (const v of next) notes.push(`${v.kind} ${v.schema}.${v.name} was not recreated (${errors.get(`${v.schema}.${v.name}`)}); it stays in the backup schema`);
      break;
    }
    pending = next;
  }
  const recreated = schema.otherObjects.filter((o) => (o.kind === 'view' || o.kind === 'materialized view') && layout.live.has(o.schema)).length;
  if (recreated > 0) notes.push(`${recreated} view(s) recreated on the new data (materialized views were refreshed by creation).`);
}

/**
 * Extensions installed in a live schema (citext, uuid-ossp in public) must stay live: moving them with the
 * renamed schema would leave the new tables using types in the backup, and dropping that backup later would
 * drop the extension with everything using it.
 */
async function moveExtensions(s: PgSession, from: string, to: string): Promise<string[]> {
  const exts = await s.query<{ extname: string }>(
    `SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = $1 ORDER BY e.extname`,
    [from],
  );
  const notes: string[] = [];
  for (const { extname } of exts.rows) {
    const err = await attempt(s, `ALTER EXTENSION ${qi(extname)} SET SCHEMA ${qi(to)}`);
    if (err) {
      throw new SynthError('SWAP_FAILED', `Extension ${extname} lives in schema ${from} and cannot move with the swap: ${err}`, {
        hint: `Install ${extname} in a schema of its own (e.g. CREATE SCHEMA extensions; ALTER EXTENSION ${extname} SET SCHEMA extensions) or drop and recreate it there, then run again.`,
      });
    }
    notes.push(`extension ${extname} moved along into the new ${from} schema`);
  }
  return notes;
}

/**
 * Copies explicit privileges (schema USAGE/CREATE, table and sequence grants) from the live schema onto the
 * same-named objects of the shadow, so application roles keep their access after the swap. Owners' own
 * privileges are implied by ownership and skipped.
 */
async function copyGrants(s: PgSession, live: string, shadow: string): Promise<string[]> {
  const rows = await s.query<{ kind: string; name: string | null; grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT 'schema' AS kind, NULL AS name, CASE WHEN a.grantee = 0 THEN NULL ELSE a.grantee::regrole::text END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_namespace n, aclexplode(n.nspacl) a
      WHERE n.nspname = $1 AND a.grantee <> n.nspowner
     UNION ALL
     SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, c.relname,
            CASE WHEN a.grantee = 0 THEN NULL ELSE a.grantee::regrole::text END, a.privilege_type, a.is_grantable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
      WHERE n.nspname = $1 AND a.grantee <> c.relowner AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND EXISTS (SELECT 1 FROM pg_class sc JOIN pg_namespace sn ON sn.oid = sc.relnamespace WHERE sn.nspname = $2 AND sc.relname = c.relname)`,
    [live, shadow],
  );
  let copied = 0;
  const failed: string[] = [];
  for (const g of rows.rows) {
    const to = g.grantee ?? 'PUBLIC';
    const on = g.kind === 'schema' ? `SCHEMA ${qi(shadow)}` : `${g.kind === 'sequence' ? 'SEQUENCE' : 'TABLE'} ${qi(shadow)}.${qi(g.name ?? '')}`;
    const err = await attempt(s, `GRANT ${g.privilege} ON ${on} TO ${to}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
    if (err) failed.push(`${g.privilege} on ${g.name ?? live} to ${to}`);
    else copied++;
  }
  const notes = copied > 0 ? [`${copied} privilege grant(s) of schema ${live} copied onto the new objects`] : [];
  if (failed.length > 0) notes.push(`grants not copied: ${failed.join('; ')}`);
  return notes;
}

/** Views and foreign keys in schemas synth does not swap follow the renamed tables into the backup. */
async function outsideDependents(s: PgSession, lives: string[]): Promise<string[]> {
  const views = await s.query<{ nspname: string; relname: string }>(
    `SELECT DISTINCT dn.nspname, dc.relname
       FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid
       JOIN pg_class dc ON dc.oid = r.ev_class
       JOIN pg_namespace dn ON dn.oid = dc.relnamespace
       JOIN pg_class c ON c.oid = d.refobjid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
        AND n.nspname = ANY($1) AND dn.nspname <> ALL($1) AND dc.oid <> c.oid
      ORDER BY 1, 2`,
    [lives],
  );
  const fks = await s.query<{ nspname: string; relname: string; conname: string }>(
    `SELECT cn.nspname, cc.relname, co.conname
       FROM pg_constraint co
       JOIN pg_class cc ON cc.oid = co.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
       JOIN pg_class rc ON rc.oid = co.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE co.contype = 'f' AND rn.nspname = ANY($1) AND cn.nspname <> ALL($1)
      ORDER BY 1, 2, 3`,
    [lives],
  );
  return [
    ...views.rows.map((v) => `view ${v.nspname}.${v.relname} is outside the swapped schemas and still reads the backup tables`),
    ...fks.rows.map((f) => `foreign key ${f.conname} of ${f.nspname}.${f.relname} is outside the swapped schemas and still references the backup tables`),
  ];
}

export async function rollback(session: PgSession, lockTimeoutMs = SWAP_LOCK_TIMEOUT_MS): Promise<SwapResult> {
  try {
    return await inTransaction(session, async (s) => {
      await s.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      const found = (await markers(s)).filter((m) => m.marker.kind === 'backup');
      if (found.length === 0) {
        throw new SynthError('NOTHING_TO_ROLLBACK', 'There is no synth backup schema to roll back to', {
          hint: 'Rollback works after a successful swap; nothing has been swapped into this database yet.',
        });
      }
      const backups: SwapResult['backups'] = [];
      const createdAt = new Date().toISOString();
      // The database's settings go back with the data when the swap recorded them; the current ones become the backup's.
      const previous = found.find((f) => f.marker.settings !== undefined)?.marker.settings;
      const current = previous ? (await databaseSettingsOf(s)).filter((d) => d.role === undefined) : undefined;
      const notes: string[] = [];
      for (const { namespace, marker } of found) {
        const tmp = fitIdentifier(`synth_swap_${marker.live}`);
        const hadLive = await schemaExists(s, marker.live);
        const comment = hadLive ? await ownComment(s, marker.live) : null;
        if (hadLive) await moveExtensions(s, marker.live, namespace);
        if (hadLive) await s.query(`ALTER SCHEMA ${qi(marker.live)} RENAME TO ${qi(tmp)}`);
        await s.query(`ALTER SCHEMA ${qi(namespace)} RENAME TO ${qi(marker.live)}`);
        await setComment(s, marker.live, marker.comment ?? null);
        if (hadLive) {
          await s.query(`ALTER SCHEMA ${qi(tmp)} RENAME TO ${qi(namespace)}`);
          await mark(s, namespace, { synth: marker.synth, kind: 'backup', live: marker.live, createdAt, comment, ...(current ? { settings: current } : {}) });
          backups.push({ live: marker.live, backup: namespace });
        }
      }
      if (previous) notes.push(...(await applyDatabaseSettings(s, previous)));
      return { backups, notes: [`Rolled back ${found.map((f) => f.marker.live).join(', ')}; the replaced tables are now the backup (rollback again to undo).`, ...notes] };
    });
  } catch (cause) {
    if (cause instanceof SynthError) throw cause;
    throw new SynthError('SWAP_FAILED', `Rollback failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'Nothing changed (rollback is one transaction). Check for locks on the schemas and retry.',
      cause,
    });
  }
}

export async function listShadows(session: PgSession): Promise<ShadowListing[]> {
  return (await markers(session))
    .filter((m) => m.marker.kind === 'shadow')
    .map((m) => {
      const created = typeof m.marker.createdAt === 'string' ? new Date(m.marker.createdAt) : null;
      return { runId: m.marker.synth, namespace: m.namespace, live: m.marker.live, createdAt: created && !Number.isNaN(created.getTime()) ? created : null };
    });
}

export async function dropShadow(session: PgSession, shadow: Shadow): Promise<void> {
  await inTransaction(session, async (s) => {
    for (const ns of shadow.namespaces) {
      const m = (await markers(s)).find((x) => x.namespace === ns.shadow);
      // Only schemas synth marked as shadows are dropped, never a live schema by mistake.
      if (m && m.marker.kind === 'shadow') await s.query(`DROP SCHEMA ${qi(ns.shadow)} CASCADE`);
    }
  });
}

