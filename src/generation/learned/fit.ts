/** Fits a learned model from a table sample: encoders, token matrix, split, network, training. */
import { SynthError } from '../../errors.js';
import { tableKey, type Table, type TableRef } from '../../schema/model.js';
import type { ColumnMeta, Row, TableSample } from '../model.js';
import { computeBackendName, initCompute } from '../compute/index.js';
import { fitContextEncoder, fitCountEncoder, fitEncoder, type ColumnEncoder, type EncoderOptions } from './encoders.js';
import { LearnedModel, layoutFor, type CountHead } from './learned-model.js';
import { specOf } from './layout.js';
import { MadeNetwork } from './made.js';
import { autoHiddenSize, defaultLearnedOptions, type LearnedOptions } from './options.js';
import { seededRng } from './seeded-rng.js';
import { train } from './train.js';

export interface LearnedFactoryArgs {
  table: Table;
  sample: TableSample;
  meta: ColumnMeta[];
  /** Attribute columns the framework wants modelled; the model's `columns` is the subset it can model. */
  attributeColumns: string[];
  /**
   * The primary parent's attribute columns, one row per sample row (aligned); null = row without a parent.
   * With `meta` (the parent's column metadata), only numerical/categorical/datetime/boolean columns become
   * context; without it, the kind is inferred from values and near-unique text is skipped.
   */
  parentSample?: { columns: string[]; rows: Array<Row | null>; meta?: ColumnMeta[] };
  /** Children per sample row, for each relationship where this table is the parent. */
  childCounts?: Array<{ foreignKey: string; childTable: TableRef; counts: number[] }>;
  seed: number;
  options: Partial<LearnedOptions>;
}

export type LearnedFactory = (args: LearnedFactoryArgs) => Promise<LearnedModel>;

function columnValues(rows: ReadonlyArray<Row | null>, index: number): Row {
  return rows.map((r) => (r ? (r[index] ?? null) : null));
}

