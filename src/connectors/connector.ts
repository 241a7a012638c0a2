/**
 * The contract every dialect folder fills. A dialect = one folder with files named `<dialect>-<role>.ts`
 * (introspect, read, write, shadow/swap, validate-in-SQL) and an `index.ts` exporting `open<Dialect>Source`
 * and `open<Dialect>Target`. Nothing outside a dialect folder writes SQL of that dialect.
 */
import type { CheckConstraint, DatabaseSchema, Dialect, ForeignKey, Table, TableRef } from '../schema/model.js';
import type { Row, RowBatch } from '../schema/values.js';
import type { AggregateWriter } from './aggregate-writes.js';

/** Read-only access to the source database. Implementations open read-only sessions and never write. */
export interface SourceConnector {
  readonly dialect: Dialect;
  /** The URL with its password removed, for logs. */
  readonly displayUrl: string;
  introspect(options?: { schemas?: string[] }): Promise<DatabaseSchema>;
  /** Exact row count. */
  countRows(table: TableRef): Promise<number>;
  /**
   * Streams rows as neutral values (see schema/values.ts), `columns` in that order. With `limit`, returns a
   * uniform random sample of about that many rows (deterministic for a given `seed` where the dialect allows).
   */
  readRows(table: Table, options: ReadOptions): AsyncIterable<RowBatch>;
  /**
   * How many children the parents of `foreignKey` have: `[{ children: k, parents: n }]` including k = 0
   * (parents no child row references). Computed in the database so huge tables are never pulled over.
   */
  childCountHistogram(child: Table, foreignKey: ForeignKey): Promise<Array<{ children: number; parents: number }>>;
  /**
   * Optional. For a self-referencing FK: rows per depth of the hierarchy, walked from the roots in the database, and
   * how many rows of each depth have children. Null when it cannot be walked (e.g. a multi-column FK).
   */
  hierarchyLevels?(table: Table, foreignKey: ForeignKey): Promise<Array<{ nodes: number; parents: number }> | null>;
  /**
   * The rows of `table` whose `keyColumns` equal one of `keys` (values in `keyColumns` order; a key holding a NULL
   * matches nothing), `columns` in that order, in no particular order. Reads the actual parents of sampled child
   * rows, so a learned child model trains with its real parent as context. Optional: callers fall back without it.
   */
  readRowsByKeys?(table: Table, columns: string[], keyColumns: string[], keys: Row[]): AsyncIterable<RowBatch>;
  /**
   * How many `child` rows reference each of `keys` through `foreignKey` (keys in `foreignKey.references.columns`
   * order), aligned with `keys`. Computed in the database. Optional: callers fall back without it.
   */
  countChildrenByKeys?(child: Table, foreignKey: ForeignKey, keys: Row[]): Promise<number[]>;
  /** Identifies the physical database (server + database name), to refuse hydrating a source into itself. */
  identity(): Promise<string>;
  /** A checksum of every row of a table, order-independent, for "the source is unchanged" checks. */
  checksum(table: TableRef): Promise<string>;
  close(): Promise<void>;
}

export interface ReadOptions {
  columns: string[];
  limit?: number;
  seed?: number;
  batchSize?: number;
  /**
   * The table's exact row count when the caller has it: a `limit` far below it lets the connector read only a
   * slice of the table (TABLESAMPLE, key ranges) instead of ordering every row. Without it the catalog estimate is used.
   */
  totalRows?: number;
  /**
   * With `limit`: a sample that depends on the rows alone, not on where they lie (a table loaded by parallel workers
   * lies differently on every run): a big table is read as seeded ranges of its primary key, else sorted whole by a
   * seeded hash (PostgreSQL: up to 1 M rows; a bigger one is still sampled by page). The quality report's reads; the sample stage's keep theirs (the same training
   * samples, so the same generated rows).
   */
  sampleByKey?: boolean;
}

/** One deferred write: fill `setColumns` of the rows whose `keyColumns` match (cycle edges loaded as NULL first). */
export interface UpdateBatch {
  keyColumns: string[];
  setColumns: string[];
  /** Each row: key values, then set values. */
  rows: Row[];
}

