/**
 * Data model of the quality report: SDV-style metadata plus tables as column lists and row arrays.
 * Everything here is plain JSON so a report can be stored, diffed and rendered later.
 */

/**
 * SDV semantic types. `ordinal` is accepted because SDV metadata uses it; SDMetrics scores it like
 * `categorical` (its own multi-table integration test expects TVComplement on an ordinal column).
 */
export type Sdtype = 'numerical' | 'datetime' | 'categorical' | 'boolean' | 'ordinal' | 'id' | 'text' | 'other';

export interface ColumnMetadata {
  sdtype: Sdtype;
}

export interface TableMetadata {
  primaryKey?: string;
  columns: Record<string, ColumnMetadata>;
}

export interface Relationship {
  parentTable: string;
  parentPrimaryKey: string;
  childTable: string;
  childForeignKey: string;
}

export interface QualityMetadata {
  tables: Record<string, TableMetadata>;
  relationships: Relationship[];
}

/**
 * One cell. Datetimes are ISO-8601 strings (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH[:MM]]`) or epoch
 * milliseconds; numerical cells may be numeric strings (exact decimals from the neutral row values).
 */
export type Cell = number | string | boolean | null;

export interface TableData {
  columns: string[];
  rows: Cell[][];
}

export type QualityData = Record<string, TableData>;

export type PropertyName = 'Column Shapes' | 'Column Pair Trends' | 'Cardinality' | 'Intertable Trends';

/** Scores are `null` where SDMetrics would report NaN (nothing to score, or the metric failed). */
export type Score = number | null;

export interface ColumnShapeDetail {
  table: string;
  column: string;
  metric: 'KSComplement' | 'TVComplement';
  score: Score;
  error?: string;
}

export interface PairTrendFields {
  column1: string;
  column2: string;
  metric: 'CorrelationSimilarity' | 'ContingencySimilarity';
  score: Score;
  realCorrelation: Score;
  syntheticCorrelation: Score;
  /** Cramér's V of the real pair; only computed when an association threshold is set. */
  realAssociation: Score;
  /** Whether the pair counts towards the property score (SDMetrics' "Meets Threshold?"). */
  meetsThreshold: boolean | null;
  error?: string;
}

export interface ColumnPairDetail extends PairTrendFields {
  table: string;
}

export interface IntertableDetail extends PairTrendFields {
  parentTable: string;
  childTable: string;
  foreignKey: string;
}

/** Children per parent as bins (parents without children in the 0 bin), real and synthetic. */
export interface ExactChildCounts {
  real: ReadonlyArray<{ children: number; parents: number }>;
  synthetic: ReadonlyArray<{ children: number; parents: number }>;
}

export interface CardinalityDetail {
  childTable: string;
  parentTable: string;
  foreignKey: string;
  metric: 'CardinalityShapeSimilarity';
  score: Score;
  /** 'all rows': scored on every row's child count (counted by the databases), not on the two samples. */
  counted?: 'all rows';
  error?: string;
}

/** Real vs synthetic distribution of one column, summarised for plots (no raw values). */
export type ColumnDistribution =
  | {
      table: string;
      column: string;
      kind: 'continuous';
      sdtype: 'numerical' | 'datetime';
      /** Bin edges (datetimes as epoch milliseconds), one more than the counts. */
      edges: number[];
      real: number[];
      synthetic: number[];
      realNulls: number;
      syntheticNulls: number;
    }
  | {
      table: string;
      column: string;
      kind: 'discrete';
      sdtype: 'categorical' | 'boolean' | 'ordinal';
      /** Most frequent categories (real data first), each with its share in real and synthetic rows. */
      categories: Array<{ label: string; real: number; synthetic: number }>;
      /** Share of rows in the categories not listed. */
      otherReal: number;
      otherSynthetic: number;
    };

export interface DiagnosticDetail {
  table: string;
  column?: string;
  /** For relationships: `child.fk → parent.pk`. */
  relationship?: string;
  metric: 'KeyUniqueness' | 'BoundaryAdherence' | 'CategoryAdherence' | 'ReferentialIntegrity' | 'NewRowSynthesis';
  score: Score;
  detail?: string;
  /** NewRowSynthesis: synthetic rows checked, and those that match no real row. */
  checkedRows?: number;
  newRows?: number;
  /** NewRowSynthesis: datetimes were compared within this share of their real range (not of their value). */
  datetimeTolerance?: number;
}

export interface DiagnosticsResult {
  /** Mean of the per-metric scores of each group, null when a group has nothing to score. */
  dataValidity: Score;
  relationshipValidity: Score;
  newRowSynthesis: Score;
  details: DiagnosticDetail[];
}

export interface QualityReportResult {
  overall: Score;
  properties: Array<{ name: PropertyName; score: Score }>;
  columnShapes: ColumnShapeDetail[];
  columnPairTrends: ColumnPairDetail[];
  cardinality: CardinalityDetail[];
  intertableTrends: IntertableDetail[];
  distributions: ColumnDistribution[];
  diagnostics: DiagnosticsResult;
  info: {
    tables: number;
    rowsReal: Record<string, number>;
    rowsSynthetic: Record<string, number>;
    realCorrelationThreshold: number;
    realAssociationThreshold: number;
    generationMs: number;
  };
  /** What the scores were measured on (set by measureQuality): a fixed-size sample of each side, not whole tables. */
  sampling?: QualitySampling;
}

/** At most `sampleRows` rows per table and side were scored, out of the table's rows; estimated child counts with their error. */
export interface QualitySampling {
  sampleRows: number;
  tables: Record<string, { real: number; realOf: number; synthetic: number; syntheticOf: number }>;
  /** Child-count histograms estimated from a sample of parents rather than counted over the whole child table. */
  childCounts?: ChildCountEstimateNote[];
}

export interface ChildCountEstimateNote {
  table: string;
  foreignKey: string;
  parentsSampled: number;
  parents: number;
  meanChildren: number;
  /** Half-width of the 95 % confidence interval of meanChildren. */
  margin: number;
  /** Which side was estimated: the source's (sample stage), or the shadow's (quality report). Source when absent. */
  side?: 'real' | 'synthetic';
}

export interface QualityReportOptions {
  /** |Pearson r| of the real pair must exceed this for a numerical pair to count. SDMetrics default 0.5. */
  realCorrelationThreshold?: number;
  /** Cramér's V of the real pair must exceed this for a discrete/mixed pair to count. SDMetrics default 0.3. */
  realAssociationThreshold?: number;
  /** Pearson (SDMetrics' report default) or Spearman. */
  correlationCoefficient?: 'Pearson' | 'Spearman';
  /** NewRowSynthesis relative tolerance for numerical matches (SDMetrics default 0.01). */
  numericalMatchTolerance?: number;
  /** Caps the synthetic rows NewRowSynthesis checks per table (deterministic stride sample). Default 10 000. */
  newRowSynthesisSampleSize?: number;
  /** Skip the diagnostics (they cost an extra pass per table). */
  skipDiagnostics?: boolean;
  /**
   * Children-per-parent histograms over all rows, by `relationshipKey`: Cardinality of those relationships is scored
   * on them rather than on the data sets (which may be samples).
   */
  exactChildCounts?: ReadonlyMap<string, ExactChildCounts>;
  /**
   * By `relationshipKey`: the parent rows the child's rows point at (real and synthetic), read by key. Intertable
   * Trends joins the child to them instead of to the parent's data set, whose own sample would match few children.
   */
  joinParents?: ReadonlyMap<string, { real: TableData; synthetic: TableData }>;
}
