import type { DatabaseSchema } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import type { TableSample } from './model.js';

/**
 * The samples the generators are fitted on, where a table copied verbatim (reference data) holds a column of a type
 * synth cannot generate: that column's values are left out of its fit. Its rows are read again from the source and
 * written as they are, so the model never draws the column; without this, the Postgres Pro airlines demo's 95-row
 * airports_data (a `point` column) was copied by the plan yet refused by the fit (UNSUPPORTED_TYPE).
 */
export function samplesForFit(samples: Map<string, TableSample>, schema: DatabaseSchema, copied: ReadonlySet<string>): Map<string, TableSample> {
  let out: Map<string, TableSample> | null = null;
  for (const table of schema.tables) {
    const key = tableKey(table);
    const sample = samples.get(key);
    if (!sample || !copied.has(key)) continue;
    const drop = table.columns.filter((c) => c.type.kind === 'unsupported').map((c) => sample.columns.indexOf(c.name)).filter((i) => i >= 0);
    if (drop.length === 0) continue;
    out ??= new Map(samples);
    out.set(key, { ...sample, rows: sample.rows.map((r) => r.map((v, i) => (drop.includes(i) ? null : v))) });
  }
  return out ?? samples;
}
