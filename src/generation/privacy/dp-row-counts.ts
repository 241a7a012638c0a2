/**
 * What the noisy row count of a table costs in accuracy, said before the run (`synth plan`, from the source's row
 * counts and the budget split) and after it (from the noisy count itself, so the run's output reveals nothing the
 * release did not). A count of Laplace scale b = m/ε is off by b rows on average; a table of a few rows cannot carry
 * that noise, so it is named with its expected error, and its generated count is never drawn below the noise
 * scale (a 5-row lookup table whose noisy count came out as 1 would leave every child on one parent).
 */
import type { Table } from '../../schema/model.js';

/**
 * Above this expected relative error a table is named in the plan and in the run's warnings: the count is then off
 * by more than 10 % of its rows with probability above 0.5 % (P(|Lap(b)| > 0.1·n) = e^(−0.1·n/b) > 1/200), which is
 * what a reader of the output would call a wrong row count. At 1/20 (3.3 %) an unflagged table still missed 10 % in
 * about one run in 50 (chinook album 347 → 291, invoice_line 2 240 → 2 541): a bench of 27 runs saw such misses.
 */
export const SMALL_TABLE_RELATIVE_ERROR = 0.1 / Math.log(200);

export interface RowCountError {
  table: string;
  /** Rows the count is about: the source's (plan) or the sample's (run). */
  rows: number;
  /** ε of the count release. */
  epsilon: number;
  /** Expected absolute error of the noisy count, in rows: E|Lap(b)| = b = m/ε. */
  expectedError: number;
  /** `expectedError / max(1, rows)`. */
  relativeError: number;
  small: boolean;
}

export function rowCountError(table: string, rows: number, epsilon: number, contribution = 1): RowCountError {
  const expectedError = epsilon > 0 ? contribution / epsilon : Infinity;
  const relativeError = expectedError / Math.max(1, rows);
  return { table, rows, epsilon, expectedError, relativeError, small: relativeError > SMALL_TABLE_RELATIVE_ERROR };
}

/**
 * The generated row count from a noisy count: never below the count's own noise scale, so noise cannot collapse a
 * table that has rows to one row (post-processing of the release, so free).
 */
export function generatedRowCount(noisy: number, expectedError: number): number {
  return Math.max(1, Math.round(noisy), Math.ceil(Math.min(expectedError, 1e6)));
}

const pct = (x: number): string => (x >= 10 ? `${Math.round(x)}×` : x < 0.01 ? `${(x * 100).toFixed(2)} %` : `${Math.round(x * 100)} %`);

/** One warning line for a table whose count cannot carry its noise, with the ways out. */
export function smallTableWarning(e: RowCountError, noisy: number, totalEpsilon: number, table?: Pick<Table, 'name'>): string {
  const name = table?.name ?? e.table.split('.').pop()!;
  return (
    `${e.table}: ${e.rows} rows sampled; its noisy row count (${noisy}) is off by ±${e.expectedError.toFixed(1)} rows on average at ε=${totalEpsilon} (${pct(e.relativeError)}); ` +
    `it is generated with at least ${Math.ceil(e.expectedError)} rows. If it is reference data with nothing personal, set tables.${name}.mode: 'copy' (copied as is, no ε spent); otherwise raise privacy.epsilon or skip tables to give it more.`
  );
}

/** The plan's privacy section: each table's expected count error at this ε, small tables flagged. */
export function formatRowCountErrors(errors: RowCountError[], totalEpsilon: number): string {
  if (errors.length === 0) return '';
  const lines = [`Privacy (ε=${totalEpsilon}): expected error of each table's noisy row count`];
  const width = Math.max(...errors.map((e) => e.table.length));
  for (const e of errors) {
    const name = e.table.split('.').pop()!;
    const mark = e.small ? `  ⚠ too small for its noise: tables.${name}.mode: 'copy' if it is reference data, else raise ε` : '';
    lines.push(`  ${e.table.padEnd(width)}  ${String(e.rows).padStart(8)} rows  ±${e.expectedError.toFixed(1)} rows (${pct(e.relativeError)}) at ε ${e.epsilon.toPrecision(3)}${mark}`);
  }
  return lines.join('\n');
}
