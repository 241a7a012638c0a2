/**
 * Introspect + plan: the source's schema (with the configured virtual relations) and the FK-ordered plan, then the
 * type-mapping decisions for the target, all before anything is read or written.
 */
import type { SourceConnector, TargetConnector, TypeMappingNote } from '../connectors/connector.js';
import { unloadableTable } from '../connectors/index.js';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import { type EventSink, silentSink, stage } from '../events.js';
import { buildPlan, type HydrationPlan } from '../graph/plan.js';
import { withRelations } from '../graph/virtual-fks.js';
import type { DatabaseSchema, Dialect } from '../schema/model.js';
import { settleFrameworkTables } from '../generation/framework-tables.js';
import { tableConfig, tableScale } from './table-config.js';

/** Introspects the source and builds the plan; shared by `plan`, `train` and `hydrate`. */
export async function introspectAndPlan(
  source: SourceConnector,
  config: SynthConfig,
  emit: EventSink = silentSink,
): Promise<{ schema: DatabaseSchema; plan: HydrationPlan }> {
  const introspectOptions = config.schemas ? { schemas: config.schemas } : {};
  const introspected = await stage(emit, 'introspect', () => source.introspect(introspectOptions), (s) => `${s.tables.length} tables`);
  if (introspected.tables.length === 0) {
    throw new SynthError('EMPTY_SOURCE', `The source has no tables in ${introspected.schemas.join(', ') || 'any schema'}.`, {
      hint: 'Check `schemas` in the config and that the source URL names the right database.',
      path: 'schemas',
    });
  }
  const schema = withRelations(introspected, config.relations);
  // Migration histories are copied, session tables created empty, unless the config says otherwise (framework-tables.ts).
  settleFrameworkTables(schema, config);
  const plan = await stage(emit, 'plan', async () => buildPlan(schema), (p) => `${p.steps.length} steps, ${p.cycles.length} cycles`);
  return { schema, plan };
}

/** Decides lossy/impossible type mappings before anything is written. */
export function checkTypeMapping(target: TargetConnector, schema: DatabaseSchema, emit: EventSink): TypeMappingNote[] {
  const notes = target.describeMapping(schema);
  const impossible = notes.filter((n) => n.severity === 'impossible');
  if (impossible.length > 0) {
    const first = impossible[0]!;
    throw new SynthError(
      'UNSUPPORTED_TYPE',
      `Cannot map ${impossible.length} column(s) to ${target.dialect}:\n${impossible.map((n) => `  ${n.table}.${n.column}: ${n.from} → ${n.note}`).join('\n')}`,
      { table: first.table, column: first.column, hint: 'Exclude these tables with `schemas`, or hydrate into a target of the same dialect.' },
    );
  }
  for (const n of notes.filter((n) => n.severity === 'lossy')) {
    emit({ type: 'warning', message: `${n.table}.${n.column}: ${n.from} → ${n.to} (${n.note})`, table: n.table, column: n.column });
  }
  return notes;
}

/**
 * Refuses a table whose generated rows one of `targets` could not hold (a MySQL partitioning on an expression synth
 * cannot keep rows inside: connectors/index.ts unloadableTable), before anything is written: the load would fail
 * only after the shadow was made and the tables before it generated. A table the config skips or copies is loaded
 * with none or with the source's own rows, so it passes.
 */
export function checkTargetsCanLoad(schema: DatabaseSchema, config: SynthConfig, targets: Array<{ name: string; dialect: Dialect | 'pglite' }>): void {
  for (const table of schema.tables) {
    if (tableScale(config, table) === 0 || tableConfig(config, table)?.mode === 'copy') continue;
    for (const t of targets) {
      const refusal = unloadableTable(schema, table, t.dialect, `target '${t.name}'`);
      if (refusal) throw refusal;
    }
  }
}