/** An integrity question the validation stage asks; the connector answers it in its own SQL. */
export type IntegrityCheck =
  | { kind: 'orphan'; table: TableRef; foreignKey: ForeignKey }
  | { kind: 'duplicate'; table: TableRef; columns: string[]; constraint: string; nullsDistinct: boolean }
  | { kind: 'not-null'; table: TableRef; column: string }
  | { kind: 'check'; table: TableRef; constraint: string; expression: string; dialect: Dialect };

export interface IntegrityCount {
  check: IntegrityCheck;
  violations: number;
  /** Set when the check could not be evaluated (e.g. a CHECK expression in another dialect's SQL). */
  skipped?: string;
  /**
   * Set when a big table was spot-checked on this many rows instead of in full, because a constraint that finalize
   * adds (unique index, foreign key) verifies every row before the swap anyway.
   */
  sampled?: number;
  /** Set when the unique index the connector built before the gate (buildKeys) verified every row: no count was run. */
  byIndex?: boolean;
  /** The table's row count, where the count read every row of it anyway: the gate then counts that table no more. */
  rows?: number;
}

/** A shadow copy of the target's live namespace, created per run. */
export interface Shadow {
  runId: string;
  /** Live namespace (PostgreSQL schema / MySQL database) → its shadow namespace. */
  namespaces: Array<{ live: string; shadow: string }>;
}

/** One leftover shadow namespace. `live` and `createdAt` are set where the connector can tell. */
export interface ShadowListing {
  runId: string;
  namespace: string;
  /** The live namespace it shadows. */
  live?: string;
  /** When the shadow was created (null: unknown). */
  createdAt?: Date | null;
}

export interface SwapResult {
  /** Live namespace → the backup namespace holding the previous live tables. */
  backups: Array<{ live: string; backup: string }>;
  /** What happened to objects other than tables (views, functions, triggers), one line each. */
  notes: string[];
}

/**
 * Done-markers of scale-out units, in a small table of the shadow: a unit's rows and its marker commit in one
 * transaction, so a worker that dies after the commit leaves a marker its retry finds, and two workers loading the
 * same unit cannot both commit (the marker's key refuses the second).
 */
export interface UnitMarkers {
  /** Creates the markers' table in the shadow (once per run, before any unit). */
  create(shadow: Shadow): Promise<void>;
  /** Loads `batches` like `load`, and records `id` with the note `note(rows)` in the same transaction. */
  load(shadow: Shadow, table: Table, batches: AsyncIterable<RowBatch>, marker: { id: string; note: (rows: number) => string }, progress?: LoadProgress): Promise<number>;
  /** The note of a committed unit, or null. */
  get(shadow: Shadow, id: string): Promise<string | null>;
  /** Drops the markers' table, so it never reaches validation, parity or the swap. */
  drop(shadow: Shadow): Promise<void>;
}

/**
 * Per run, what a target's `buildKeys` did before the gate: the tables whose keys it built (each unique index then
 * verified every row) and those whose build the server refused (their keys are counted in full).
 */
export interface KeyState {
  built: Set<string>;
  refused: Set<string>;
}

/** How a load shares its table. */
export interface LoadOptions {
  /** Other loads write the same table at the same time (the windows of a split table). */
  concurrent?: boolean;
}

export interface LoadProgress {
  (rowsLoaded: number): void;
}

/**
 * Where source namespaces land: a PostgreSQL target keeps PostgreSQL source schema names and puts a MySQL
 * source's tables in `public` (or the URL's `?schema=`); a MySQL target puts everything in the URL's database.
 * `Table.schema` in the model always stays the source's name; only the connector maps it.
 */
