/**
 * Autoregressive sampling of a MadeNetwork in large batches, each hidden unit computed once per row.
 *
 * A hidden unit of degree d depends only on the context and on attribute tokens of degree ≤ d, so once token d is
 * drawn the units of degree d are final. Step p therefore computes the units of degree p-1 in every layer, then
 * the logits of token p; a prefix pass per token (`logitsFor`) recomputes every earlier unit each time.
 *
 * Activations stay on the host, row-major [rows × units]; units not computed yet hold finite values that the
 * masked weights multiply by exact zeros, so each step multiplies the whole previous layer by a constant column
 * block of the weights. That wastes about half the multiply-adds of a triangular product but lets the wasm backend
 * pack each weight block once, which is ~3x faster than products whose right operand changes every call.
 * The first layer reads one-hot tokens: drawing a token adds one weight row to every later unit.
 */
import { ops, type Mat } from '../compute/index.js';
import type { Rng } from '../model.js';
import type { TokenBlock } from './layout.js';
import type { MadeNetwork } from './made.js';

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

export class MadeSampler {
  private readonly hidden: number[];
  /** Per hidden layer, first unit of each degree. */
  private readonly starts: Int32Array[];
  private readonly weights: Float32Array[];
  /** Input unit offset of each input block. */
  private readonly inputOffsets: number[];
  /** Column blocks of the weights, kept as tensors once built. */
  private readonly blocks = new Map<string, Mat>();
  private scratch = new Float32Array(0);
  private act: Float32Array[] = [];
  private logits = new Float32Array(0);
  private tok = new Int32Array(0);

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
  }

  /** Rows [0, rows) × columns [c0, c0 + cols) of weight matrix `layer` (layer ≥ 1), as a kept tensor. */
  private block(layer: number, rows: number, c0: number, cols: number): Mat {
    const key = `${layer}:${rows}:${c0}:${cols}`;
    let t = this.blocks.get(key);
    if (!t) {
      const w = this.weights[2 * layer] as Float32Array;
      const width = w.length / (this.hidden[layer - 1] as number);
      const data = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) data.set(w.subarray(r * width + c0, r * width + c0 + cols), r * cols);
      t = ops.keep(ops.fromArray(data, rows, cols));
      this.blocks.set(key, t);
    }
    return t;
  }

  /**
   * Draws output blocks [0, count) (the attribute tokens, in order) for `rows` rows of the token matrix `tokens`
   * (`width` token columns per row); context tokens must be filled in (negative = no parent). Consumes one
   * `rng.next()` per row per block, rows in order within a block, blocks in order.
   */
  sample(tokens: Int32Array, width: number, rows: number, count: number, rng: Rng): void {
    const layers = this.hidden.length;
    // Buffers are reused across calls: a fresh set per 4096-row chunk was most of the sampler's garbage.
    if (this.act.length === 0 || (this.act[0] as Float32Array).length < (this.hidden[0] as number) * rows) {
      this.act = this.hidden.map((h) => new Float32Array(h * rows));
      this.logits = new Float32Array(rows * Math.max(1, ...this.outputs.map((o) => o.size)));
      this.tok = new Int32Array(rows);
    }
    const act = this.act.map((a, l) => a.subarray(0, (this.hidden[l] as number) * rows));
    for (let l = 1; l < layers; l++) (act[l] as Float32Array).fill(0);
    const h0 = this.hidden[0] as number;
    const a0 = act[0] as Float32Array;
    const b0 = this.weights[1] as Float32Array;
    for (let r = 0; r < rows; r++) a0.set(b0, r * h0);
    // Context tokens (degree 0) feed every first-layer unit.
    this.inputs.forEach((input, j) => {
      if (input.degree === 0) this.addInput(a0, tokens, width, rows, j, 0);
    });
    const tok = this.tok;
    for (let b = 0; b < count; b++) {
      const out = this.outputs[b] as TokenBlock;
      const d = out.degree - 1;
      // First-layer units of degree d have every input they read; they are final.
      const s0 = this.starts[0]![d] as number;
      const e0 = this.starts[0]![d + 1] as number;
      if (e0 > s0) {
        for (let r = 0; r < rows; r++) {
          for (let i = r * h0 + s0, end = r * h0 + e0; i < end; i++) if ((a0[i] as number) < 0) a0[i] = 0;
        }
      }
      for (let l = 1; l < layers; l++) {
        const s = this.starts[l]![d] as number;
        const e = this.starts[l]![d + 1] as number;
        const pre = this.starts[l - 1]![d + 1] as number;
        if (e > s) this.affine(act[l] as Float32Array, this.hidden[l] as number, s, e - s, l, act[l - 1] as Float32Array, pre, rows, true);
      }
      const logits = this.logits.subarray(0, rows * out.size);
      const pre = this.starts[layers - 1]![out.degree] as number;
      this.affine(logits, out.size, 0, out.size, layers, act[layers - 1] as Float32Array, pre, rows, false, this.net.outputBlocks[b]!.start);
      drawTokens(logits, out.size, rows, rng, tok);
      for (let r = 0; r < rows; r++) tokens[r * width + out.token] = tok[r] as number;
      // The drawn token feeds the first-layer units of higher degree.
      const j = this.inputs.findIndex((input) => input.token === out.token);
      if (j >= 0) this.addInput(a0, tokens, width, rows, j, this.starts[0]![out.degree] as number);
    }
  }

  /** Adds input block j's weight row (its token's) to first-layer units [from, h0) of every row. */
  private addInput(a0: Float32Array, tokens: Int32Array, width: number, rows: number, j: number, from: number): void {
    const input = this.inputs[j] as TokenBlock;
    const h0 = this.hidden[0] as number;
    const w0 = this.weights[0] as Float32Array;
    const off = this.inputOffsets[j] as number;
    if (from >= h0) return;
    for (let r = 0; r < rows; r++) {
      const t = tokens[r * width + input.token] as number;
      if (t < 0 || t >= input.size) continue;
      const wBase = (off + t) * h0;
      const aBase = r * h0;
      for (let u = from; u < h0; u++) a0[aBase + u] = (a0[aBase + u] as number) + (w0[wBase + u] as number);
    }
  }

  /**
   * Columns [s, s + n) of `into` ([rows × stride]) = bias + prev[:, 0..pre) · W_l[0..pre, c0 + (0..n)], with ReLU
   * for hidden layers: `pre` = the previous layer's units of low enough degree (the rest meet zero weights).
   * `c0` defaults to `s` (hidden units); output blocks pass their column offset.
   */
  private affine(into: Float32Array, stride: number, s: number, n: number, l: number, prev: Float32Array, pre: number, rows: number, relu: boolean, c0 = s): void {
    const k = this.hidden[l - 1] as number;
    const bias = this.weights[2 * l + 1] as Float32Array;
    if (pre === 0) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < n; c++) {
          const v = bias[c0 + c] as number;
          into[r * stride + s + c] = relu && v < 0 ? 0 : v;
        }
      }
      return;
    }
    // Copying the prefix columns costs far less than the multiply-adds it saves (about half of them).
    let left = prev;
    if (pre < k) {
      left = this.scratch.length >= rows * pre ? this.scratch.subarray(0, rows * pre) : (this.scratch = new Float32Array(rows * k)).subarray(0, rows * pre);
      for (let r = 0; r < rows; r++) left.set(prev.subarray(r * k, r * k + pre), r * pre);
    }
    const product = ops.matMulHost(left, rows, pre, this.block(l, pre, c0, n));
    for (let r = 0; r < rows; r++) {
      const from = r * n;
      const to = r * stride + s;
      for (let c = 0; c < n; c++) {
        const v = (product[from + c] as number) + (bias[c0 + c] as number);
        into[to + c] = relu && v < 0 ? 0 : v;
      }
    }
  }

  dispose(): void {
    for (const t of this.blocks.values()) t.dispose();
    this.blocks.clear();
  }
}

/** One token per row from row-major logits [rows × size]: softmax, then the first token whose cumulative probability passes u·total. */
function drawTokens(logits: Float32Array, size: number, rows: number, rng: Rng, into: Int32Array): void {
  const p = new Float64Array(size);
  for (let r = 0; r < rows; r++) {
    const base = r * size;
    let max = -Infinity;
    for (let k = 0; k < size; k++) if ((logits[base + k] as number) > max) max = logits[base + k] as number;
    let total = 0;
    for (let k = 0; k < size; k++) total += p[k] = Math.exp((logits[base + k] as number) - max);
    let u = rng.next() * total;
    let pick = size - 1;
    for (let k = 0; k < size; k++) {
      u -= p[k] as number;
      if (u < 0) {
        pick = k;
        break;
      }
    }
    into[r] = pick;
  }
}
