/**
 * The only place the learned model touches tensors. Everything is 2-D float32; the model keeps to these few
 * operations so a GPU backend can replace tfjs later without touching the model code.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../model.js';

export type Mat = tf.Tensor2D;

export function fromArray(data: Float32Array, rows: number, cols: number): Mat {
  return tf.tensor2d(data, [rows, cols], 'float32');
}

export function zeros(rows: number, cols: number): Mat {
  return tf.zeros([rows, cols], 'float32');
}

/** Copies the values out (row-major). */
export function toArray(m: Mat): Float32Array {
  return m.dataSync() as Float32Array;
}

export function shape(m: Mat): [number, number] {
  return [m.shape[0], m.shape[1]];
}

/**
 * Plain matMul without transpose flags: on wasm a flagged matMul is ~15x slower than an explicit transpose
 * followed by matMul, so callers transpose explicitly.
 */
export function matMul(a: Mat, b: Mat): Mat {
  return tf.matMul(a, b);
}

/**
 * `a × w` for host data `a` [rows × k] (row-major) and a kept matrix `w` [k × n], read back to the host
 * ([rows × n], row-major). The wasm backend packs the right operand once per tensor and reuses it, so the
 * constant weights must be `w`: with activations on the right the packing repeats on every call (~3x slower).
 */
export function matMulHost(a: Float32Array, rows: number, k: number, w: Mat): Float32Array {
  const at = tf.tensor2d(a, [rows, k], 'float32');
  const c = tf.matMul(at, w);
  const out = c.dataSync() as Float32Array;
  at.dispose();
  c.dispose();
  return out;
}

/** A kept row vector (a bias), for `affineHost`. */
export type Vec = tf.Tensor1D;

export function vecFromArray(data: Float32Array): Vec {
  return tf.tensor1d(data, 'float32');
}

/**
 * `then(a × w + bias)` for host data `a` [rows × k] and kept `w` [k × n], `bias` [n], read back to the host
 * ([rows × n], row-major); `then` is a ReLU or a softmax over each row. One fused kernel plus the softmax on wasm:
 * the bias, ReLU and exponentials done per element in JavaScript took longer than the product itself.
 */
export function affineHost(a: Float32Array, rows: number, k: number, w: Mat, bias: Vec, then: 'relu' | 'softmax'): Float32Array {
  const at = tf.tensor2d(a, [rows, k], 'float32');
  const z = tf.fused.matMul({ a: at, b: w, bias, activation: then === 'relu' ? 'relu' : 'linear' });
  const c = then === 'softmax' ? tf.softmax(z) : z;
  const out = c.dataSync() as Float32Array;
  at.dispose();
  z.dispose();
  if (c !== z) c.dispose();
  return out;
}

/**
 * A kept matrix whose values the host writes in place (`liveValues`) before each product that reads it: the input
 * of `affineInto`, so a call copies nothing in. Tensors are immutable to tfjs, but a kernel reads its operands'
 * memory when it runs, and this one is never an operand of a cached (packed) right-hand side.
 */
export function hostMat(rows: number, cols: number): Mat {
  return tf.keep(tf.zeros([rows, cols], 'float32'));
}

interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}
interface CpuBackendInternals {
  data: { get(id: object): { values?: unknown } | undefined };
}

/**
 * The values of `m` where its backend keeps them (a view on the wasm heap, or the cpu backend's own array). A
 * view on the wasm heap is valid until the next tensor is made (the heap may grow and move): use it at once.
 */
export function liveValues(m: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals & CpuBackendInternals>;
  const size = m.size;
  if (backend.wasm && backend.dataIdMap) {
    const d = backend.dataIdMap.get(m.dataId);
    if (d) return new Float32Array(backend.wasm.HEAPU8.buffer, d.memoryOffset, size);
  } else if (backend.data) {
    const values = backend.data.get(m.dataId)?.values;
    if (values instanceof Float32Array && values.length === size) return values;
  }
  throw new Error(`compute backend ${tf.getBackend()} does not expose tensor memory`);
}

/**
 * `affineHost` on a `hostMat` input, handing the result to `read` where the backend holds it (no copy out and no
 * array per call: the sampler's per-call arrays were most of its garbage). `read` must not make tensors.
 */
