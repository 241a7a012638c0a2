/** Human-readable rendering of a hydration plan, for `synth plan`. */
import type { DatabaseSchema } from '../schema/model.js';
import { findTable, tableKey } from '../schema/model.js';
import type { HydrationPlan } from './plan.js';
import { formatDataRules, type DataRules } from '../generation/data-rules.js';
import { formatRowCountErrors } from '../generation/privacy/dp-row-counts.js';
import type { PrivacyPlan } from '../generation/privacy/privacy-plan.js';

/**
 * With `rules` (read from the data), also the copied reference tables, order invariants and exact fan-outs; with
 * `privacy`, each table's expected row-count error at the configured ε (small tables flagged).
 */
export function formatPlan(plan: HydrationPlan, schema: DatabaseSchema, rules?: DataRules, privacy?: PrivacyPlan | null): string {
  const lines: string[] = [];
  const width = String(plan.steps.length).length;
  lines.push(`Hydration plan: ${plan.steps.length} tables, ${plan.cycles.length} cycle(s), ${plan.deferred.length} deferred FK(s)`);
  lines.push('');
  for (const s of plan.steps) {
    const table = findTable(schema, s.table);
    const head = `${String(s.step).padStart(width)}. ${tableKey(s.table)}  [level ${s.level}]`;
    lines.push(head);
    const pad = ' '.repeat(width + 2);
    const parents: string[] = [];
    for (const fk of table?.foreignKeys ?? []) {
      if (s.selfReferences.includes(fk.name)) continue;
      const d = s.deferred.find((x) => x.foreignKey === fk.name);
      const mark = fk.name === s.primaryParent ? ' (primary parent)' : d ? ` (deferred: ${d.strategy})` : '';
      parents.push(`${tableKey(fk.references)} via ${fk.name}(${fk.columns.join(', ')})${fk.virtual ? ' [virtual: from `relations`, no constraint]' : ''}${mark}`);
    }
    lines.push(`${pad}parents: ${parents.length ? parents.join('; ') : 'none'}`);
    const rowDeps = (table?.foreignKeys ?? [])
      .filter((fk) => !s.selfReferences.includes(fk.name) && !s.deferred.some((d) => d.foreignKey === fk.name))
      .map((fk) => tableKey(fk.references));
    if (rowDeps.length) lines.push(`${pad}rows need: ${[...new Set(rowDeps)].join(', ')} loaded first`);
    for (const name of s.selfReferences) {
      const fk = table?.foreignKeys.find((f) => f.name === name);
      lines.push(`${pad}self-reference: ${name}(${fk?.columns.join(', ') ?? ''}) → earlier rows of the same table (forest, no cycles)`);
    }
    for (const d of s.deferred) lines.push(`${pad}deferred ${d.foreignKey}: ${d.strategy}: ${d.reason}`);
  }
  if (plan.cycles.length) {
    lines.push('');
    lines.push('Cycles:');
    plan.cycles.forEach((c, i) => {
      const keys = new Set(c.map(tableKey));
      const breaks = plan.deferred.filter((d) => keys.has(tableKey(d.table)));
      const how = breaks.map((d) => `${tableKey(d.table)}.${d.foreignKey} (${d.strategy})`).join(', ');
      lines.push(`  ${i + 1}. ${c.map(tableKey).join(' ↔ ')}: broken at ${how || 'nothing'}`);
    });
  }
  if (schema.databaseSettings) {
    lines.push('');
    lines.push(...formatDatabaseSettings(schema.databaseSettings));
  }
  if (rules) {
    lines.push('');
    lines.push(formatDataRules(rules, schema).trimEnd());
  }
  if (privacy) {
    lines.push('');
    if (privacy.refused) lines.push(`Privacy (ε=${privacy.epsilon}): the run would be refused: ${privacy.refused.message}`);
    else lines.push(formatRowCountErrors(privacy.rowCounts, privacy.epsilon));
    if (!privacy.refused && privacy.mst?.length) {
      lines.push(`Attribute models under privacy (privacy.mst: 'auto'):`);
      for (const m of privacy.mst) lines.push(`  ${m.table}: ${m.reason}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The source database's own settings (`ALTER DATABASE … SET`): what a PostgreSQL target gets at the swap, and what not. */
function formatDatabaseSettings(settings: NonNullable<DatabaseSchema['databaseSettings']>): string[] {
  const wide = settings.filter((d) => d.role === undefined);
  const perRole = settings.filter((d) => d.role !== undefined);
  const lines = wide.length === 0
    ? ['Database settings: none; a PostgreSQL target\'s own (ALTER DATABASE … SET) are removed at the swap.']
    : [
      'Database settings (ALTER DATABASE … SET), set on a PostgreSQL target at the swap; the target\'s own other settings are removed (another dialect\'s target drops them):',
      ...wide.map((d) => `  ${d.name} = ${d.value}`),
    ];
  if (perRole.length > 0) {
    lines.push('Not carried (set for one role in this database; roles are the server\'s, not the database\'s):');
    for (const d of perRole) lines.push(`  role ${d.role}: ${d.name} = ${d.value}`);
  }
  return lines;
}
