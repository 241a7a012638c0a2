/**
 * PostgreSQL partitionings generation cannot keep its rows inside. Generation fits a single-column RANGE or LIST key
 * to the bounds (generation/partition-fit.ts); a key of several columns or an expression (`RANGE (a, b)`,
 * `LIST (lower(region))`) is left alone, and without a catch-all partition the first generated row outside every
 * bound fails the whole COPY ("no partition of relation found for row"), after the shadow was made and the tables
 * before it generated. The plan refuses such a table instead (pipeline/introspect-plan.ts checkTargetsCanLoad), and
 * the load's error, should one slip through, names the same fixes.
 */
import { SynthError } from '../../errors.js';
import { singleKeyColumn } from '../../generation/partition-fit.js';
import type { Table } from '../../schema/model.js';

/** `FROM (MINVALUE, MINVALUE) TO (MAXVALUE, MAXVALUE)`: a RANGE partition every key falls in. */
function wholeRange(bound: string): boolean {
  const m = /^\s*FOR\s+VALUES\s+FROM\s*\(([^)]*)\)\s*TO\s*\(([^)]*)\)\s*$/i.exec(bound);
  const all = (list: string, word: string) => list.split(',').every((v) => v.trim().toUpperCase() === word);
  return m !== null && all(m[1]!, 'MINVALUE') && all(m[2]!, 'MAXVALUE');
}

/**
 * Whether generated rows of `table` may fit none of its partitions: a RANGE or LIST whose key is not one column, with
 * no DEFAULT partition (and, for RANGE, none from MINVALUE to MAXVALUE). HASH takes every row.
 */
export function unfittedPgPartitioning(table: Table): boolean {
  const p = table.partitioning;
  if (!p || p.strategy === 'hash' || singleKeyColumn(p.key) !== null) return false;
  return !p.partitions.some((x) => /^\s*DEFAULT\s*$/i.test(x.bound) || wholeRange(x.bound));
}

/** `PARTITION BY RANGE (a, b)`: the clause the messages name. */
export function pgPartitionClause(table: Table): string {
  const p = table.partitioning;
  return p ? `PARTITION BY ${p.strategy.toUpperCase()} (${p.key})` : 'its partitioning';
}

/** What to do about a table whose partitioning synth cannot keep its rows inside (the plan's and the load's hint). */
export function unfittedPgPartitionFixes(table: Table): string {
  const name = table.name;
  return (
    (unfittedPgPartitioning(table) ? `synth keeps generated values inside the partitions only for a RANGE or LIST key of one column, and (${table.partitioning?.key ?? ''}) is not one. ` : '') +
    `Skip the table (tables.${name}.skip: true), copy it verbatim if it holds no personal data (tables.${name}.mode: 'copy'), ` +
    `or give the source table a DEFAULT partition (CREATE TABLE ${name}_default PARTITION OF ${table.schema}.${name} DEFAULT).`
  );
}

/**
 * The plan's refusal of a table `unfittedPgPartitioning` holds for, on a target that recreates PostgreSQL partitions
 * (PostgreSQL, PGlite): refused before anything is written, where the load would fail only after generating it.
 */
export function unfittedPgPartitionError(table: Table, target: string): SynthError | null {
  if (!unfittedPgPartitioning(table)) return null;
  return new SynthError(
    'IMPOSSIBLE_CONSTRAINT',
    `${table.schema}.${table.name}: generated rows may fit no partition of ${pgPartitionClause(table)}, so loading it into ${target} would fail.`,
    { table: `${table.schema}.${table.name}`, hint: `${unfittedPgPartitionFixes(table)} Nothing was written.` },
  );
}
