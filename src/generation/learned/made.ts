/**
 * MADE-style masked MLP over column tokens, with forward and backward written by hand on the compute ops.
 * Autograd on the wasm backend runs matMul with transpose flags, ~15x slower than an explicit transpose,
 * and cannot hand out per-example error terms, which DP-SGD needs for per-example gradient norms.
 *
 * Degrees: context inputs have degree 0, column c's one-hot inputs degree c (1-based). Hidden unit degrees lie
 * in [0, P-1], where P is the number of output positions (columns, plus one for the child-count heads, which
 * see every column). An input of degree d feeds hidden units of degree ≥ d, hidden feeds hidden of degree ≥ its
 * own, and output position p reads hidden units of degree < p. So column c's logits depend on the context and
 * columns < c only.
 */
import { ops, type Mat, type AdamState } from '../compute/index.js';
import type { Rng } from '../model.js';

export interface Block {
  size: number;
  /** Degree (see the module comment). */
  degree: number;
}

export interface MadeSpec {
  inputs: Block[];
  outputs: Block[];
  hidden: number[];
}

/** A batch already laid out for the network: one-hot inputs and one-hot targets, row-major. */
export interface EncodedBatch {
  size: number;
  input: Float32Array;
  target: Float32Array;
  /** Which training rows the examples are (for per-row clip bounds). */
  rows?: Int32Array;
  /** The nonzeros of `input`, when the batch was built from tokens (no scan of the dense input). */
  sparse?: SparseInput;
  /** The target token of each output block, [size × blocks] (negative: none): the one-hot `target` as indices. */
  targetIndex?: Int32Array;
}

export interface DpHook {
  /** Per-example gradient L2 bound (the unit's bound; the noise is noiseMultiplier × clipNorm). */
  clipNorm: number;
  /**
   * Per training row bounds below `clipNorm` (entity unit: C / the entity's rows, so an entity's rows together stay
   * within C). Indexed by `EncodedBatch.rows`.
   */
  rowClipNorm?: Float32Array;
  /** Noise standard deviation in units of clipNorm. */
  noiseMultiplier: number;
  /** Standard-normal noise of the given shape (row-major), from the DP engineer's secure source. */
  noise: (shape: [number, number]) => Float32Array;
  /** Divisor of the noisy gradient sum: the expected lot size under Poisson sampling. Defaults to the batch size. */
  expectedBatchSize?: number;
}

/** Nonzero positions of a one-hot input, rows ascending. */
export interface SparseInput {
  index: Int32Array;
  row: Int32Array;
}

/** The nonzeros of a 0/1 input (columns < `maxCol`), or null when some value is neither 0 nor 1. */
export function sparseOf(input: Float32Array, rows: number, width: number, maxCol = width): SparseInput | null {
  let nnz = 0;
  for (let i = 0; i < input.length; i++) {
    const v = input[i] as number;
    if (v === 1) nnz++;
    else if (v !== 0) return null;
  }
  const index = new Int32Array(nnz);
  const row = new Int32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let j = 0; j < maxCol; j++) {
      if (input[base + j] === 1) {
        index[k] = j;
        row[k++] = r;
      }
    }
  }
  return { index: index.subarray(0, k), row: row.subarray(0, k) };
}

export interface StepResult {
  loss: number;
  /** Per-example gradient norms before clipping, when DP ran. */
  norms?: Float32Array;
}

interface Layer {
  w: Mat;
  b: Mat;
  mask: Mat;
  wState: AdamState;
  bState: AdamState;
}

function degreesOf(blocks: Block[]): number[] {
  const out: number[] = [];
  for (const b of blocks) for (let i = 0; i < b.size; i++) out.push(b.degree);
  return out;
}