export interface TargetConnector {
  readonly dialect: Dialect;
  readonly displayUrl: string;
  identity(): Promise<string>;
  /**
   * Creates the shadow namespace(s) and every table of `schema` in them with columns and NOT NULL only;
   * keys, uniques, checks, foreign keys, indexes and triggers come in `finalize`, after the data.
   * `schema` may come from another dialect: the connector maps types and reports lossy mappings first via `describeMapping`.
   */
  createShadow(runId: string, schema: DatabaseSchema): Promise<Shadow>;
  /** Bulk-loads a stream of batches into a shadow table (COPY / LOAD DATA). Returns rows written. */
  load(shadow: Shadow, table: Table, batches: AsyncIterable<RowBatch>, progress?: LoadProgress, options?: LoadOptions): Promise<number>;
  /** Applies deferred updates (cycle edges first loaded as NULL). Returns rows updated. */
  update(shadow: Shadow, table: Table, batches: AsyncIterable<UpdateBatch>): Promise<number>;
  /** Scale-out (docs/scale-out.md): a unit's rows and its done-marker commit together. Absent: markers in Redis only. */
  unitMarkers?: UnitMarkers;
  /** Answers integrity questions against the shadow. */
  countViolations(shadow: Shadow, checks: IntegrityCheck[]): Promise<IntegrityCount[]>;
  /**
   * Repairs rows of a shadow table that violate `check` by resampling: each violating row takes the values of
   * `columns` from a row of the same table that satisfies the check (chosen deterministically), so repaired rows
   * follow the generated joint distribution of those columns. Only non-key columns are passed. Returns rows changed.
   */
  repairCheck(shadow: Shadow, table: Table, check: CheckConstraint, columns: string[]): Promise<number>;
  /** Parent sums and bounded child shares written from the loaded rows (pipeline/derive-aggregates.ts). Absent: not kept. */
  aggregates?: AggregateWriter;
  /**
   * Builds the shadow's primary keys, unique keys and indexes before the validation gate (finalize adds the rest and
   * skips these): building a unique index checks every row for duplicates, and the gate's orphan counts and the
   * quality report's samples and child counts then ride on the indexes. A table whose build is refused (a duplicate)
   * stays unindexed and the gate counts it in full; the returned notes say which. Absent: finalize builds them.
   */
  buildKeys?(shadow: Shadow, schema: DatabaseSchema): Promise<string[]>;
  /** Adds keys, uniques, checks, foreign keys, indexes, triggers; resets sequences/AUTO_INCREMENT to max+1. */
  finalize(shadow: Shadow, schema: DatabaseSchema): Promise<void>;
  /**
   * Reads the shadow's schema back with this dialect's introspector (after finalize), for the schema parity check.
   * Names stay the shadow's; `Shadow.namespaces` maps them back.
   */
  introspectShadow(shadow: Shadow): Promise<DatabaseSchema>;
  /** Atomically makes the shadow live; the previous live tables become the (single, latest) backup. */
  swap(shadow: Shadow, schema: DatabaseSchema): Promise<SwapResult>;
  /** Swaps the backup back in (atomically). Throws NOTHING_TO_ROLLBACK when there is no backup. */
  rollback(): Promise<SwapResult>;
  dropShadow(shadow: Shadow): Promise<void>;
  /** Shadows left by earlier runs (crashed or refused), for cleanup. */
  listShadows(): Promise<ShadowListing[]>;
  /** Row count of a table in the shadow, or live when `shadow` is null. */
  countRows(shadow: Shadow | null, table: TableRef): Promise<number>;
  /** Reads rows back (for the quality report), with the same contract as SourceConnector.readRows. */
  readRows(shadow: Shadow | null, table: Table, options: ReadOptions): AsyncIterable<RowBatch>;
  /** SourceConnector.childCountHistogram on the shadow (or live): the quality report's Cardinality over all rows. */
  childCountHistogram?(shadow: Shadow | null, child: Table, foreignKey: ForeignKey): Promise<Array<{ children: number; parents: number }>>;
  /** SourceConnector.countChildrenByKeys on the shadow (or live): the report's child counts of a parent sample. */
  countChildrenByKeys?(shadow: Shadow | null, child: Table, foreignKey: ForeignKey, keys: Row[]): Promise<number[]>;
  /** SourceConnector.readRowsByKeys on the shadow (or live): the parents of a child sample, for the quality report. */
  readRowsByKeys?(shadow: Shadow | null, table: Table, columns: string[], keyColumns: string[], keys: Row[]): AsyncIterable<RowBatch>;
  /** Lossy/impossible type mappings for this target, decided before anything is written. */
  describeMapping(schema: DatabaseSchema): TypeMappingNote[];
  close(): Promise<void>;
}

export interface TypeMappingNote {
  table: string;
  column: string;
  from: string;
  to: string;
  severity: 'info' | 'lossy' | 'impossible';
  note: string;
}
