/** Shadow schemas, the atomic swap, rollback, and cleanup. Schemas carry a JSON marker in their comment. */
import type { Shadow, SwapResult } from '../connector.js';
import type { DatabaseSchema } from '../../schema/model.js';
import { SynthError } from '../../errors.js';
import { backupName, finalizeSteps, layoutFor, tableStatements, toShadowSql, typeStatements, type Layout } from './postgres-ddl.js';
import { fitIdentifier, lit, qi } from './postgres-quote.js';
import { inTransaction, type PgSession } from './postgres-session.js';

interface Marker {
  synth: string;
  kind: 'shadow' | 'backup' | 'live';
  live: string;
  createdAt: string;
}

async function mark(s: PgSession, schemaName: string, marker: Marker): Promise<void> {
  await s.query(`COMMENT ON SCHEMA ${qi(schemaName)} IS ${lit(JSON.stringify(marker))}`);
}

async function markers(s: PgSession): Promise<Array<{ namespace: string; marker: Marker }>> {
  const rows = await s.query<{ nspname: string; comment: string | null }>(
    `SELECT nspname, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace ORDER BY nspname`,
  );
  const out: Array<{ namespace: string; marker: Marker }> = [];
  for (const r of rows.rows) {
    if (!r.comment?.startsWith('{')) continue;
    try {
      const m = JSON.parse(r.comment) as Partial<Marker>;
      if (typeof m.synth === 'string' && typeof m.kind === 'string' && typeof m.live === 'string') {
        out.push({ namespace: r.nspname, marker: m as Marker });
      }
    } catch {
      // A user comment that happens to start with a brace.
    }
  }
  return out;
}

export function shadowLayout(shadow: Shadow): Layout {
  return { live: new Map(shadow.namespaces.map((n) => [n.live, n.live])), shadow: new Map(shadow.namespaces.map((n) => [n.live, n.shadow])) };
}

async function schemaExists(s: PgSession, name: string): Promise<boolean> {
  return (await s.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name])).rows.length > 0;
}

export async function createShadow(session: PgSession, runId: string, schema: DatabaseSchema, defaultSchema: string): Promise<{ shadow: Shadow; layout: Layout }> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) {
    throw new SynthError('INTERNAL', `Run id ${runId} contains characters not allowed in a schema name`, {
      hint: 'Run ids are letters, digits, - and _.',
    });
  }
  const layout = layoutFor(runId, schema, defaultSchema);
  const shadow: Shadow = { runId, namespaces: [...layout.shadow].map(([live, sh]) => ({ live, shadow: sh })) };
  const createdAt = new Date().toISOString();
  await inTransaction(session, async (s) => {
    for (const ns of shadow.namespaces) {
      await s.query(`CREATE SCHEMA ${qi(ns.shadow)}`);
      await mark(s, ns.shadow, { synth: runId, kind: 'shadow', live: ns.live, createdAt });
    }
    for (const sql of typeStatements(schema, layout)) await run(s, sql, 'creating a type');
    for (const table of schema.tables) {
      for (const sql of tableStatements(schema, table, layout)) await run(s, sql, 'creating the shadow table', `${table.schema}.${table.name}`);
    }
  });
  return { shadow, layout };
}

async function run(s: PgSession, sql: string, what: string, table?: string): Promise<void> {
  try {
    await s.query(sql);
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new SynthError('LOAD_FAILED', `${what}${table ? ` for ${table}` : ''} failed: ${msg}`, {
      ...(table ? { table } : {}),
      hint: 'The target could not create this object; check the type mapping and that the target user may create schemas.',
      cause,
    });
  }
}

/** Runs `sql` in a savepoint; returns the error message instead of aborting the transaction. */
async function attempt(s: PgSession, sql: string): Promise<string | null> {
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

/** Rewrites only a function's header (name, argument and return types); its body keeps resolving names at run time. */
function functionToShadow(def: string, layout: Layout): string {
  const at = def.search(/\nAS \$|\n(BEGIN ATOMIC)/);
  if (at < 0 || /\nBEGIN ATOMIC/.test(def)) return toShadowSql(def, layout);
  return toShadowSql(def.slice(0, at), layout) + def.slice(at);
}

export async function finalize(session: PgSession, layout: Layout, schema: DatabaseSchema): Promise<string[]> {
  const notes: string[] = [];
  const pg = schema.dialect === 'postgres';
  await inTransaction(session, async (s) => {
    if (pg) {
      // Functions first: defaults, checks and triggers may call them.
      for (const f of schema.otherObjects) {
        if ((f.kind !== 'function' && f.kind !== 'procedure') || !f.definition || !layout.live.has(f.schema)) continue;
        const err = await attempt(s, functionToShadow(f.definition, layout));
        if (err) notes.push(`${f.kind} ${f.schema}.${f.name} was not recreated (${err}); it stays in the backup schema`);
      }
      for (const q of schema.otherObjects) {
        if (q.kind !== 'sequence' || !q.definition || !layout.live.has(q.schema)) continue;
        const err = await attempt(s, toShadowSql(q.definition, layout));
        if (err) notes.push(`sequence ${q.schema}.${q.name} was not recreated (${err})`);
      }
    }
    for (const step of finalizeSteps(schema, layout)) {
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
        const err = await attempt(s, toShadowSql(t.definition, layout));
        if (err) notes.push(`trigger ${t.name} on ${t.schema}.${t.table ?? '?'} was not recreated (${err})`);
      }
    }
  });
  return notes;
}