function maskArray(inDeg: number[], outDeg: number[], connect: (i: number, o: number) => boolean): Float32Array {
  const m = new Float32Array(inDeg.length * outDeg.length);
  for (let i = 0; i < inDeg.length; i++) {
    for (let o = 0; o < outDeg.length; o++) if (connect(inDeg[i] as number, outDeg[o] as number)) m[i * outDeg.length + o] = 1;
  }
  return m;
}

export interface Activations {
  /** Input to each layer (a_0 = the batch input). */
  inputs: Mat[];
  /** The batch input's nonzeros when it is one-hot: the first layer then sums weight rows instead of multiplying. */
  sparse: SparseInput | null;
  /** Pre-activation of each hidden layer. */
  pre: Mat[];
  logits: Mat;
}

export class MadeNetwork {
  readonly spec: MadeSpec;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputBlocks: Array<{ start: number; size: number }>;
  /** Degree of each hidden unit, per layer (ascending within a layer). */
  readonly hiddenDegrees: number[][];
  /** Degree of each input unit (ascending: context, then attribute tokens in order). */
  readonly inputDegrees: number[];
  /** Adam step size used by `trainStep`. */
  learningRate = 1e-3;
  /** Use the sparse first layer for one-hot inputs (off only to test the dense path). */
  sparseInputs = true;
  private layers: Layer[] = [];
  private step = 0;

