/**
 * The dialect-neutral schema model. Every connector's introspector fills it the same way; every later
 * stage (graph, generation, validation, the writers of other dialects) reads only this.
 */

export type Dialect = 'postgres' | 'mysql';

/** Neutral column types. `nativeType` on the column keeps the exact source spelling for same-dialect DDL. */
export type NeutralType =
  | { kind: 'integer'; bytes: 1 | 2 | 3 | 4 | 8; unsigned: boolean }
  | { kind: 'decimal'; precision: number | null; scale: number | null }
  | { kind: 'float'; bytes: 4 | 8 }
  | { kind: 'boolean' }
  | { kind: 'text'; maxLength: number | null; fixedLength: boolean }
  | { kind: 'binary'; maxLength: number | null }
  | { kind: 'date' }
  | { kind: 'time'; withTimeZone: boolean }
  | { kind: 'timestamp'; withTimeZone: boolean }
  | { kind: 'interval' }
  | { kind: 'year' }
  | { kind: 'uuid' }
  /** `structured`: a PostgreSQL composite or range type, carried as a JSON object (see `StructuredType`). */
  | { kind: 'json'; binary: boolean; structured?: StructuredType }
  /** `name` is the PostgreSQL type name (schema-qualified) when the enum is a named type. */
  | { kind: 'enum'; values: string[]; name: string | null }
  | { kind: 'set'; values: string[] }
  | { kind: 'array'; element: NeutralType; dimensions: number }
  | { kind: 'bit'; length: number | null; varying: boolean }
  | { kind: 'network'; family: 'inet' | 'cidr' | 'macaddr' }
  | { kind: 'tsvector' }
  | { kind: 'geometry'; subtype: string | null }
  | { kind: 'money' }
  | { kind: 'xml' }
  /** A type synth does not know how to generate; generation refuses it with a clear error. */
  | { kind: 'unsupported'; reason: string };

export type TypeKind = NeutralType['kind'];

/**
 * A PostgreSQL composite type (value: an object keyed by attribute name) or range type (value: `{ lower, upper,
 * bounds }` with bounds like `[)`, or the string `empty`). Same-dialect targets store the type itself; other
 * dialects store the JSON object.
 */
export type StructuredType =
  | { form: 'composite'; name: string; attributes: Array<{ name: string; type: NeutralType }> }
  | { form: 'range'; name: string; subtype: NeutralType };

export interface Column {
  name: string;
  type: NeutralType;
  /** Exact type as the source spells it, e.g. `character varying(40)`, `numeric(10,2)`, `public.mood`, `int(10) unsigned`. */
  nativeType: string;
  nullable: boolean;
  /**
   * Default expression in the source dialect's SQL, or null. PostgreSQL keeps `nextval(…)` of any sequence (the
   * sequence is an `OtherObject`); `autoIncrement` still says the column is a database-assigned key.
   */
  default: string | null;
  /** Database-assigned key: serial/identity (PostgreSQL) or AUTO_INCREMENT (MySQL). */
  autoIncrement: 'identity-always' | 'identity-default' | 'serial' | 'auto_increment' | null;
  /** Computed column: never written, the database computes it. Expression in the source dialect. */
  generated: { expression: string; stored: boolean } | null;
  /** Domain the column was declared with (PostgreSQL), schema-qualified. Its CHECKs are in `Table.checks`. */
  domain: string | null;
  /** Where not the type's default. PostgreSQL: as SQL, schema-qualified outside pg_catalog (`"C"`, `public.ci`). */
  collation: string | null;
  comment: string | null;
}

export interface TableRef {
  /** PostgreSQL schema, or MySQL database name. */
  schema: string;
  name: string;
}

export interface KeyConstraint {
  name: string;
  columns: string[];
}

export interface UniqueConstraint extends KeyConstraint {
  /** `constraint` = declared UNIQUE; `index` = a unique index (possibly partial, see `predicate`). */
  origin: 'constraint' | 'index';
  /** WHERE clause of a partial unique index (source dialect SQL), else null. */
  predicate: string | null;
  /** Whether NULLs count as distinct (PostgreSQL 15 `NULLS NOT DISTINCT` makes this false). */
  nullsDistinct: boolean;
}

export type ReferentialAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface ForeignKey {
  name: string;
  columns: string[];
  references: TableRef & { columns: string[] };
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
  deferrable: boolean;
  /** A deferrable FK checked at commit unless a transaction says otherwise (PostgreSQL `INITIALLY DEFERRED`). */
  initiallyDeferred?: boolean;
  /** PostgreSQL `NOT VALID`: declared without checking the rows already there. */
  notValid?: boolean;
  /**
   * PostgreSQL: the FK is declared on this one partition of the table, not on the table. Generation treats it as
   * the table's FK (every row references a parent, which satisfies the partition's rule); DDL declares it on the partition.
   */
  onPartition?: TableRef;
  /**
   * Declared in the config's `relations`, not in the database: generated and validated like any FK, but never
   * created in the target, whose schema stays the source's (graph/virtual-fks.ts).
   */
  virtual?: boolean;
}

export interface CheckConstraint {
  name: string;
  /** Boolean expression in the source dialect, without the CHECK keyword. */
  expression: string;
  /** Columns the expression mentions (best effort; empty when unknown). */
  columns: string[];
  /** `domain` when the check comes from a PostgreSQL domain of `columns[0]`. */
  origin: 'table' | 'domain' | 'column';
  /** PostgreSQL `NOT VALID`: rows from before the constraint are not checked. Generated rows satisfy it all the same. */
  notValid?: boolean;
}