export async function swap(session: PgSession, shadow: Shadow, layout: Layout, schema: DatabaseSchema, extraNotes: string[]): Promise<SwapResult> {
  const notes = [...extraNotes];
  const backups: SwapResult['backups'] = [];
  const createdAt = new Date().toISOString();
  try {
    await inTransaction(session, async (s) => {
      for (const ns of shadow.namespaces) {
        if (!(await schemaExists(s, ns.shadow))) {
          throw new SynthError('SWAP_FAILED', `Shadow schema ${ns.shadow} does not exist`, { hint: 'Run the hydrate again; the shadow was dropped or never created.' });
        }
      }
      if (schema.dialect === 'postgres') await recreateViews(s, schema, layout, notes);
      for (const ns of shadow.namespaces) {
        const backup = backupName(ns.live);
        if (await schemaExists(s, ns.live)) {
          await s.query(`DROP SCHEMA IF EXISTS ${qi(backup)} CASCADE`);
          await s.query(`ALTER SCHEMA ${qi(ns.live)} RENAME TO ${qi(backup)}`);
          await mark(s, backup, { synth: shadow.runId, kind: 'backup', live: ns.live, createdAt });
          backups.push({ live: ns.live, backup });
        }
        await s.query(`ALTER SCHEMA ${qi(ns.shadow)} RENAME TO ${qi(ns.live)}`);
        await mark(s, ns.live, { synth: shadow.runId, kind: 'live', live: ns.live, createdAt });
      }
    });
  } catch (cause) {
    if (cause instanceof SynthError) throw cause;
    throw new SynthError('SWAP_FAILED', `Swapping the shadow of run ${shadow.runId} in failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'Nothing changed (the swap is one transaction). Check for locks held on the live schema and retry.',
      cause,
    });
  }
  notes.push('Grants, ownership and default privileges are not copied: the new tables belong to the connecting user.');
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

export async function rollback(session: PgSession): Promise<SwapResult> {
  try {
    return await inTransaction(session, async (s) => {
      const found = (await markers(s)).filter((m) => m.marker.kind === 'backup');
      if (found.length === 0) {
        throw new SynthError('NOTHING_TO_ROLLBACK', 'There is no synth backup schema to roll back to', {
          hint: 'Rollback works after a successful swap; nothing has been swapped into this database yet.',
        });
      }
      const backups: SwapResult['backups'] = [];
      const createdAt = new Date().toISOString();
      for (const { namespace, marker } of found) {
        const tmp = fitIdentifier(`synth_swap_${marker.live}`);
        const hadLive = await schemaExists(s, marker.live);
        if (hadLive) await s.query(`ALTER SCHEMA ${qi(marker.live)} RENAME TO ${qi(tmp)}`);
        await s.query(`ALTER SCHEMA ${qi(namespace)} RENAME TO ${qi(marker.live)}`);
        await mark(s, marker.live, { ...marker, kind: 'live', createdAt });
        if (hadLive) {
          await s.query(`ALTER SCHEMA ${qi(tmp)} RENAME TO ${qi(namespace)}`);
          await mark(s, namespace, { synth: marker.synth, kind: 'backup', live: marker.live, createdAt });
          backups.push({ live: marker.live, backup: namespace });
        }
      }
      return { backups, notes: [`Rolled back ${found.map((f) => f.marker.live).join(', ')}; the replaced tables are now the backup (rollback again to undo).`] };
    });
  } catch (cause) {
    if (cause instanceof SynthError) throw cause;
    throw new SynthError('SWAP_FAILED', `Rollback failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'Nothing changed (rollback is one transaction). Check for locks on the schemas and retry.',
      cause,
    });
  }
}

export async function listShadows(session: PgSession): Promise<Array<{ runId: string; namespace: string }>> {
  return (await markers(session)).filter((m) => m.marker.kind === 'shadow').map((m) => ({ runId: m.marker.synth, namespace: m.namespace }));
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

