import type { Rng } from '../model.js';
import type { BackendChoice } from '../compute/index.js';
import type { DpHook } from './made.js';
import type { ColumnEncoder, EncoderOptions } from './encoders.js';
import type { Column } from '../../schema/model.js';
import type { ColumnMeta, Value } from '../model.js';
import type { Layout } from './layout.js';

/**
 * Chooses the rows of each training step. The default shuffles and cuts fixed-size batches; the DP engineer
 * plugs Poisson sampling in here (batches may then vary in size, and `dp.expectedBatchSize` sets the divisor).
 */
export type BatchSampler = (args: { rows: number; batchSize: number; epoch: number; rng: Rng }) => Iterable<Int32Array>;

export interface LearnedOptions {
  /** Upper bound on passes over the training rows (early stopping usually ends sooner). */
  epochs: number;
  /** Upper bound on optimizer steps over all epochs, so large samples train in bounded time. */
  maxSteps: number;
  /** Units per hidden layer; 'auto' sizes them to the table's token count (`autoHiddenSize`). */
  hiddenSize: number | 'auto';
  hiddenLayers: number;
  batchSize: number;
  learningRate: number;
  /** Share of the sample held out for early stopping (none below 50 rows). */
  validationFraction: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** Quantile bins per numeric/datetime column. */
  maxBins: number;
  /** Sub-bins inside each numeric bin (a second token per numeric column); 1 disables. */
  fineBins: number;
  /** Categories kept per column; rarer values share one "other" token. */
  maxCategories: number;
  /** Rare values remembered per "other" token. */
  maxOtherValues: number;
  backend: BackendChoice;
  /** DP-SGD hook applied to every step (clipping + noise); Poisson sampling comes in through `batchSampler`. */
  dp?: DpHook;
  batchSampler?: BatchSampler;
  /**
   * Replaces the encoder fit of each attribute column (e.g. encoders built from DP statistics, so the raw sample
   * never reaches the vocabulary or bin edges); null leaves the column to the baseline.
   */
  fitEncoder?: (column: Column, meta: ColumnMeta | undefined, values: Value[], opts: EncoderOptions) => ColumnEncoder | null;
  /**
   * Replaces the encoder fit of each context (parent) column, as `fitEncoder` does for attributes; null leaves the
   * column out of the context.
   */
  fitContextEncoder?: (name: string, values: Value[], opts: EncoderOptions) => ColumnEncoder | null;
  /**
   * Under DP (where the sample's token counts must not set the output biases): probabilities of a column's first
   * token, e.g. from its DP statistics, to start the output biases from. Null leaves the column's biases at 0.
   */
  outputPriors?: (column: string, vocabSize: number) => ArrayLike<number> | null;
  /** Progress callback, once per epoch. */
  onEpoch?: (info: { epoch: number; trainLoss: number; validationLoss: number | null }) => void;
}

export const defaultLearnedOptions: LearnedOptions = {
  epochs: 50,
  // About 18 ms a step at hidden 256 on a 2-core machine: 3000 steps keep a table's training under a minute.
  maxSteps: 3000,
  hiddenSize: 'auto',
  hiddenLayers: 2,
  batchSize: 256,
  learningRate: 2e-3,
  validationFraction: 0.1,
  patience: 5,
  maxBins: 32,
  fineBins: 8,
  maxCategories: 40,
  maxOtherValues: 1000,
  backend: 'auto',
};

/** Hidden units per output position (token) under 'auto', and the bounds of the width. */
const UNITS_PER_POSITION = 4;
const MIN_AUTO_HIDDEN = 64;
const MAX_AUTO_HIDDEN = 256;

/**
 * Hidden width for a table: 4 units per output position, a multiple of 16 in [64, 256]. Sampling costs grow with
 * the square of the width: on the 10-column bench table (15 tokens) 64 units generate ~2.5x the rows per
 * CPU-second of 256 with the same marginals, pair and 4-way fidelity and validation loss (bench/learned-speed.ts),
 * while a table of 64 tokens or more keeps the former fixed 256.
 */
export function autoHiddenSize(layout: Layout): number {
  const positions = Math.max(1, ...layout.outputs.map((o) => o.degree));
  return Math.min(MAX_AUTO_HIDDEN, Math.max(MIN_AUTO_HIDDEN, 16 * Math.ceil((UNITS_PER_POSITION * positions) / 16)));
}