export function affineInto(a: Mat, w: Mat, bias: Vec, then: 'relu' | 'softmax', read: (out: Float32Array) => void): void {
  const z = tf.fused.matMul({ a, b: w, bias, activation: then === 'relu' ? 'relu' : 'linear' });
  const c = then === 'softmax' ? tf.softmax(z) : z;
  try {
    read(liveValues(c));
  } finally {
    z.dispose();
    if (c !== z) c.dispose();
  }
}

export function transpose(a: Mat): Mat {
  return tf.transpose(a);
}

/** Elementwise with broadcasting of a [1, n] or [m, 1] operand. */
export function add(a: Mat, b: Mat): Mat {
  return tf.add(a, b);
}

export function sub(a: Mat, b: Mat): Mat {
  return tf.sub(a, b);
}

export function mul(a: Mat, b: Mat): Mat {
  return tf.mul(a, b);
}

export function scale(a: Mat, s: number): Mat {
  return tf.mul(a, tf.scalar(s, 'float32'));
}

export function square(a: Mat): Mat {
  return tf.square(a);
}

export function relu(a: Mat): Mat {
  return tf.relu(a);
}

/** Error through a ReLU: passes `d` where the pre-activation `z` was positive. */
export function reluBackward(d: Mat, z: Mat): Mat {
  return tf.mul(d, tf.step(z, 0));
}

/** Sum over rows: [m, n] → [1, n]. */
export function sumRows(a: Mat): Mat {
  return tf.sum(a, 0, true);
}

/** Sum over columns: [m, n] → [m, 1]. */
export function sumCols(a: Mat): Mat {
  return tf.sum(a, 1, true);
}

export function sumAll(a: Mat): number {
  return tf.sum(a).dataSync()[0] ?? 0;
}

export function sliceCols(a: Mat, start: number, size: number): Mat {
  return tf.slice(a, [0, start], [a.shape[0], size]);
}

/** Rows [r0, r0+rows) × columns [c0, c0+cols). */
export function sliceBlock(a: Mat, r0: number, rows: number, c0: number, cols: number): Mat {
  return tf.slice(a, [r0, c0], [rows, cols]);
}

/**
 * out[row[k]] += table[index[k]] for every k (`row` ascending): a one-hot input times a weight matrix without
 * the multiply. On wasm this is ~10x faster than the dense matMul for token inputs.
 */
export function sparseRowSum(table: Mat, index: Int32Array, row: Int32Array, outRows: number): Mat {
  const cols = table.shape[1];
  if (index.length === 0) return zeros(outRows, cols);
  return tf.tidy(() => {
    const s = tf.sparse.sparseSegmentSum(table, tf.tensor1d(index, 'int32'), tf.tensor1d(row, 'int32')) as Mat;
    return s.shape[0] < outRows ? (tf.concat([s, tf.zeros([outRows - s.shape[0], cols])], 0) as Mat) : s;
  });
}

/** out[index[k]] += d[row[k]]: the transpose of `sparseRowSum` (the weight gradient of a one-hot input). */
export function sparseRowScatter(d: Mat, index: Int32Array, row: Int32Array, outRows: number): Mat {
  // Segment sums need ascending segment ids: counting sort of the pairs by index.
  const counts = new Int32Array(outRows + 1);
  for (let k = 0; k < index.length; k++) {
    const j = (index[k] as number) + 1;
    counts[j] = (counts[j] as number) + 1;
  }
  for (let i = 1; i <= outRows; i++) counts[i] = (counts[i] as number) + (counts[i - 1] as number);
  const byIndex = new Int32Array(index.length);
  const rowsByIndex = new Int32Array(index.length);
  for (let k = 0; k < index.length; k++) {
    const at = counts[index[k] as number] as number;
    counts[index[k] as number] = at + 1;
    byIndex[at] = index[k] as number;
    rowsByIndex[at] = row[k] as number;
  }
  return sparseRowSum(d, rowsByIndex, byIndex, outRows);
}

export function concatCols(parts: Mat[]): Mat {
  return parts.length === 1 ? (parts[0] as Mat) : tf.concat(parts, 1);
}

export function logSoftmax(a: Mat): Mat {
  return tf.logSoftmax(a);
}

export function exp(a: Mat): Mat {
  return tf.exp(a);
}

/** Multiplies each row i of `a` by `factors[i]` ([m, 1]). */
export function scaleRows(a: Mat, factors: Mat): Mat {
  return tf.mul(a, factors);
}

