/** Training loop: mini-batch Adam (or DP-SGD through the hook), validation-based early stopping. */
import type { Rng } from '../model.js';
import type { MadeNetwork } from './made.js';
import { batchOf, type Layout } from './layout.js';
import type { BatchSampler, LearnedOptions } from './options.js';

export interface TrainReport {
  epochs: number;
  steps: number;
  bestEpoch: number;
  trainLoss: number;
  validationLoss: number | null;
  seconds: number;
}

export const shuffledBatches: BatchSampler = ({ rows, batchSize, rng }) => {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  for (let i = rows - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < rows; s += batchSize) out.push(order.subarray(s, Math.min(rows, s + batchSize)));
  return out;
};

/** Mean loss over the given rows, in large forward-only chunks. */
export function evaluate(net: MadeNetwork, layout: Layout, tokens: Int32Array, rows: number): number {
  let total = 0;
  const chunk = 2048;
  for (let s = 0; s < rows; s += chunk) {
    const idx = Int32Array.from({ length: Math.min(chunk, rows - s) }, (_, i) => s + i);
    total += net.loss(batchOf(layout, tokens, idx)) * idx.length;
  }
  return rows === 0 ? 0 : total / rows;
}

/**
 * Trains `net` on the token rows `train` (and early-stops on `validation` when given). The best epoch's
 * weights are restored at the end.
 */
export function train(
  net: MadeNetwork,
  layout: Layout,
  data: { train: Int32Array; trainRows: number; validation: Int32Array | null; validationRows: number },
  options: Pick<LearnedOptions, 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'dp' | 'batchSampler' | 'onEpoch'> & { maxSteps?: number },
  rng: Rng,
): TrainReport {
  const started = performance.now();
  net.learningRate = options.learningRate;
  const sampler = options.batchSampler ?? shuffledBatches;
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: Float32Array[] | null = null;
  let steps = 0;
  let epoch = 0;
  let lastTrain = NaN;
  let lastVal: number | null = null;
  let sinceBest = 0;
  const maxSteps = options.maxSteps ?? Infinity;
  while (epoch < options.epochs && steps < maxSteps) {
    epoch++;
    let lossSum = 0;
    let lossRows = 0;
    for (const idx of sampler({ rows: data.trainRows, batchSize: options.batchSize, epoch, rng: rng.fork(`epoch${epoch}`) })) {
      if (steps >= maxSteps) break;
      if (idx.length === 0 && !options.dp) continue;
      const r = net.trainStep(batchOf(layout, data.train, idx), options.dp);
      lossSum += r.loss * idx.length;
      lossRows += idx.length;
      steps++;
    }
    lastTrain = lossRows > 0 ? lossSum / lossRows : NaN;
    lastVal = data.validation && data.validationRows > 0 ? evaluate(net, layout, data.validation, data.validationRows) : null;
    options.onEpoch?.({ epoch, trainLoss: lastTrain, validationLoss: lastVal });
    if (lastVal === null) continue;
    if (lastVal < best - 1e-4) {
      best = lastVal;
      bestEpoch = epoch;
      bestWeights = net.weights();
      sinceBest = 0;
    } else if (++sinceBest >= options.patience) {
      break;
    }
  }
  if (bestWeights !== null && bestEpoch !== epoch) net.setWeights(bestWeights);
  return {
    epochs: epoch,
    steps,
    bestEpoch: bestWeights === null ? epoch : bestEpoch,
    trainLoss: lastTrain,
    validationLoss: bestWeights === null ? lastVal : best,
    seconds: (performance.now() - started) / 1000,
  };
}
