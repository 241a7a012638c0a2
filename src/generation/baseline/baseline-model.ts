/**
 * The baseline attribute model: independent per-column marginals learned from the sample. It ignores parent
 * context (correlations are the learned model's job) but reproduces each column's distribution and null rate.
 */
import { SynthError } from '../../errors.js';
import type { Column, Table, TableRef } from '../../schema/model.js';
import { findColumn } from '../../schema/model.js';
import type { Row, Value } from '../../schema/values.js';
import type { AttributeModel, ColumnMeta, ModelArtifact, Rng, TableSample } from '../model.js';
import { conformValue } from '../conform.js';
import { attributeColumns, columnValues } from '../metadata.js';
import { columnDrawer, fitColumnSpec, type ColumnModelSpec } from './column-spec.js';

export const BASELINE_VERSION = 1;

export interface BaselineArtifact extends ModelArtifact {
  kind: 'baseline';
  columns: ColumnModelSpec[];
}

export class BaselineModel implements AttributeModel {
  readonly kind = 'baseline' as const;
  readonly table: TableRef;
  readonly columns: string[];
  readonly contextColumns: string[] = [];
  private readonly cols: Column[];
  /** Per column, a conformed value drawn from its spec (columnDrawer). */
  private readonly draws: Array<(rng: Rng) => Value>;

  constructor(
    table: Table,
    private readonly specs: ColumnModelSpec[],
  ) {
    this.table = { schema: table.schema, name: table.name };
    this.columns = specs.map((s) => s.column);
    this.cols = specs.map((s) => {
      const c = findColumn(table, s.column);
      if (!c) {
        throw new SynthError('MODEL_NOT_FOUND', `Model of ${table.schema}.${table.name} names column ${s.column}, which the schema does not have.`, {
          table: `${table.schema}.${table.name}`,
          column: s.column,
          hint: 'The schema changed since the model was trained: run `synth train` again.',
        });
      }
      return c;
    });
    this.draws = specs.map((s, j) => columnDrawer(s.spec, this.cols[j]!));
  }

  sample(n: number, _context: Row[] | null, rng: Rng): Row[] {
    const perColumn = this.specs.map((s) => rng.fork(s.column));
    const width = this.specs.length;
    const nullRates = this.specs.map((s) => s.nullRate);
    const rows: Row[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const row: Row = new Array(width);
      for (let j = 0; j < width; j++) {
        const r = perColumn[j]!;
        const nullRate = nullRates[j]!;
        row[j] = nullRate > 0 && r.next() < nullRate ? conformValue(null, this.cols[j]!) : this.draws[j]!(r);
      }
      rows[i] = row;
    }
    return rows;
  }

  toJSON(): BaselineArtifact {
    return { kind: 'baseline', table: this.table, version: BASELINE_VERSION, columns: this.specs };
  }
}

export function fitBaseline(table: Table, sample: TableSample, meta: ColumnMeta[]): BaselineModel {
  const name = `${table.schema}.${table.name}`;
  const specs = attributeColumns(table).map((c) => {
    const role = meta.find((m) => m.column === c.name)?.role ?? 'text';
    return fitColumnSpec(name, c, role, columnValues(sample, c.name), sample.piiKinds?.[c.name]);
  });
  return new BaselineModel(table, specs);
}

export function baselineFromArtifact(artifact: ModelArtifact, table: Table): BaselineModel {
  if (artifact.kind !== 'baseline' || artifact.version !== BASELINE_VERSION || !Array.isArray(artifact.columns)) {
    throw new SynthError('MODEL_NOT_FOUND', `The stored model of ${table.schema}.${table.name} is not a baseline model of version ${BASELINE_VERSION}.`, {
      table: `${table.schema}.${table.name}`,
      hint: 'Run `synth train` again to rebuild the models.',
    });
  }
  return new BaselineModel(table, artifact.columns as ColumnModelSpec[]);
}
