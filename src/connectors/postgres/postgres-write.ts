/** Bulk writes into shadow tables: COPY FROM STDIN (binary where every column allows, else text), and deferred updates via a temp table. */
import type { LoadProgress, UpdateBatch } from '../connector.js';
import type { NeutralType, Table } from '../../schema/model.js';
import type { RowBatch, Value } from '../../schema/values.js';
import { SynthError } from '../../errors.js';
import { qi, qn } from './postgres-quote.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { copyRowEncoder } from './postgres-values.js';
import { binaryBatchEncoder, COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './postgres-copy-binary.js';
import { unfittedPgPartitionFixes } from './postgres-partitions.js';

function typesOf(table: Table, columns: string[]): NeutralType[] {
  return columns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) {
      throw new SynthError('LOAD_FAILED', `Column ${name} is not in table ${table.schema}.${table.name}`, {
        table: `${table.schema}.${table.name}`,
        column: name,
        hint: 'The batch names a column the schema does not have; regenerate with the current schema.',
      });
    }
    return col.type;
  });
}

/** A batch's rows as COPY text (one line a row, with its newline). */
function copyText(encode: (row: Value[]) => string, rows: readonly Value[][]): string {
  let out = '';
  for (const row of rows) out += encode(row);
  return out;
}

/** pg_type OIDs of a table's columns, by name (a domain column has its domain's). */
async function columnTypeOids(session: PgSession, schemaName: string, table: string, columns: string[]): Promise<number[] | null> {
  const res = await session.query<{ name: string; oid: number }>(
    'SELECT attname AS name, atttypid::int AS oid FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
    [qn(schemaName, table)],
  );
  const byName = new Map(res.rows.map((r) => [r.name, Number(r.oid)]));
  const oids = columns.map((c) => byName.get(c));
  return oids.every((o): o is number => o !== undefined) ? oids : null;
}

/**
 * Streams the batches into the table: as COPY BINARY where every column's type has an exact binary form
 * (postgres-copy-binary.ts) and the session takes it, else as text. A batch holding a value without one (a
 * copied 'infinity' date) ends the binary COPY, and that batch and the rest go through a text COPY.
 */
async function copyBatches(
  session: PgSession,
  schemaName: string,
  table: Table,
  columns: string[],
  batches: AsyncIterator<RowBatch>,
  onRows: (n: number) => void,
): Promise<number> {
  const target = qn(schemaName, table.name);
  const list = columns.map(qi).join(', ');
  const types = typesOf(table, columns);
  const binary = session.copyFromBinary ? binaryBatchEncoder(types, (await columnTypeOids(session, schemaName, table.name, columns)) ?? []) : null;
  // The batch the binary encoder refused, for the text COPY to start with.
  let refused: RowBatch | null = null;
  let ended = false;
  const next = async (): Promise<RowBatch | null> => {
    const n = await batches.next();
    if (n.done) ended = true;
    return n.done ? null : n.value;
  };
  let copied = 0;
  if (binary && session.copyFromBinary) {
    async function* chunks(): AsyncIterable<Buffer> {
      yield COPY_BINARY_HEADER;
      for (let b = await next(); b; b = await next()) {
        const buf = binary!.encode(b.rows);
        if (!buf) {
          refused = b;
          break;
        }
        if (buf.length > 0) yield buf;
        onRows(b.rows.length);
      }
      yield COPY_BINARY_TRAILER;
    }
    copied += await session.copyFromBinary(`COPY ${target} (${list}) FROM STDIN WITH (FORMAT binary)`, chunks());
    if (ended) return copied;
  }
  const text = copyRowEncoder(types);
  async function* lines(): AsyncIterable<string> {
    for (let b = refused ?? (await next()); b; b = await next()) {
      const out = copyText(text, b.rows);
      if (out) yield out;
      onRows(b.rows.length);
    }
  }
  return copied + (await session.copyFrom(`COPY ${target} (${list}) FROM STDIN`, lines()));
}

