/**
 * Autoregressive sampling of a MadeNetwork in large batches, each hidden unit computed once per row.
 *
 * A hidden unit of degree d depends only on the context and on attribute tokens of degree ≤ d, so once token d is
 * drawn the units of degree d are final. Step p therefore computes the units of degree p-1 in every layer, then
 * the probabilities of token p; a prefix pass per token (`logitsFor`) recomputes every earlier unit each time.
 *
 * Activations stay on the host, row-major [rows × units]. Each step multiplies the previous layer (the whole layer,
 * or only its final prefix of units of degree < p: see `readsWholeLayer`) by a constant block of the weights: the
 * wasm backend packs each block once,
 * ~3x faster than products whose right operand changes every call. Bias, ReLU and the output softmax run in the
 * same wasm call (`ops.affineInto`), whose input the host writes in place and whose result it reads where the
 * backend holds it; the host only copies, adds first-layer weight rows and walks probabilities.
 * The first layer reads one-hot tokens: drawing a token adds one weight row to every later unit. Those additions, the
 * first layer's ReLU and the draws run in a small kernel of their own (`SamplerKernel`, WebAssembly SIMD).
 */
import { ops, type Mat, type Vec } from '../compute/index.js';
import type { Rng } from '../model.js';
import type { TokenBlock } from './layout.js';
import type { MadeNetwork } from './made.js';
import { SamplerKernel } from './sampler-kernel.js';

/** Index of the first entry ≥ d in an ascending array, for every d in [0, positions + 1]. */
function degreeStarts(degrees: number[], positions: number): Int32Array {
  const out = new Int32Array(positions + 2);
  let i = 0;
  for (let d = 0; d <= positions + 1; d++) {
    while (i < degrees.length && (degrees[i] as number) < d) i++;
    out[d] = i;
  }
  return out;
}

/** A constant column block of one layer's weights and biases, kept on the compute backend. */
interface Block {
  w: Mat;
  bias: Vec;
}

export class MadeSampler {
  private readonly hidden: number[];
  /** Per hidden layer, first unit of each degree. */
  private readonly starts: Int32Array[];
  private readonly weights: Float32Array[];
  /** Input unit offset of each input block. */
  private readonly inputOffsets: number[];
  /** Per output block, the input block that reads the same token column (-1: none). */
  private readonly inputOf: number[];
  private readonly blocks = new Map<string, Block>();
  /**
   * Kept product inputs by row count and width (units read), rewritten in place for every product. Two row counts
   * are kept: a batch of 10 000 rows samples chunks of 4096 and then 1808, and remaking them per batch showed.
   */
  private readonly productInputs = new Map<number, Map<number, Mat>>();
  /** Hidden layers' units [rows × units] from the second on; the first layer's live in `first`. */
  private act: Float32Array[] = [];
  private actRows = 0;
  /** The first layer's units, its weights and the drawn tokens, added and drawn in WebAssembly. */
  private readonly first: SamplerKernel;
  /** addContext's leading shared context columns per row, and its kept partial sum of the first layer. */
  private shared = new Int32Array(0);
  private partial = new Float32Array(0);

  constructor(
    private readonly net: MadeNetwork,
    private readonly inputs: TokenBlock[],
    private readonly outputs: TokenBlock[],
  ) {
    const positions = Math.max(1, ...outputs.map((b) => b.degree));
    this.hidden = net.spec.hidden;
    this.starts = net.hiddenDegrees.map((d) => degreeStarts(d, positions));
    this.weights = net.weights();
    let off = 0;
    this.inputOffsets = inputs.map((b) => {
      const o = off;
      off += b.size;
      return o;
    });
    this.inputOf = outputs.map((o) => inputs.findIndex((i) => i.token === o.token));
    this.first = new SamplerKernel(this.weights[0] as Float32Array, this.hidden[0] as number, Math.max(1, ...net.outputBlocks.map((b) => b.size)));
  }