  /** `weights`: saved parameters (W already masked, then b, per layer); otherwise He-initialized from `rng`. */
  constructor(spec: MadeSpec, rng: Rng, weights?: Float32Array[]) {
    this.spec = spec;
    const inDeg = degreesOf(spec.inputs);
    const outDeg = degreesOf(spec.outputs);
    this.inputSize = inDeg.length;
    this.outputSize = outDeg.length;
    let start = 0;
    this.outputBlocks = spec.outputs.map((b) => {
      const r = { start, size: b.size };
      start += b.size;
      return r;
    });
    const positions = Math.max(1, ...spec.outputs.map((b) => b.degree));
    const sizes = [this.inputSize, ...spec.hidden, this.outputSize];
    // Hidden degrees ascend through each layer, so "units of degree < p" is a prefix: sampling column p then
    // needs only prefix blocks of each weight matrix (see logitsFor).
    const hiddenDeg = spec.hidden.map((h) => Array.from({ length: h }, (_, i) => Math.floor((i * positions) / h)));
    this.hiddenDegrees = hiddenDeg;
    this.inputDegrees = inDeg;
    const degrees: number[][] = [inDeg, ...hiddenDeg, outDeg];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l] as number;
      const fanOut = sizes[l + 1] as number;
      const isOut = l + 2 === sizes.length;
      const m = maskArray(degrees[l] as number[], degrees[l + 1] as number[], isOut ? (i, o) => i < o : (i, o) => o >= i);
      let w: Float32Array;
      let b: Float32Array;
      if (weights) {
        w = weights[2 * l] as Float32Array;
        b = weights[2 * l + 1] as Float32Array;
      } else {
        w = ops.randomNormal(fanIn * fanOut, rng, Math.sqrt(2 / Math.max(1, fanIn)) * (isOut ? 0.1 : 1));
        for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * (m[i] as number);
        b = new Float32Array(fanOut);
      }
      this.layers.push({
        w: ops.fromArray(w, fanIn, fanOut),
        b: ops.fromArray(b, 1, fanOut),
        mask: ops.fromArray(m, fanIn, fanOut),
        wState: { m: ops.zeros(fanIn, fanOut), v: ops.zeros(fanIn, fanOut) },
        bState: { m: ops.zeros(1, fanOut), v: ops.zeros(1, fanOut) },
      });
    }
  }

  /** Parameters as [W0, b0, W1, b1, …] (row-major copies). */
  weights(): Float32Array[] {
    return this.layers.flatMap((l) => [ops.toArray(l.w).slice(), ops.toArray(l.b).slice()]);
  }

  /** Forward pass; the caller disposes the returned tensors (or runs inside ops.tidy). */
  forward(input: Mat, sparse: SparseInput | null = null): Activations {
    const inputs: Mat[] = [input];
    const pre: Mat[] = [];
    const rows = input.shape[0];
    let a = input;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l] as Layer;
      const product = l === 0 && sparse ? ops.sparseRowSum(layer.w, sparse.index, sparse.row, rows) : ops.matMul(a, layer.w);
      const z = ops.add(product, layer.b);
      if (l + 1 === this.layers.length) return { inputs, sparse, pre, logits: z };
      pre.push(z);
      a = ops.relu(z);
      inputs.push(a);
    }
    throw new Error('network without layers');
  }

  /** Logits for a batch, as a row-major array [rows × outputSize]. */
  logits(input: Float32Array, rows: number): Float32Array {
    const t = ops.tidy(() => this.forward(ops.fromArray(input, rows, this.inputSize), this.sparse(input, rows)).logits);
    const out = ops.toArray(t);
    t.dispose();
    return out;
  }

  /**
   * Logits of one output block only ([rows × block size]). Output position p depends on inputs and hidden
   * units of degree < p, which are prefixes (inputs are laid out by degree, hidden degrees ascend), so this
   * multiplies prefix blocks of the weights: autoregressive sampling costs about a third of full passes.
   */
  logitsFor(input: Float32Array, rows: number, block: number): Float32Array {
    const out = this.outputBlocks[block];
    const p = this.spec.outputs[block]?.degree;
    if (out === undefined || p === undefined) throw new Error(`no output block ${block}`);
    const prefix = (degrees: number[]): number => {
      let k = 0;
      while (k < degrees.length && (degrees[k] as number) < p) k++;
      return k;
    };
    const sorted = this.inputDegrees.every((d, i) => i === 0 || d >= (this.inputDegrees[i - 1] as number));
    if (!sorted) {
      const all = this.logits(input, rows);
      const res = new Float32Array(rows * out.size);
      for (let r = 0; r < rows; r++) res.set(all.subarray(r * this.outputSize + out.start, r * this.outputSize + out.start + out.size), r * out.size);
      return res;
    }
    const widths = [prefix(this.inputDegrees), ...this.hiddenDegrees.map(prefix)];
    const t = ops.tidy(() => {
      const last = this.layers[this.layers.length - 1] as Layer;
      const outBias = ops.sliceCols(last.b, out.start, out.size);
      // A layer with no units of low enough degree leaves only the bias.
      if (widths.some((w) => w === 0)) return ops.add(ops.zeros(rows, out.size), outBias);
      const sparse = this.sparseInputs ? sparseOf(input, rows, this.inputSize, widths[0]) : null;
      let a = sparse ? null : ops.sliceCols(ops.fromArray(input, rows, this.inputSize), 0, widths[0] as number);
      for (let l = 0; l + 1 < this.layers.length; l++) {
        const layer = this.layers[l] as Layer;
        const w = ops.sliceBlock(layer.w, 0, widths[l] as number, 0, widths[l + 1] as number);
        const product = a === null && sparse ? ops.sparseRowSum(w, sparse.index, sparse.row, rows) : ops.matMul(a as Mat, w);
        a = ops.relu(ops.add(product, ops.sliceCols(layer.b, 0, widths[l + 1] as number)));
      }
      if (a === null) throw new Error('network without hidden layers');
      const w = ops.sliceBlock(last.w, 0, widths[widths.length - 1] as number, out.start, out.size);
      return ops.add(ops.matMul(a, w), outBias);
    });
    const res = ops.toArray(t);
    t.dispose();
    return res;
  }

  /**
   * Back-propagates per-example output errors (rows of `error`, each the gradient of that example's own loss
   * w.r.t. its logits). Returns the error at each layer's output, layer order; no weight gradients yet.
   */
  backward(acts: Activations, error: Mat): Mat[] {
    const errs: Mat[] = new Array(this.layers.length);
    let d = error;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      errs[l] = d;
      if (l === 0) break;
      const layer = this.layers[l] as Layer;
      // W is stored masked, so D·Wᵀ is already the masked layer's input error.
      d = ops.reluBackward(ops.matMul(d, ops.transpose(layer.w)), acts.pre[l - 1] as Mat);
    }
    return errs;
  }

  /** Squared per-example gradient norms over all parameters, [rows, 1]: Σ_l (a²)ᵀ M (d²) + |d|². */
  perExampleSquaredNorms(acts: Activations, errs: Mat[]): Mat {
    let total: Mat | null = null;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l] as Layer;
      const d2 = ops.square(errs[l] as Mat);
      // One-hot inputs: a² = a, so (a²)ᵀM is the sum of the mask rows of the active tokens.
      const a2m =
        l === 0 && acts.sparse
          ? ops.sparseRowSum(layer.mask, acts.sparse.index, acts.sparse.row, d2.shape[0])
          : ops.matMul(ops.square(acts.inputs[l] as Mat), layer.mask);
      const wPart = ops.sumCols(ops.mul(a2m, d2));
      const part = ops.add(wPart, ops.sumCols(d2));
      total = total === null ? part : ops.add(total, part);
    }
    return total as Mat;
  }

  /**
   * Gradients of the mean loss over the batch (or, with `dp`, the clipped, noised, normalized sum).
   * Returned per layer as [dW, db]; the caller disposes them.
   */
  gradients(batch: EncodedBatch, dp?: DpHook): { grads: Array<[Mat, Mat]>; loss: number; norms?: Float32Array } {
    let loss = 0;
    let norms: Float32Array | undefined;
    const grads = ops.tidy(() => {
      const x = ops.fromArray(batch.input, batch.size, this.inputSize);
      const y = batch.targetIndex ? null : ops.fromArray(batch.target, batch.size, this.outputSize);
      const acts = this.forward(x, this.batchSparse(batch));
      const ce = this.crossEntropy(acts.logits, batch, y);
      loss = ce.loss;
      let errs = this.backward(acts, ce.error);
      let divisor = batch.size;
      if (dp) {
        const sq = this.perExampleSquaredNorms(acts, errs);
        const n = Float32Array.from(ops.toArray(sq), Math.sqrt);
        norms = n;
        const bound = (i: number): number => (dp.rowClipNorm && batch.rows ? (dp.rowClipNorm[batch.rows[i]!] ?? 0) : dp.clipNorm);
        const factors = Float32Array.from(n, (v, i) => Math.min(1, bound(i) / Math.max(v, 1e-12)));
        const f = ops.fromArray(factors, batch.size, 1);
        // Backprop is linear in the output error, so scaling each example's error terms clips its whole gradient.
        errs = errs.map((e) => ops.scaleRows(e, f));
        divisor = dp.expectedBatchSize ?? batch.size;
      }
      const out: Array<[Mat, Mat]> = [];
      for (let l = 0; l < this.layers.length; l++) {
        const layer = this.layers[l] as Layer;
        const e = errs[l] as Mat;
        const product =
          l === 0 && acts.sparse
            ? ops.sparseRowScatter(e, acts.sparse.index, acts.sparse.row, this.inputSize)
            : ops.matMul(ops.transpose(acts.inputs[l] as Mat), e);
        let dw = ops.mul(product, layer.mask);
        let db = ops.sumRows(e);
        if (dp) {
          const [r, c] = ops.shape(layer.w);
          const sigma = dp.noiseMultiplier * dp.clipNorm;
          dw = ops.add(dw, ops.mul(ops.scale(ops.fromArray(dp.noise([r, c]), r, c), sigma), layer.mask));
          db = ops.add(db, ops.scale(ops.fromArray(dp.noise([1, c]), 1, c), sigma));
        }
        out.push([ops.scale(dw, 1 / Math.max(1, divisor)), ops.scale(db, 1 / Math.max(1, divisor))]);
      }
      return out;
    });
    return norms === undefined ? { grads, loss } : { grads, loss, norms };
  }

  /** Gradient of an empty (Poisson-sampled) lot under DP: noise only, so an empty lot still moves the weights. */
  private noiseOnly(dp: DpHook): Array<[Mat, Mat]> {
    const sigma = (dp.noiseMultiplier * dp.clipNorm) / Math.max(1, dp.expectedBatchSize ?? 1);
    return ops.tidy(() =>
      this.layers.map((layer) => {
        const [r, c] = ops.shape(layer.w);
        return [
          ops.mul(ops.scale(ops.fromArray(dp.noise([r, c]), r, c), sigma), layer.mask),
          ops.scale(ops.fromArray(dp.noise([1, c]), 1, c), sigma),
        ] as [Mat, Mat];
      }),
    );
  }

  /**
   * One optimizer step (Adam at `learningRate`). With `dp`, a DP-SGD step: per-example clipping plus Gaussian
   * noise; an empty batch then still takes a noise-only step, as the privacy analysis of Poisson sampling assumes.
   */
  trainStep(batch: EncodedBatch, dp?: DpHook): StepResult {
    if (batch.size === 0 && !dp) return { loss: 0 };
    const { grads, loss, norms } = batch.size === 0 && dp ? { grads: this.noiseOnly(dp), loss: 0, norms: new Float32Array(0) } : this.gradients(batch, dp);
    this.step++;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l] as Layer;
      const [dw, db] = grads[l] as [Mat, Mat];
      const w = ops.adamUpdate(layer.w, dw, layer.wState, this.step, this.learningRate);
      const b = ops.adamUpdate(layer.b, db, layer.bState, this.step, this.learningRate);
      layer.w = w.param;
      layer.wState = w.state;
      layer.b = b.param;
      layer.bState = b.state;
      ops.dispose(dw, db);
    }
    return norms === undefined ? { loss } : { loss, norms };
  }

  /** Mean loss of a batch without updating. */
  loss(batch: EncodedBatch): number {
    let loss = 0;
    ops.tidy(() => {
      const acts = this.forward(ops.fromArray(batch.input, batch.size, this.inputSize), this.batchSparse(batch));
      const ce = this.crossEntropy(acts.logits, batch, null);
      loss = ce.loss;
    });
    return loss;
  }

  private sparse(input: Float32Array, rows: number): SparseInput | null {
    return this.sparseInputs ? sparseOf(input, rows, this.inputSize) : null;
  }

  /** The batch's input nonzeros: as built with the batch, or found in its dense input. */
  private batchSparse(batch: EncodedBatch): SparseInput | null {
    if (!this.sparseInputs) return null;
    return batch.sparse ?? this.sparse(batch.input, batch.size);
  }

  /** Loss and per-example errors against the batch's targets (as indices when the batch has them). */
  private crossEntropy(logits: Mat, batch: EncodedBatch, target: Mat | null): { loss: number; error: Mat } {
    if (batch.targetIndex) return ops.blockSoftmaxCrossEntropyIndexed(logits, batch.targetIndex, this.outputBlocks);
    return ops.blockSoftmaxCrossEntropy(logits, target ?? ops.fromArray(batch.target, batch.size, this.outputSize), this.outputBlocks);
  }

  /** Restores parameters saved by `weights()` (used for early stopping's best epoch). */
  setWeights(weights: Float32Array[]): void {
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l] as Layer;
      const [r, c] = ops.shape(layer.w);
      ops.dispose(layer.w, layer.b);
      layer.w = ops.fromArray(weights[2 * l] as Float32Array, r, c);
      layer.b = ops.fromArray(weights[2 * l + 1] as Float32Array, 1, c);
    }
  }

  dispose(): void {
    for (const l of this.layers) ops.dispose(l.w, l.b, l.mask, l.wState.m, l.wState.v, l.bState.m, l.bState.v);
    this.layers = [];
  }
}