export interface Partitioning {
  /**
   * PostgreSQL `PARTITION BY` clause, e.g. `RANGE (created_at)`. MySQL's is read into the same form (bounds as
   * `FROM (…) TO (…)` / `IN (…)`) for generation to fit values to; its DDL is the clause in `Table.storage`.
   */
  strategy: 'range' | 'list' | 'hash';
  key: string;
  partitions: Array<{ name: string; schema: string; bound: string }>;
}

export interface Table extends TableRef {
  columns: Column[];
  primaryKey: KeyConstraint | null;
  uniques: UniqueConstraint[];
  foreignKeys: ForeignKey[];
  checks: CheckConstraint[];
  /** Non-unique indexes, recreated after load for fidelity. Definition in source dialect SQL. */
  indexes: Array<{ name: string; definition: string }>;
  partitioning: Partitioning | null;
  comment: string | null;
  /**
   * MySQL table options as SHOW CREATE TABLE spells them (`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=…`), or
   * PostgreSQL storage parameters (`WITH (fillfactor=70)`), for same-dialect DDL.
   */
  storage?: string | null;
  /** Source row count estimate at introspection time (exact counts are taken by the reader). */
  estimatedRows: number;
}

export interface EnumType {
  schema: string;
  name: string;
  values: string[];
}

/** Objects in the schema that synth does not generate; reported so the swap can say what happens to them. */
export interface OtherObject {
  schema: string;
  name: string;
  kind:
    | 'view' | 'materialized view' | 'function' | 'procedure' | 'trigger' | 'sequence' | 'domain' | 'type' | 'event'
    // PostgreSQL objects recreated so the target is a drop-in copy of the source schema (issue 13).
    | 'aggregate' | 'operator' | 'cast' | 'composite type' | 'range type' | 'extension' | 'policy' | 'row security'
    /** An index on a materialized view (table indexes are on `Table.indexes`). */
    | 'index'
    /** PostgreSQL rewrite rules (other than a view's own) and extended statistics objects. */
    | 'rule' | 'statistics'
    /** PostgreSQL user collations and text-search parsers, templates, dictionaries and configurations, created before the tables. */
    | 'collation' | 'text search parser' | 'text search template' | 'text search dictionary' | 'text search configuration'
    /** A COMMENT ON an object other than a table or column (those are `Table.comment` / `Column.comment`). */
    | 'comment';
  /** DDL to recreate it in another schema of the same dialect, where the introspector could produce it. */
  definition: string | null;
  /** For triggers, policies, row security and matview indexes: the table (or materialized view) it belongs to. */
  table?: string;
  /** For extensions: `schema.name` of the extension's own types, functions and operators, which stay where it is installed. */
  members?: string[];
}

export interface DatabaseSchema {
  dialect: Dialect;
  /** Server version string, e.g. `15.20` or `10.11.19-MariaDB`. */
  serverVersion: string;
  /** Schemas (PostgreSQL) or databases (MySQL) that were introspected. */
  schemas: string[];
  /**
   * The schema unqualified names resolve to at the source (MySQL: the URL's database), when the introspector knows
   * it. Tables there are seeded under a fixed name (generation/seed-scope.ts), so the output does not depend on it.
   */
  defaultSchema?: string;
  tables: Table[];
  enums: EnumType[];
  otherObjects: OtherObject[];
  /**
   * PostgreSQL: objects of schemas that were not introspected (and no extension owns) which the introspected ones use
   * — a function a default calls, a table a view reads. A same-dialect target must already have them.
   */
  requires?: ExternalObject[];
  /**
   * PostgreSQL: the database's own session defaults (`ALTER DATABASE … SET`), database-wide ones (no `role`) carried
   * to the target at the swap and compared by the parity check; one role's in this database (`role`) only reported.
   * Absent where the source cannot have them (MySQL): the target's are then left alone.
   */
  databaseSettings?: DatabaseSetting[];
}

export interface DatabaseSetting {
  name: string;
  /** As the server stores it (`bookings, public`). */
  value: string;
  role?: string;
}

export interface ExternalObject {
  /** What PostgreSQL calls it: `function`, `table`, `view`, `type`, `operator`, … */
  type: string;
  /** Its schema-qualified identity, e.g. `lib.next_code(integer)`. */
  identity: string;
  schema: string;
  /** An object of the copied schemas that uses it, for the error message. */
  usedBy: string;
}

export function tableKey(t: TableRef): string {
  return `${t.schema}.${t.name}`;
}

export function findTable(schema: DatabaseSchema, ref: TableRef): Table | undefined {
  return schema.tables.find((t) => t.schema === ref.schema && t.name === ref.name);
}

export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/** Columns that are written by synth (generated columns are computed by the database). */
export function writableColumns(table: Table): Column[] {
  return table.columns.filter((c) => c.generated === null);
}

/**
 * The longest prefix of `name` within `bytes` UTF-8 bytes, cut at a character boundary: what a server with an
 * identifier byte limit (PostgreSQL: 63) silently stores.
 */
export function truncateIdentifier(name: string, bytes: number): string {
  if (Buffer.byteLength(name) <= bytes) return name;
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch) > bytes) break;
    out += ch;
  }
  return out;
}
