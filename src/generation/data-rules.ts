/**
 * What an application relies on beyond per-column statistics, learned from the source once per training and kept
 * with the models: which tables are copied verbatim (reference data), which `a ≤ b` orders hold on every row, and
 * which fan-outs are exact. Generation enforces them; `synth plan` prints them.
 */
import type { LocationFakeRule } from './privacy/location-fakes.js';
import { describeConditionalNull, type ConditionalNullRule } from './conditional-nulls.js';
import type { DatabaseSchema } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { describeFanOut, fanOutKey, type FanOutRule } from './fan-out.js';
import { describeLookupRule, type LookupRule } from './lookup-rules.js';
import { describeInvariant, type OrderInvariant } from './order-invariants.js';
import { describeAggregate, type AggregateRule } from './parent-aggregates.js';
import { describeParentCopy, type ParentCopyRule } from './parent-copies.js';
import { describeMostlyCopies } from './parent-copies-mostly.js';
import { describeParentRole, type ParentRoleRule } from './parent-roles.js';
import type { CopiedParentCounts, ReferenceDecision } from './reference-tables.js';

export interface DataRules {
  reference: ReferenceDecision[];
  invariants: OrderInvariant[];
  fanOuts: FanOutRule[];
  /** Real children per copied parent row (absent under privacy: the counts describe the children's table). */
  copiedCounts?: CopiedParentCounts[];
  /** Parent sums of their children and bounded child shares, written in the shadow after the load (parent-aggregates.ts). */
  aggregates?: AggregateRule[];
  /** Child columns that repeat their parent's column through a FK, on every row or most (parent-copies.ts, parent-copies-mostly.ts). */
  parentCopies?: ParentCopyRule[];
  /** Parent columns with one value on every row a FK references (parent-roles.ts). */
  parentRoles?: ParentRoleRule[];
  /** Vocabularies and sequence columns (lookup-rules.ts), as the fit decides them; generation reads the key statistics. */
  lookups?: LookupRule[];
  /** Per table, the city/postal columns the PII plan fakes, redrawn from their row's country (location-fakes.ts). */
  locationFakes?: LocationFakeRule[];
  /** Nullable columns NULL exactly when a status says so (conditional-nulls.ts); the status decides them on generated rows. */
  conditionalNulls?: ConditionalNullRule[];
}

export const NO_DATA_RULES: DataRules = { reference: [], invariants: [], fanOuts: [] };

export function fanOutMap(rules: DataRules | undefined): Map<string, FanOutRule> {
  return new Map((rules?.fanOuts ?? []).map((r) => [fanOutKey(r.child, r.foreignKey), r]));
}

/** The `synth plan` section: copied tables, order invariants and exact fan-outs, each with its reason. */
export function formatDataRules(rules: DataRules, schema: DatabaseSchema): string {
  const lines: string[] = [];
  if (rules.reference.length > 0) {
    lines.push('Reference tables (override with tables.<t>.mode: copy | synthesize):');
    for (const d of rules.reference) lines.push(`  ${d.copy ? 'copy      ' : d.framework ? 'empty     ' : 'synthesize'} ${tableKey(d.table)}: ${d.reason}`);
    const frameworks = rules.reference.filter((d) => d.framework !== undefined && d.copy);
    if (frameworks.length > 0) lines.push(`  framework tables copied as is: ${frameworks.map((d) => `${d.table.name} (${d.framework})`).join(', ')}`);
    const emptied = rules.reference.filter((d) => d.framework !== undefined && !d.copy);
    if (emptied.length > 0) lines.push(`  framework secrets created empty: ${emptied.map((d) => `${d.table.name} (${d.framework})`).join(', ')}`);
  }
  if (rules.invariants.length > 0) {
    if (lines.length) lines.push('');
    lines.push('Order invariants (hold on every source row; kept by generating the later column as anchor + gap):');
    for (const inv of rules.invariants) lines.push(`  ${tableKey(inv.table)}: ${describeInvariant(inv)}`);
  }
  if (rules.fanOuts.length > 0) {
    if (lines.length) lines.push('');
    lines.push('Exact fan-outs:');
    for (const r of rules.fanOuts) {
      const child = schema.tables.find((t) => tableKey(t) === tableKey(r.child));
      const fk = child?.foreignKeys.find((f) => f.name === r.foreignKey);
      lines.push(`  ${describeFanOut(r, fk ? fk.references.name : '?')}`);
    }
  }
  if ((rules.aggregates ?? []).length > 0) {
    if (lines.length) lines.push('');
    lines.push('Parent aggregates (hold on every sampled parent; written from the loaded children):');
    for (const r of rules.aggregates ?? []) {
      const fk = schema.tables.find((t) => tableKey(t) === tableKey(r.child))?.foreignKeys.find((f) => f.name === r.foreignKey);
      lines.push(`  ${describeAggregate(r, fk ? fk.references.name : '?')}`);
    }
  }
  const parentOf = (r: ParentCopyRule) => schema.tables.find((t) => tableKey(t) === tableKey(r.table))?.foreignKeys.find((f) => f.name === r.foreignKey)?.references.name ?? '?';
  const exactCopies = (rules.parentCopies ?? []).filter((r) => !r.mostly);
  if (exactCopies.length > 0) {
    if (lines.length) lines.push('');
    lines.push('Copied from the parent (equal on every sampled row; the child takes its generated parent\'s value):');
    for (const r of exactCopies) lines.push(`  ${describeParentCopy(r, parentOf(r))}`);
  }
  const mostly = describeMostlyCopies(rules.parentCopies ?? [], parentOf);
  if (mostly.length > 0) {
    if (lines.length) lines.push('');
    lines.push('Mostly copied from the parent (a row copies with the sampled share, NULLs too; one draw a row for a group; the other rows keep the model\'s values):');
    for (const l of mostly) lines.push(`  ${l}`);
  }
  if ((rules.parentRoles ?? []).length > 0) {
    if (lines.length) lines.push('');
    lines.push('Parent roles (one value on every referenced parent; generated parents with a child take it):');
    for (const r of rules.parentRoles ?? []) lines.push(`  ${describeParentRole(r)}`);
  }
  if ((rules.lookups ?? []).length > 0) {
    if (lines.length) lines.push('');
    lines.push('Looked-up values (text keyed beside a FK, numbers a sequence hands out; decided when the models are fitted):');
    for (const r of rules.lookups ?? []) lines.push(`  ${describeLookupRule(r)}`);
  }
  if ((rules.conditionalNulls ?? []).length > 0) {
    if (lines.length) lines.push('');
    lines.push('Conditional NULLs (agree on every sampled row; the status decides: a column it says is NULL is NULLed, one it says is set gets a value drawn for that column):');
    for (const r of rules.conditionalNulls ?? []) lines.push(`  ${describeConditionalNull(r)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : 'Reference tables, order invariants, exact fan-outs: none found.\n';
}
