import type { SynthConfig } from '../config/schema.js';
import type { TableRef } from '../schema/model.js';

/** A table's own settings (`tables` in the config), under `schema.table` or, failing that, its bare name. */
export function tableConfig(config: SynthConfig, t: TableRef): SynthConfig['tables'][string] | undefined {
  return config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name];
}

/** A table's share of the run's `scale`: its own `scale` (default 1), 0 for a table the config skips. */
export function tableScale(config: SynthConfig, t: TableRef): number {
  const tc = tableConfig(config, t);
  return tc?.skip ? 0 : (tc?.scale ?? 1);
}