/** Reads the first batch to learn the column list, then streams everything through one COPY (two after a refused batch). */
export async function loadTable(
  session: PgSession,
  schemaName: string,
  table: Table,
  batches: AsyncIterable<RowBatch>,
  progress?: LoadProgress,
): Promise<number> {
  const it = batches[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return 0;
  const given = first.value.columns;
  // Generated columns are computed by the database; a batch that carries them gets them dropped here.
  const keep = given.map((name, i) => ({ name, i })).filter(({ name }) => table.columns.find((c) => c.name === name)?.generated == null);
  const columns = keep.map((k) => k.name);
  const project = (b: RowBatch): RowBatch =>
    keep.length === given.length ? b : { columns, rows: b.rows.map((r) => keep.map((k) => r[k.i] ?? null)) };
  async function* all(): AsyncIterable<RowBatch> {
    yield project(first.value as RowBatch);
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      if (n.value.columns.join('\u0000') !== given.join('\u0000')) {
        throw new SynthError('LOAD_FAILED', `Batches for ${table.schema}.${table.name} changed their column list mid-stream`, {
          table: `${table.schema}.${table.name}`,
          hint: 'Every batch of one load must name the same columns in the same order.',
        });
      }
      yield project(n.value);
    }
  }
  let loaded = 0;
  try {
    return await copyBatches(session, schemaName, table, columns, all()[Symbol.asyncIterator](), (n) => {
      loaded += n;
      progress?.(loaded);
    });
  } catch (cause) {
    if (cause instanceof SynthError) throw cause;
    const msg = cause instanceof Error ? cause.message : String(cause);
    // The server says where (`COPY t, line 12, column price: "x"`); keep the position, not the row's content.
    const pgErr = cause as { where?: string; column?: string } | null;
    const at = /line (\d+)(?:, column ([^:]+))?/.exec(pgErr?.where ?? '');
    const column = pgErr?.column ?? at?.[2];
    const position = at ? ` (row ${at[1]} of the load${at[2] ? `, column ${at[2]}` : ''})` : '';
    throw new SynthError('LOAD_FAILED', `Loading ${table.schema}.${table.name} failed: ${msg}${position}`, {
      table: `${table.schema}.${table.name}`,
      ...(column ? { column } : {}),
      // The plan refuses the partitionings generation cannot fit (postgres-partitions.ts); should a row still miss
      // every partition, the hint names the same fixes.
      hint: /no partition of relation/i.test(msg)
        ? `${unfittedPgPartitionFixes(table)} Nothing was swapped; the live database is unchanged.`
        : 'The generated rows do not fit the target table; check the type mapping notes for this table.',
      cause,
    });
  }
}

export async function updateTable(
  session: PgSession,
  schemaName: string,
  table: Table,
  batches: AsyncIterable<UpdateBatch>,
): Promise<number> {
  const target = qn(schemaName, table.name);
  return inTransaction(session, async (s) => {
    let total = 0;
    let created: string[] | null = null;
    for await (const b of batches) {
      const cols = [...b.keyColumns, ...b.setColumns];
      const encode = copyRowEncoder(typesOf(table, cols));
      if (created === null) {
        // Same column types as the target: the temp table is created from it, so no type spelling is needed.
        await s.query(
          `CREATE TEMP TABLE synth_update ON COMMIT DROP AS SELECT ${cols.map((c) => `${qi(c)} AS ${qi(c)}`).join(', ')} FROM ${target} WITH NO DATA`,
        );
        created = cols;
      } else if (created.join('\u0000') !== cols.join('\u0000')) {
        throw new SynthError('LOAD_FAILED', `Update batches for ${table.schema}.${table.name} changed their columns`, {
          table: `${table.schema}.${table.name}`,
        });
      } else {
        await s.query('TRUNCATE synth_update');
      }
      async function* chunk(): AsyncIterable<string> {
        const out = copyText(encode, b.rows);
        if (out) yield out;
      }
      await s.copyFrom(`COPY synth_update (${cols.map(qi).join(', ')}) FROM STDIN`, chunk());
      const set = b.setColumns.map((c) => `${qi(c)} = u.${qi(c)}`).join(', ');
      const where = b.keyColumns.map((c) => `t.${qi(c)} = u.${qi(c)}`).join(' AND ');
      const res = await s.query<{ n: number }>(
        `WITH upd AS (UPDATE ${target} t SET ${set} FROM synth_update u WHERE ${where} RETURNING 1) SELECT count(*)::int AS n FROM upd`,
      );
      total += res.rows[0]?.n ?? 0;
    }
    return total;
  });
}