export async function fitLearnedModel(args: LearnedFactoryArgs): Promise<LearnedModel> {
  const options: LearnedOptions = { ...defaultLearnedOptions, ...args.options };
  const where = tableKey(args.table);
  const n = args.sample.rows.length;
  if (args.parentSample && args.parentSample.rows.length !== n) {
    throw new SynthError('INTERNAL', `Parent sample for ${where} has ${args.parentSample.rows.length} rows, the table sample ${n}.`, {
      table: where,
      hint: 'parentSample.rows must hold one parent row (or null) per sample row, in the same order.',
    });
  }
  for (const cc of args.childCounts ?? []) {
    if (cc.counts.length !== n) {
      throw new SynthError('INTERNAL', `Child counts of ${where} for ${cc.foreignKey} have ${cc.counts.length} entries for ${n} sample rows.`, {
        table: where,
        hint: 'Pass one child count per sample row.',
      });
    }
  }
  await initCompute(options.backend);
  const encOpts: EncoderOptions = {
    maxBins: options.maxBins,
    fineBins: options.fineBins,
    maxCategories: options.maxCategories,
    maxOtherValues: options.maxOtherValues,
  };
  // Context and count heads are single-token: they are inputs or one-shot predictions, not autoregressive chains.
  const singleOpts: EncoderOptions = { ...encOpts, fineBins: 0 };

  const encoders: ColumnEncoder[] = [];
  const sourceIndex: number[] = [];
  for (const name of args.attributeColumns) {
    const col = args.table.columns.find((c) => c.name === name);
    const idx = args.sample.columns.indexOf(name);
    if (!col || idx < 0) continue;
    const enc = (options.fitEncoder ?? fitEncoder)(col, args.meta.find((m) => m.column === name), columnValues(args.sample.rows, idx), encOpts);
    if (enc && enc.vocabSize > 1) {
      encoders.push(enc);
      sourceIndex.push(idx);
    }
  }
  const contextEncoders: ColumnEncoder[] = [];
  const contextIndex: number[] = [];
  const contextRoles = new Set(['numerical', 'categorical', 'datetime', 'boolean']);
  args.parentSample?.columns.forEach((name, j) => {
    const role = args.parentSample!.meta?.find((m) => m.column === name)?.role;
    if (args.parentSample!.meta && (role === undefined || !contextRoles.has(role))) return;
    const enc = (options.fitContextEncoder ?? fitContextEncoder)(name, columnValues(args.parentSample!.rows, j), singleOpts);
    if (enc && enc.vocabSize > 1) {
      contextEncoders.push(enc);
      contextIndex.push(j);
    }
  });
  const countHeads: CountHead[] = (args.childCounts ?? []).map((cc) => ({
    foreignKey: cc.foreignKey,
    childTable: cc.childTable,
    encoder: fitCountEncoder(`${cc.foreignKey}#count`, cc.counts, singleOpts),
  }));

  // Context only matters to a model that has something to predict; otherwise the framework need not keep parents.
  if (encoders.length === 0 && countHeads.length === 0) contextEncoders.length = 0;
  const layout = layoutFor(contextEncoders, encoders, countHeads);
  const width = options.hiddenSize === 'auto' ? autoHiddenSize(layout) : options.hiddenSize;
  const hidden = Array.from({ length: options.hiddenLayers }, () => width);
  if (n === 0 || layout.outputs.length === 0) {
    return new LearnedModel(args.table, encoders, contextEncoders, countHeads, null, hidden);
  }

  // Token matrix of the whole (bounded) sample: context | attributes | child counts.
  const w = layout.width;
  const tokens = new Int32Array(n * w);
  const parentRows = args.parentSample?.rows;
  for (let r = 0; r < n; r++) {
    const row = args.sample.rows[r] as Row;
    const parent = parentRows ? parentRows[r] : null;
    let t = r * w;
    contextEncoders.forEach((e, j) => (tokens[t++] = parent ? e.encode(parent[contextIndex[j] as number] ?? null) : -1));
    encoders.forEach((e, c) => {
      for (const p of e.encodeParts(row[sourceIndex[c] as number] ?? null)) tokens[t++] = p;
    });
    countHeads.forEach((h, k) => (tokens[t++] = h.encoder.encode(args.childCounts![k]!.counts[r] ?? 0)));
  }

  const rng = seededRng(args.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const splitRng = rng.fork('split');
  // Under DP there is no held-out split and lots are drawn by row index (by entity under the entity unit, whose
  // groups are indexed by sample row): the training rows keep the sample's order.
  for (let i = options.dp ? 0 : n - 1; i > 0; i--) {
    const j = splitRng.int(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const nVal = n >= 50 ? Math.floor(n * options.validationFraction) : 0;
  const pick = (from: number, to: number): Int32Array => {
    const out = new Int32Array((to - from) * w);
    for (let i = from; i < to; i++) out.set(tokens.subarray((order[i] as number) * w, (order[i] as number) * w + w), (i - from) * w);
    return out;
  };
  const network = new MadeNetwork(specOf(layout, hidden), rng.fork('init'));
  // Output biases start at the log marginal frequencies: a small table trains for a few hundred steps, far too few
  // for Adam to walk a bias from 0 to log(p), so its marginals would stay near uniform. Not under DP (the counts
  // would be raw statistics of the sample).
  if (!options.dp) initOutputBiases(network, layout, tokens, n);
  else if (options.outputPriors) initOutputBiasesFromPriors(network, layout, encoders, options.outputPriors);
  const report = train(
    network,
    layout,
    { train: pick(nVal, n), trainRows: n - nVal, validation: nVal > 0 ? pick(0, nVal) : null, validationRows: nVal },
    options,
    rng.fork('train'),
  );
  return new LearnedModel(args.table, encoders, contextEncoders, countHeads, network, hidden, { ...report, backend: computeBackendName() });
}

/** Sets the output layer's biases to the smoothed log frequency of each token in the training matrix. */
function initOutputBiases(network: MadeNetwork, layout: ReturnType<typeof layoutFor>, tokens: Int32Array, n: number): void {
  const weights = network.weights();
  const bias = weights[weights.length - 1];
  if (!bias) return;
  let start = 0;
  for (const block of layout.outputs) {
    const counts = new Float64Array(block.size);
    let seen = 0;
    for (let r = 0; r < n; r++) {
      const tok = tokens[r * layout.width + block.token] as number;
      if (tok >= 0 && tok < block.size) {
        counts[tok]! += 1;
        seen++;
      }
    }
    const denom = seen + 0.5 * block.size;
    for (let k = 0; k < block.size; k++) bias[start + k] = Math.log((counts[k]! + 0.5) / denom);
    start += block.size;
  }
  if (start === bias.length) network.setWeights(weights);
}

/** Output biases from given token probabilities (DP marginals): log p, lightly smoothed; other blocks stay at 0. */
function initOutputBiasesFromPriors(
  network: MadeNetwork,
  layout: ReturnType<typeof layoutFor>,
  encoders: ColumnEncoder[],
  priors: NonNullable<LearnedOptions['outputPriors']>,
): void {
  const weights = network.weights();
  const bias = weights[weights.length - 1];
  if (!bias) return;
  let start = 0;
  let block = 0;
  for (const e of encoders) {
    for (let part = 0; part < e.parts.length; part++) {
      const size = layout.outputs[block]?.size ?? 0;
      const prior = part === 0 ? priors(e.column, size) : null;
      if (prior && prior.length === size && start + size <= bias.length) {
        let total = 0;
        for (let k = 0; k < size; k++) total += Math.max(0, prior[k] ?? 0);
        for (let k = 0; k < size; k++) bias[start + k] = Math.log((Math.max(0, prior[k] ?? 0) + 1e-3) / (total + 1e-3 * size));
      }
      start += size;
      block++;
    }
  }
  if (start <= bias.length) network.setWeights(weights);
}
