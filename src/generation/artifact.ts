/** JSON form of a fitted ModelSet, for `synth train` to store and `synth hydrate --model` to reload. */
import { SynthError } from '../errors.js';
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { findTable, tableKey } from '../schema/model.js';
import { baselineFromArtifact } from './baseline/baseline-model.js';
import type { ModelSet, TableModel } from './fit.js';
import { mstFromArtifact } from './privacy/dp-mst-model.js';
import type { TableKeyStats } from './keys/index.js';
import type { DataRules } from './data-rules.js';
import type { AttributeModel, ChildCountHistogram, ColumnMeta, ModelArtifact } from './model.js';
import { applyColumnGrids } from './value-grid.js';

export const MODEL_SET_VERSION = 1;

export interface ModelSetArtifact {
  format: 'synth-models';
  version: number;
  seed: number;
  tables: Array<{
    table: TableRef;
    meta: ColumnMeta[];
    model: ModelArtifact;
    sourceRows: number;
    histograms: ChildCountHistogram[];
    keyStats: TableKeyStats;
    fkNullRates: Record<string, number>;
  }>;
  rules?: DataRules;
}

export function modelSetToArtifact(set: ModelSet): ModelSetArtifact {
  return {
    format: 'synth-models',
    version: MODEL_SET_VERSION,
    seed: set.seed,
    tables: [...set.tables.values()].map((t) => ({
      table: t.table,
      meta: t.meta,
      model: t.model.toJSON(),
      sourceRows: t.sourceRows,
      histograms: t.histograms,
      keyStats: t.keyStats,
      fkNullRates: t.fkNullRates,
    })),
    ...(set.rules ? { rules: set.rules } : {}),
  };
}

export interface FromArtifactOptions {
  /** Rebuilds a learned model from its artifact (the learned-model module provides it). */
  learnedFromArtifact?: (artifact: ModelArtifact, table: Table) => AttributeModel;
}

export function modelSetFromArtifact(json: unknown, schema: DatabaseSchema, options: FromArtifactOptions = {}): ModelSet {
  const a = json as Partial<ModelSetArtifact> | null;
  if (!a || a.format !== 'synth-models' || a.version !== MODEL_SET_VERSION || !Array.isArray(a.tables)) {
    throw new SynthError('MODEL_NOT_FOUND', 'The stored models are not a synth model set of a version this synth reads.', {
      hint: 'Run `synth train` again to rebuild the models.',
    });
  }
  const tables = new Map<string, TableModel>();
  for (const t of a.tables) {
    const table = findTable(schema, t.table);
    if (!table) {
      throw new SynthError('MODEL_NOT_FOUND', `The stored models include ${tableKey(t.table)}, which the schema no longer has.`, {
        table: tableKey(t.table),
        hint: 'The schema changed since training: run `synth train` again.',
      });
    }
    let model: AttributeModel;
    if (t.model.kind === 'learned') {
      if (!options.learnedFromArtifact) {
        throw new SynthError('MODEL_NOT_FOUND', `${tableKey(t.table)} has a learned model, but no learned-model loader was given.`, {
          table: tableKey(t.table),
          hint: 'Load the model set with the learned-model module available, or retrain with the baseline model.',
        });
      }
      model = options.learnedFromArtifact(t.model, table);
    } else if (t.model.kind === 'mst') {
      model = mstFromArtifact(t.model, table);
    } else {
      model = baselineFromArtifact(t.model, table);
    }
    tables.set(tableKey(t.table), {
      table: t.table,
      meta: t.meta,
      // The grids travel in the metadata, not in the model's own artifact.
      model: applyColumnGrids(model, table, t.meta),
      sourceRows: t.sourceRows,
      histograms: t.histograms,
      keyStats: t.keyStats,
      fkNullRates: t.fkNullRates,
    });
  }
  return { seed: typeof a.seed === 'number' ? a.seed : 0, tables, ...(a.rules ? { rules: a.rules } : {}) };
}