  /** Rows [0, rows) × columns [c0, c0 + cols) of weight matrix `layer` (layer ≥ 1) and its biases, kept. */
  private block(layer: number, rows: number, c0: number, cols: number): Block {
    const key = `${layer}:${rows}:${c0}:${cols}`;
    let b = this.blocks.get(key);
    if (!b) {
      const w = this.weights[2 * layer] as Float32Array;
      const width = w.length / (this.hidden[layer - 1] as number);
      const data = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) data.set(w.subarray(r * width + c0, r * width + c0 + cols), r * cols);
      const bias = (this.weights[2 * layer + 1] as Float32Array).slice(c0, c0 + cols);
      b = { w: ops.keep(ops.fromArray(data, rows, cols)), bias: ops.keep(ops.vecFromArray(bias)) };
      this.blocks.set(key, b);
    }
    return b;
  }

  /**
   * Draws output blocks [0, count) (the attribute tokens, in order) for `rows` rows of the token matrix `tokens`
   * (`width` token columns per row); context tokens must be filled in (negative = no parent). Consumes one
   * `rng.next()` per row per block, rows in order within a block, blocks in order. Returns the probabilities
   * ([rows × size], unnormalized) of the next `heads` output blocks (the child-count heads, which see every
   * attribute), computed from the same hidden units and drawn by the caller: no second pass over the rows.
   */
  sample(tokens: Int32Array, width: number, rows: number, count: number, rng: Rng, heads = 0): Float32Array[] {
    const layers = this.hidden.length;
    // Buffers are reused across calls: a fresh set per 4096-row chunk was most of the sampler's garbage.
    if (this.actRows < rows) {
      this.act = this.hidden.map((h, l) => new Float32Array(l === 0 ? 0 : h * rows));
      this.actRows = rows;
    }
    this.first.reserve(rows);
    const act = this.act.map((a, l) => (l === 0 ? this.first.units : a).subarray(0, (this.hidden[l] as number) * rows));
    const h0 = this.hidden[0] as number;
    const a0 = act[0] as Float32Array;
    const b0 = this.weights[1] as Float32Array;
    for (let r = 0; r < rows; r++) a0.set(b0, r * h0);
    this.addContext(a0, tokens, width, rows);
    const tok = this.first.tokens;
    const probabilities: Float32Array[] = [];
    for (let b = 0; b < count + heads; b++) {
      const out = this.outputs[b] as TokenBlock;
      const d = out.degree - 1;
      // First-layer units of degree d have every input they read; they are final.
      const s0 = this.starts[0]![d] as number;
      const e0 = this.starts[0]![d + 1] as number;
      this.first.relu(rows, s0, e0);
      for (let l = 1; l < layers; l++) {
        const s = this.starts[l]![d] as number;
        const e = this.starts[l]![d + 1] as number;
        const pre = this.starts[l - 1]![d + 1] as number;
        if (e > s) this.hiddenUnits(act[l] as Float32Array, s, e - s, l, act[l - 1] as Float32Array, pre, rows);
      }
      const pre = this.starts[layers - 1]![out.degree] as number;
      const size = this.net.outputBlocks[b]!.size;
      if (b >= count) {
        this.blockProbabilities(b, act[layers - 1] as Float32Array, pre, rows, (p) => probabilities.push(p.slice(0, rows * size)));
        continue;
      }
      this.blockProbabilities(b, act[layers - 1] as Float32Array, pre, rows, (p) => this.first.draw(p, size, rows, rng));
      for (let r = 0; r < rows; r++) tokens[r * width + out.token] = tok[r] as number;
      // The drawn token feeds the first-layer units of higher degree.
      const j = this.inputOf[b] as number;
      if (j >= 0) this.addInput(rows, j, this.starts[0]![out.degree] as number);
    }
    return probabilities;
  }

  /**
   * Context tokens (degree 0) feed every first-layer unit. Siblings come in runs (a parent's children follow each
   * other), and a row with the same context as the row before starts from a copy of its units: one copy of h0
   * floats instead of one weight row added per context column. Where only the leading context columns repeat (the
   * primary parent's, while another parent's differ row by row), the sum over those columns is kept and copied: the
   * same additions in the same order, so the same bits.
   */
  private addContext(a0: Float32Array, tokens: Int32Array, width: number, rows: number): void {
    const h0 = this.hidden[0] as number;
    const first = this.first;
    const context = this.inputs.flatMap((input, j) => (input.degree === 0 ? [j] : []));
    const k = context.length;
    if (k === 0) return;
    const columns = Int32Array.from(context, (j) => (this.inputs[j] as TokenBlock).token);
    const sizes = Int32Array.from(context, (j) => (this.inputs[j] as TokenBlock).size);
    const offsets = Int32Array.from(context, (j) => this.inputOffsets[j] as number);
    // Leading context columns each row shares with the row before.
    if (this.shared.length < rows) this.shared = new Int32Array(rows);
    const shared = this.shared;
    const atLeast = new Int32Array(k + 1);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      if (r > 0) while (m < k && tokens[r * width + (columns[m] as number)] === tokens[(r - 1) * width + (columns[m] as number)]) m++;
      shared[r] = m;
      atLeast[m] = (atLeast[m] as number) + 1;
    }
    for (let m = k - 1; m >= 0; m--) atLeast[m] = (atLeast[m] as number) + (atLeast[m + 1] as number);
    // The split worth keeping a partial sum for: a row sharing its first `split` columns (not all) saves `split`
    // weight rows, a row that shares fewer pays one copy of the sum; none when nothing gains.
    let split = 0;
    let best = 0;
    for (let j = 1; j < k; j++) {
      const gain = ((atLeast[j] as number) - (atLeast[k] as number)) * j - (rows - (atLeast[j] as number));
      if (gain > best) [split, best] = [j, gain];
    }
    if (this.partial.length < h0) this.partial = new Float32Array(h0);
    const partial = this.partial;
    const add = (r: number, from: number, to: number): void => {
      for (let c = from; c < to; c++) {
        const t = tokens[r * width + (columns[c] as number)] as number;
        if (t < 0 || t >= (sizes[c] as number)) continue;
        first.addRow(r * h0, ((offsets[c] as number) + t) * h0, h0);
      }
    };
    for (let r = 0; r < rows; r++) {
      const m = shared[r] as number;
      const aBase = r * h0;
      if (m === k) {
        a0.copyWithin(aBase, aBase - h0, aBase);
        continue;
      }
      if (split > 0 && m >= split) {
        // The partial sum is the row before's, whose leading columns are these.
        for (let u = 0; u < h0; u++) a0[aBase + u] = partial[u] as number;
      } else if (split > 0) {
        add(r, 0, split);
        for (let u = 0; u < h0; u++) partial[u] = a0[aBase + u] as number;
      }
      add(r, split, k);
    }
  }

  /** Adds input block j's weight row (the token just drawn, in `first.tokens`) to first-layer units [from, h0) of every row. */
  private addInput(rows: number, j: number, from: number): void {
    if (from >= (this.hidden[0] as number)) return;
    this.first.addTokenRows(rows, this.inputOffsets[j] as number, (this.inputs[j] as TokenBlock).size, from);
  }

  /**
   * The product's input [rows × kk]: the first kk units of each row of `prev` ([rows × k]), written in place into
   * a kept input matrix (no copy into the backend per call). Reading a prefix (kk < k) leaves out units of higher
   * degree, which meet zero weights: about half the multiply-adds for one copy.
   */
  private input(prev: Float32Array, k: number, kk: number, rows: number): Mat {
    let byWidth = this.productInputs.get(rows);
    if (!byWidth) {
      if (this.productInputs.size >= 2) this.disposeInputs();
      byWidth = new Map();
      this.productInputs.set(rows, byWidth);
    }
    let m = byWidth.get(kk);
    if (!m) {
      m = ops.hostMat(rows, kk);
      byWidth.set(kk, m);
    }
    const into = ops.liveValues(m);
    if (kk === k) into.set(prev.subarray(0, rows * k));
    else copyRows(prev, k, 0, into, kk, 0, kk, rows);
    return m;
  }

  /** Units [s, s + n) of hidden layer l = ReLU(bias + prev[:, 0..pre) · W_l[0..pre, s..s+n)), into `into`. */
  private hiddenUnits(into: Float32Array, s: number, n: number, l: number, prev: Float32Array, pre: number, rows: number): void {
    const k = this.hidden[l - 1] as number;
    const stride = this.hidden[l] as number;
    if (pre === 0) {
      const bias = this.weights[2 * l + 1] as Float32Array;
      for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) into[r * stride + s + c] = Math.max(0, bias[s + c] as number);
      return;
    }
    const kk = readsWholeLayer(k, pre, n) ? k : pre;
    const { w, bias } = this.block(l, kk, s, n);
    ops.affineInto(this.input(prev, k, kk, rows), w, bias, 'relu', (product) => copyRows(product, n, 0, into, stride, s, n, rows));
  }

  /**
   * Probabilities of output block b for every row ([rows × size], unnormalized), from the last hidden layer's first
   * `pre` units, handed to `read` (valid only during the call).
   */
  private blockProbabilities(b: number, last: Float32Array, pre: number, rows: number, read: (p: Float32Array) => void): void {
    const layers = this.hidden.length;
    const { start, size } = this.net.outputBlocks[b]!;
    if (pre === 0) {
      // Nothing of low enough degree: every row draws from softmax(bias).
      const bias = (this.weights[2 * layers + 1] as Float32Array).subarray(start, start + size);
      const max = Math.max(...bias);
      const p = Float32Array.from(bias, (v) => Math.exp(v - max));
      const one = new Float32Array(rows * size);
      for (let r = 0; r < rows; r++) one.set(p, r * size);
      read(one);
      return;
    }
    const k = this.hidden[layers - 1] as number;
    const kk = readsWholeLayer(k, pre, size) ? k : pre;
    const { w, bias } = this.block(layers, kk, start, size);
    ops.affineInto(this.input(last, k, kk, rows), w, bias, 'softmax', read);
  }

  dispose(): void {
    for (const b of this.blocks.values()) ops.dispose(b.w, b.bias);
    this.blocks.clear();
    this.disposeInputs();
  }

  private disposeInputs(): void {
    for (const byWidth of this.productInputs.values()) for (const m of byWidth.values()) ops.dispose(m);
    this.productInputs.clear();
  }
}