/**
 * Softmax cross-entropy over consecutive column blocks of `logits` (one block per categorical output).
 * Returns the summed-over-blocks, averaged-over-rows loss and the per-example error terms (softmax − target)
 * of the summed loss: the gradient of row i's own loss with respect to its logits.
 *
 * Computed on the host: per-block slice + logSoftmax + concat costs one kernel launch per block, which on wasm
 * took 430 ms of a 450 ms step for a table with 80 output blocks; one pass over the array takes a few ms.
 */
export function blockSoftmaxCrossEntropy(
  logits: Mat,
  targets: Mat,
  blocks: ReadonlyArray<{ start: number; size: number }>,
): { loss: number; error: Mat } {
  const [rows, width] = shape(logits);
  const z = logits.dataSync() as Float32Array;
  const y = targets.dataSync() as Float32Array;
  const err = new Float32Array(rows * width);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (const b of blocks) {
      const from = base + b.start;
      const to = from + b.size;
      let max = -Infinity;
      for (let i = from; i < to; i++) if ((z[i] as number) > max) max = z[i] as number;
      let sum = 0;
      for (let i = from; i < to; i++) sum += err[i] = Math.exp((z[i] as number) - max);
      const logSum = Math.log(sum) + max;
      for (let i = from; i < to; i++) {
        const t = y[i] as number;
        if (t !== 0) loss -= t * ((z[i] as number) - logSum);
        err[i] = (err[i] as number) / sum - t;
      }
    }
  }
  return { loss: loss / Math.max(1, rows), error: fromArray(err, rows, width) };
}

/**
 * `blockSoftmaxCrossEntropy` for one-hot targets given as token indices: `targets[r · blocks + b]` is row r's token
 * in block b (negative: none). The same numbers, without building the one-hot target matrix and reading it back.
 */
export function blockSoftmaxCrossEntropyIndexed(
  logits: Mat,
  targets: Int32Array,
  blocks: ReadonlyArray<{ start: number; size: number }>,
): { loss: number; error: Mat } {
  const [rows, width] = shape(logits);
  const z = logits.dataSync() as Float32Array;
  const err = new Float32Array(rows * width);
  const nb = blocks.length;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let bi = 0; bi < nb; bi++) {
      const b = blocks[bi] as { start: number; size: number };
      const from = base + b.start;
      const to = from + b.size;
      let max = -Infinity;
      for (let i = from; i < to; i++) if ((z[i] as number) > max) max = z[i] as number;
      let sum = 0;
      for (let i = from; i < to; i++) sum += err[i] = Math.exp((z[i] as number) - max);
      const logSum = Math.log(sum) + max;
      const k = targets[r * nb + bi] as number;
      const hit = k >= 0 && k < b.size ? from + k : -1;
      // Subtracting the target before the float32 store rounds as the dense form does.
      for (let i = from; i < to; i++) err[i] = (err[i] as number) / sum - (i === hit ? 1 : 0);
      if (hit >= 0) loss -= (z[hit] as number) - logSum;
    }
  }
  return { loss: loss / Math.max(1, rows), error: fromArray(err, rows, width) };
}

export interface AdamState {
  m: Mat;
  v: Mat;
}

/** One Adam step; returns the new parameter and state (the old tensors are disposed). */
export function adamUpdate(
  param: Mat,
  grad: Mat,
  state: AdamState,
  step: number,
  lr: number,
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): { param: Mat; state: AdamState } {
  const out = tf.tidy(() => {
    const m = add(scale(state.m, beta1), scale(grad, 1 - beta1));
    const v = add(scale(state.v, beta2), scale(square(grad), 1 - beta2));
    const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    const update = tf.div(scale(m, stepSize), tf.add(tf.sqrt(v), tf.scalar(eps, 'float32'))) as Mat;
    return { param: sub(param, update), m, v };
  });
  param.dispose();
  state.m.dispose();
  state.v.dispose();
  return { param: out.param, state: { m: out.m, v: out.v } };
}

/** Standard-normal values drawn from a deterministic Rng (so weights depend only on the seed, not the backend). */
export function randomNormal(count: number, rng: Rng, std = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  return out;
}

export function tidy<T extends tf.TensorContainer>(fn: () => T): T {
  return tf.tidy(fn);
}

export function keep<T extends tf.Tensor>(t: T): T {
  return tf.keep(t);
}

export function dispose(...ts: Array<tf.Tensor | null | undefined>): void {
  for (const t of ts) if (t) t.dispose();
}

export function liveTensors(): number {
  return tf.memory().numTensors;
}
