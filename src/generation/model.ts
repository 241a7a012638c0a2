/**
 * The contracts inside the generation stage. Key columns (primary keys, foreign keys, unique columns) are
 * assigned structurally by the key assigner; every other column is an *attribute*, produced by a per-table
 * attribute model (baseline or learned) that may be conditioned on the parent row's attributes.
 */
import type { TableRef } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import type { PiiKind } from './privacy/pii-config.js';
import type { ValueGrid } from './value-grid.js';

/** A uniform sample of a source table, read by the pipeline through the source connector. */
export interface TableSample {
  table: TableRef;
  /** Exact row count of the source table. */
  totalRows: number;
  columns: string[];
  rows: Row[];
  /**
   * Columns the PII scan of this sample found personal (after config overrides), with their kind: their generators
   * draw fresh fakes of that kind (names, emails, phones …) instead of learning the values' shapes.
   */
  piiKinds?: Record<string, PiiKind>;
}

/** Child-count histogram of one foreign key, as the source connector measured it. */
export interface ChildCountHistogram {
  child: TableRef;
  foreignKey: string;
  counts: Array<{ children: number; parents: number }>;
  /** Self-references only, when the sample is not the whole table: the hierarchy walked in the source, level by level. */
  levels?: Array<{ nodes: number; parents: number }>;
  /** Set when `counts` were estimated from a sample of parents (big child tables, pipeline/sample-child-counts.ts). */
  estimate?: { parentsSampled: number; parents: number; meanChildren: number; margin: number };
}

/**
 * Column semantics, decided once from the schema plus a look at the data (SDV's metadata idea). Encoders and
 * models read this, never SQL types.
 */
export type ColumnRole =
  | 'primary-key'
  | 'foreign-key'
  | 'unique'
  | 'numerical'
  | 'categorical'
  | 'datetime'
  | 'boolean'
  | 'text'
  | 'pii'
  | 'constant'
  | 'structured';

export interface ColumnMeta {
  table: TableRef;
  column: string;
  role: ColumnRole;
  /** For pii: what kind (email, person-name, phone, …), set by the PII detector. */
  piiKind?: string;
  /** The grid the sampled values sit on (midnight-only timestamps, 1-decimal doubles): value-grid.ts. Never under privacy. */
  grid?: ValueGrid;
}

/** Deterministic random source: every generator draws from one of these, never from Math.random. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  normal(): number;
  /** A child stream whose sequence depends only on this stream's seed and `label`. */
  fork(label: string): Rng;
}

export interface AttributeModel {
  readonly kind: 'baseline' | 'learned' | 'mst';
  readonly table: TableRef;
  /** Attribute columns this model produces, in this order. */
  readonly columns: string[];
  /** Parent attribute columns expected as context (empty when unconditioned). */
  readonly contextColumns: string[];
  /**
   * Draws `n` rows of attribute values (neutral values, already conformed to the column types).
   * `context[i]` is the parent row of output row i (values in `contextColumns` order), or null.
   */
  sample(n: number, context: Row[] | null, rng: Rng): Row[];
  /** Serializable form: weights, encoders, statistics; never raw source rows. */
  toJSON(): ModelArtifact;
}

export interface ModelArtifact {
  kind: 'baseline' | 'learned' | 'mst';
  table: TableRef;
  version: number;
  [key: string]: unknown;
}

export type { Row, Value };