/**
 * A product may read all k units of the previous layer instead of its final prefix of `pre`: the weights of the
 * later units are masked to zero, so the result is the same, and the multiply-adds it adds ((k − pre) · n per row)
 * cost less in wasm than copying the prefix out row by row in JavaScript (pre per row), up to about this ratio.
 * On the 13-token, 64-unit lineitem model of the scale fixture: +15 % rows per CPU-second (bench/learned-sampler-cost.ts).
 */
const WHOLE_LAYER_RATIO = 16;

/** Whether a product of n columns reads the whole previous layer (k units) rather than copying its prefix (pre). */
function readsWholeLayer(k: number, pre: number, n: number): boolean {
  return (k - pre) * n <= pre * WHOLE_LAYER_RATIO;
}

/**
 * Copies `n` values per row for `rows` rows from `src` (row stride `srcStride`, from column `c0`) to `dst` (row stride
 * `dstStride`, at column `d0`). Short runs copy element by element: a `subarray` view per row costs more than
 * copying a few dozen floats, and the sampler's runs are mostly that short.
 */
function copyRows(src: Float32Array, srcStride: number, c0: number, dst: Float32Array, dstStride: number, d0: number, n: number, rows: number): void {
  if (n >= 64) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * srcStride + c0, r * srcStride + c0 + n), r * dstStride + d0);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from = r * srcStride + c0;
    const to = r * dstStride + d0;
    let c = 0;
    for (; c + 4 <= n; c += 4) {
      dst[to + c] = src[from + c] as number;
      dst[to + c + 1] = src[from + c + 1] as number;
      dst[to + c + 2] = src[from + c + 2] as number;
      dst[to + c + 3] = src[from + c + 3] as number;
    }
    for (; c < n; c++) dst[to + c] = src[from + c] as number;
  }
}

/**
 * One token per row from row-major unnormalized probabilities [rows × size]: the first token whose cumulative
 * probability passes u·total (the total absorbs the float32 rounding of a softmax). The sampler draws through its
 * kernel (`SamplerKernel.draw`); this is the definition the kernel is tested against.
 */
export function drawTokens(p: Float32Array, size: number, rows: number, rng: Rng, into: Int32Array): void {
  for (let r = 0; r < rows; r++) into[r] = drawToken(p, r * size, size, rng);
}

/** One token from the unnormalized probabilities p[base, base + size), as `drawTokens` draws each row's. */
export function drawToken(p: Float32Array, base: number, size: number, rng: Rng): number {
  let total = 0;
  let k = base;
  // Unrolled, still one sum in order (the same total to the last bit).
  for (const end = base + size - 3; k < end; k += 4) total = total + (p[k] as number) + (p[k + 1] as number) + (p[k + 2] as number) + (p[k + 3] as number);
  for (const end = base + size; k < end; k++) total += p[k] as number;
  let u = rng.next() * total;
  for (let k = 0; k < size; k++) {
    u -= p[base + k] as number;
    if (u < 0) return k;
  }
  return size - 1;
}
