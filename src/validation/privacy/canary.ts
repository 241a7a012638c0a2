/**
 * The memorisation experiment (after Carlini et al., "The Secret Sharer", 2019): plant random secrets in a
 * copy of the training sample, each repeated a chosen number of times, train, generate, and count how often
 * each secret comes back. A model that memorises replays secrets repeated often; a DP model should replay
 * none (a secret held by a handful of rows is exactly what DP hides). The model is passed in as functions,
 * so the experiment runs with whatever generator exists.
 */
import type { Rng, TableSample } from '../../generation/model.js';
import type { Row, RowBatch, Value } from '../../schema/values.js';

export interface Canary {
  secret: string;
  /** Rows of the training sample that carry it. */
  repetitions: number;
}

export interface CanarySet {
  column: string;
  canaries: Canary[];
}

export interface CanaryReplay extends Canary {
  /** Generated rows whose canary column equals the secret. */
  replays: number;
  /** Generated rows where any text cell contains the secret (e.g. inside free text). */
  replaysAnywhere: number;
}

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A random secret that no real data contains by accident (prefix + 10 characters: ~50 bits). */
export function makeSecret(rng: Rng, prefix = 'cnry'): string {
  let s = prefix;
  for (let i = 0; i < 10; i++) s += ALPHABET[rng.int(ALPHABET.length)];
  return s;
}

/**
 * A copy of `sample` with one canary per entry of `repetitions`: canary i is written into `column` of
 * `repetitions[i]` extra rows, each a copy of a random existing row (so the other attributes look real).
 * The input sample is not modified.
 */
export function insertCanaries(
  sample: TableSample,
  column: string,
  repetitions: readonly number[],
  rng: Rng,
): { sample: TableSample; canaries: CanarySet } {
  const col = sample.columns.indexOf(column);
  if (col < 0) throw new RangeError(`Sample of ${sample.table.schema}.${sample.table.name} has no column ${column}`);
  if (sample.rows.length === 0) throw new RangeError('Cannot plant canaries in an empty sample');
  const rows: Row[] = sample.rows.map((r) => [...r]);
  const canaries: Canary[] = [];
  for (const reps of repetitions) {
    if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`Canary repetitions must be positive integers, got ${reps}`);
    const secret = makeSecret(rng);
    canaries.push({ secret, repetitions: reps });
    for (let k = 0; k < reps; k++) {
      const base = sample.rows[rng.int(sample.rows.length)]!;
      const copy: Row = [...base];
      copy[col] = secret;
      // Random positions: models that read in order must not see all canaries at the end.
      rows.splice(rng.int(rows.length + 1), 0, copy);
    }
  }
  return {
    sample: { ...sample, totalRows: sample.totalRows + (rows.length - sample.rows.length), rows },
    canaries: { column, canaries },
  };
}

function containsSecret(v: Value, secrets: readonly string[]): string[] {
  if (typeof v === 'string') return secrets.filter((s) => v.includes(s));
  if (Array.isArray(v) || (v !== null && typeof v === 'object' && !(v instanceof Uint8Array))) {
    const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    return secrets.filter((s) => text.includes(s));
  }
  return [];
}

export type GeneratedRows = RowBatch | Iterable<RowBatch> | AsyncIterable<RowBatch>;

function isBatch(x: GeneratedRows): x is RowBatch {
  return (x as RowBatch).rows !== undefined && Array.isArray((x as RowBatch).columns);
}

/** How often each canary was replayed in the generated rows (streamed batch by batch). */
export async function countReplays(generated: GeneratedRows, canaries: CanarySet): Promise<CanaryReplay[]> {
  const secrets = canaries.canaries.map((c) => c.secret);
  const exact = new Map<string, number>(secrets.map((s) => [s, 0]));
  const anywhere = new Map<string, number>(secrets.map((s) => [s, 0]));
  const visit = (batch: RowBatch): void => {
    const col = batch.columns.indexOf(canaries.column);
    for (const row of batch.rows) {
      const v = col >= 0 ? row[col] : undefined;
      if (typeof v === 'string' && exact.has(v)) exact.set(v, exact.get(v)! + 1);
      const found = new Set<string>();
      for (const cell of row) for (const s of containsSecret(cell ?? null, secrets)) found.add(s);
      for (const s of found) anywhere.set(s, anywhere.get(s)! + 1);
    }
  };
  if (isBatch(generated)) visit(generated);
  else if (Symbol.asyncIterator in generated) for await (const b of generated as AsyncIterable<RowBatch>) visit(b);
  else for (const b of generated as Iterable<RowBatch>) visit(b);
  return canaries.canaries.map((c) => ({ ...c, replays: exact.get(c.secret)!, replaysAnywhere: anywhere.get(c.secret)! }));
}

export interface CanaryExperiment<M> {
  sample: TableSample;
  column: string;
  /** Trains a model on the sample with canaries (e.g. the learned model with or without DP). */
  train: (sample: TableSample) => Promise<M> | M;
  /** Draws `rows` synthetic rows from the trained model. */
  generate: (model: M, rows: number) => Promise<GeneratedRows> | GeneratedRows;
  rng: Rng;
  /** Repetition counts, one canary each (default 1, 2, 4, 8, 16, 32). */
  repetitions?: readonly number[];
  /** Rows to generate (default: the size of the sample with canaries). */
  rows?: number;
}

export interface CanaryExperimentResult {
  column: string;
  trainingRows: number;
  generatedRows: number;
  replays: CanaryReplay[];
  /** Canaries replayed at least once (exact, in the column). */
  replayedCanaries: number;
  /** Smallest repetition count whose canary was replayed, or null. */
  minReplayedRepetitions: number | null;
}

/** Plants canaries, trains, generates and counts replays. */
export async function runCanaryExperiment<M>(exp: CanaryExperiment<M>): Promise<CanaryExperimentResult> {
  const reps = exp.repetitions ?? [1, 2, 4, 8, 16, 32];
  const planted = insertCanaries(exp.sample, exp.column, reps, exp.rng);
  const model = await exp.train(planted.sample);
  const n = exp.rows ?? planted.sample.rows.length;
  let generatedRows = 0;
  const generated = await exp.generate(model, n);
  const counted = async function* (): AsyncGenerator<RowBatch> {
    if (isBatch(generated)) {
      generatedRows += generated.rows.length;
      yield generated;
      return;
    }
    for await (const b of generated as AsyncIterable<RowBatch> | Iterable<RowBatch>) {
      generatedRows += b.rows.length;
      yield b;
    }
  };
  const replays = await countReplays(counted(), planted.canaries);
  const replayed = replays.filter((r) => r.replays > 0);
  return {
    column: exp.column,
    trainingRows: planted.sample.rows.length,
    generatedRows,
    replays,
    replayedCanaries: replayed.length,
    minReplayedRepetitions: replayed.length === 0 ? null : Math.min(...replayed.map((r) => r.repetitions)),
  };
}
