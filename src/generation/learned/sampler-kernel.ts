/**
 * The MADE sampler's first-layer additions and ReLU in WebAssembly SIMD, and its token draws: every drawn token adds its weight row to
 * the row of first-layer units of each sampled row. In JavaScript each add was a load, a widen, an add and a store
 * (~4 ns, a fifth of the learned lineitem's sampling); f32x4.add does four at once. It gives the same bits: a float32
 * sum computed in float64 and stored back into a Float32Array rounds once to the same float32 as f32 addition.
 *
 * The weights, the units and the drawn tokens live in the kernel's own memory; the sampler reads and writes the
 * units and tokens through views on it (`units`, `tokens`), valid until the next `reserve`.
 *
 * Source of `KERNEL` (wat2wasm --enable-simd):
 * (module
 *   (memory (export "memory") 1)
 *   (func $addRow (export "addRow") (param $d i32) (param $s i32) (param $nb i32)   ;; f32 [d, d+nb) += [s, s+nb)
 *     (local $j i32) (local $nb4 i32)
 *     (local.set $nb4 (i32.and (local.get $nb) (i32.const -16)))
 *     (block $done4 (loop $l4
 *       (br_if $done4 (i32.ge_u (local.get $j) (local.get $nb4)))
 *       (v128.store (i32.add (local.get $d) (local.get $j))
 *         (f32x4.add (v128.load (i32.add (local.get $d) (local.get $j))) (v128.load (i32.add (local.get $s) (local.get $j)))))
 *       (local.set $j (i32.add (local.get $j) (i32.const 16))) (br $l4)))
 *     (block $done (loop $l
 *       (br_if $done (i32.ge_u (local.get $j) (local.get $nb)))
 *       (f32.store (i32.add (local.get $d) (local.get $j))
 *         (f32.add (f32.load (i32.add (local.get $d) (local.get $j))) (f32.load (i32.add (local.get $s) (local.get $j)))))
 *       (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $l))))
 *   ;; per row r: t = tok[r]; when t <u size, addRow(a + r*aStride, w + t*wStride, nb)
 *   (func (export "addRows") (param $a i32) (param $aStride i32) (param $w i32) (param $wStride i32) (param $tok i32)
 *       (param $tokStride i32) (param $rows i32) (param $size i32) (param $nb i32)
 *     (local $r i32) (local $t i32)
 *     (block $done (loop $l
 *       (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
 *       (local.set $t (i32.load (i32.add (local.get $tok) (i32.mul (local.get $r) (local.get $tokStride)))))
 *       (if (i32.lt_u (local.get $t) (local.get $size))
 *         (then (call $addRow (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $aStride)))
 *                             (i32.add (local.get $w) (i32.mul (local.get $t) (local.get $wStride))) (local.get $nb))))
 *       (local.set $r (i32.add (local.get $r) (i32.const 1))) (br $l))))
 *   ;; per row r: f32 x in [a + r*stride, + nb): x < 0 → 0 (NaN and -0 stay, as `if (x < 0) x = 0` leaves them)
 *   (func (export "relu") (param $a i32) (param $stride i32) (param $rows i32) (param $nb i32)
 *     (local $r i32) (local $d i32) (local $j i32) (local $nb4 i32) (local $v v128)
 *     (local.set $nb4 (i32.and (local.get $nb) (i32.const -16)))
 *     (block $rdone (loop $rl
 *       (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
 *       (local.set $d (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $stride))))
 *       (local.set $j (i32.const 0))
 *       (block $done4 (loop $l4
 *         (br_if $done4 (i32.ge_u (local.get $j) (local.get $nb4)))
 *         (local.set $v (v128.load (i32.add (local.get $d) (local.get $j))))
 *         (v128.store (i32.add (local.get $d) (local.get $j))
 *           (v128.bitselect (v128.const i32x4 0 0 0 0) (local.get $v) (f32x4.lt (local.get $v) (v128.const i32x4 0 0 0 0))))
 *         (local.set $j (i32.add (local.get $j) (i32.const 16))) (br $l4)))
 *       (block $done (loop $l
 *         (br_if $done (i32.ge_u (local.get $j) (local.get $nb)))
 *         (if (f32.lt (f32.load (i32.add (local.get $d) (local.get $j))) (f32.const 0))
 *           (then (f32.store (i32.add (local.get $d) (local.get $j)) (f32.const 0))))
 *         (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $l)))
 *       (local.set $r (i32.add (local.get $r) (i32.const 1))) (br $rl))))
 *   ;; per row r: drawToken's draw from p[r*size, +size) with u[r] (f64), into out[r]: the same float64 sums in the
 *   ;; same order, so the same token
 *   (func (export "draw") (param $p i32) (param $u i32) (param $out i32) (param $rows i32) (param $size i32)
 *     (local $r i32) (local $base i32) (local $k i32) (local $end4 i32) (local $total f64) (local $x f64) (local $tok i32)
 *     (local.set $end4 (i32.sub (local.get $size) (i32.const 3)))
 *     (block $rdone (loop $rl
 *       (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
 *       (local.set $base (i32.add (local.get $p) (i32.shl (i32.mul (local.get $r) (local.get $size)) (i32.const 2))))
 *       (local.set $total (f64.const 0))
 *       (local.set $k (i32.const 0))
 *       (block $d4 (loop $l4   ;; total = (((total + p[k]) + p[k+1]) + p[k+2]) + p[k+3]
 *         (br_if $d4 (i32.ge_s (local.get $k) (local.get $end4)))
 *         (local.set $total (f64.add (f64.add (f64.add (f64.add (local.get $total)
 *           (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2))))))
 *           (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2))))))
 *           (f64.promote_f32 (f32.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2))))))
 *           (f64.promote_f32 (f32.load offset=12 (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2)))))))
 *         (local.set $k (i32.add (local.get $k) (i32.const 4))) (br $l4)))
 *       (block $d1 (loop $l1
 *         (br_if $d1 (i32.ge_s (local.get $k) (local.get $size)))
 *         (local.set $total (f64.add (local.get $total)
 *           (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2)))))))
 *         (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $l1)))
 *       (local.set $x (f64.mul (f64.load (i32.add (local.get $u) (i32.shl (local.get $r) (i32.const 3)))) (local.get $total)))
 *       (local.set $tok (i32.sub (local.get $size) (i32.const 1)))
 *       (local.set $k (i32.const 0))
 *       (block $found (loop $scan
 *         (br_if $found (i32.ge_s (local.get $k) (local.get $size)))
 *         (local.set $x (f64.sub (local.get $x)
 *           (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2)))))))
 *         (if (f64.lt (local.get $x) (f64.const 0)) (then (local.set $tok (local.get $k)) (br $found)))
 *         (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $scan)))
 *       (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (local.get $tok))
 *       (local.set $r (i32.add (local.get $r) (i32.const 1))) (br $rl)))))
 */
import { SynthError } from '../../errors.js';
import type { Rng } from '../model.js';

const KERNEL =
  'AGFzbQEAAAABIgRgA39/fwBgCX9/f39/f39/fwBgBH9/f38AYAV/f39/fwADBQQAAQIDBQMBAAEHKwUGbWVtb3J5AgAGYWRkUm93AAAHYWRkUm93cwABBHJlbHUAAgRkcmF3AAMKjQUEbgECfyACQXBxIQQCQANAIAMgBE8NASAAIANqIAAgA2r9AAQAIAEgA2r9AAQA/eQB/QsEACADQRBqIQMMAAsLAkADQCADIAJPDQEgACADaiAAIANqKgIAIAEgA2oqAgCSOAIAIANBBGohAwwACwsLQwECfwJAA0AgCSAGTw0BIAQgCSAFbGooAgAhCiAKIAdJBEAgACAJIAFsaiACIAogA2xqIAgQAAsgCUEBaiEJDAALCwu7AQIEfwF7IANBcHEhBwJAA0AgBCACTw0BIAAgBCABbGohBUEAIQYCQANAIAYgB08NASAFIAZq/QAEACEIIAUgBmr9DAAAAAAAAAAAAAAAAAAAAAAgCCAI/QwAAAAAAAAAAAAAAAAAAAAA/UP9Uv0LBAAgBkEQaiEGDAALCwJAA0AgBiADTw0BIAUgBmoqAgBDAAAAAF0EQCAFIAZqQwAAAAA4AgALIAZBBGohBgwACwsgBEEBaiEEDAALCwuaAgMEfwJ8AX8gBEEDayEIAkADQCAFIANPDQEgACAFIARsQQJ0aiEGRAAAAAAAAAAAIQlBACEHAkADQCAHIAhODQEgCSAGIAdBAnRqKgIAu6AgBiAHQQJ0aioCBLugIAYgB0ECdGoqAgi7oCAGIAdBAnRqKgIMu6AhCSAHQQRqIQcMAAsLAkADQCAHIARODQEgCSAGIAdBAnRqKgIAu6AhCSAHQQFqIQcMAAsLIAEgBUEDdGorAwAgCaIhCiAEQQFrIQtBACEHAkADQCAHIARODQEgCiAGIAdBAnRqKgIAu6EhCiAKRAAAAAAAAAAAYwRAIAchCwwCCyAHQQFqIQcMAAsLIAIgBUECdGogCzYCACAFQQFqIQUMAAsLCw==';

let compiled: WebAssembly.Module | null = null;

interface Exports {
  memory: WebAssembly.Memory;
  addRow(d: number, s: number, nb: number): void;
  addRows(a: number, aStride: number, w: number, wStride: number, tok: number, tokStride: number, rows: number, size: number, nb: number): void;
  relu(a: number, stride: number, rows: number, nb: number): void;
  draw(p: number, u: number, out: number, rows: number, size: number): void;
}

const PAGE = 65_536;

export class SamplerKernel {
  private readonly k: Exports;
  /** Byte offset of the units (after the weights, 16-aligned). */
  private readonly unitsAt: number;
  private capacity = 0;
  private tokensAt = 0;
  private uniformsAt = 0;
  private probabilitiesAt = 0;
  /** Rows × `width` first-layer units, row-major (a view on the kernel's memory). */
  units = new Float32Array(0);
  /** One drawn token per row (a view on the kernel's memory). */
  tokens = new Int32Array(0);
  private uniforms = new Float64Array(0);
  private probabilities = new Float32Array(0);

  /**
   * `weights`: the first layer's [inputs × width] weights, copied once; `largestBlock`: the most tokens of an output
   * block `draw` is given.
   */
  constructor(
    weights: Float32Array,
    private readonly width: number,
    private readonly largestBlock: number,
  ) {
    compiled ??= new WebAssembly.Module(Buffer.from(KERNEL, 'base64'));
    this.k = new WebAssembly.Instance(compiled).exports as unknown as Exports;
    this.unitsAt = Math.ceil(weights.byteLength / 16) * 16;
    this.grow(this.unitsAt);
    new Float32Array(this.k.memory.buffer, 0, weights.length).set(weights);
  }

  /** Room for `rows` rows; `units` and `tokens` are views of exactly that capacity or more (taken again here). */
  reserve(rows: number): void {
    if (rows > this.capacity) {
      this.capacity = rows;
      this.tokensAt = this.unitsAt + rows * this.width * 4;
      this.uniformsAt = Math.ceil((this.tokensAt + rows * 4) / 8) * 8;
      this.probabilitiesAt = this.uniformsAt + rows * 8;
      this.grow(this.probabilitiesAt + rows * this.largestBlock * 4);
    }
    const buffer = this.k.memory.buffer;
    const n = this.capacity;
    this.units = new Float32Array(buffer, this.unitsAt, n * this.width);
    this.tokens = new Int32Array(buffer, this.tokensAt, n);
    this.uniforms = new Float64Array(buffer, this.uniformsAt, n);
    this.probabilities = new Float32Array(buffer, this.probabilitiesAt, n * this.largestBlock);
  }

  /** units[at, at + n) += weights[from, from + n) (float indices). */
  addRow(at: number, from: number, n: number): void {
    this.k.addRow(this.unitsAt + at * 4, from * 4, n * 4);
  }

  /**
   * For each row r < rows whose token t = tokens[r] is in [0, size): units of row r from unit `unit` on (to the row's
   * end) += weight row `first + t` from unit `unit` on.
   */
  addTokenRows(rows: number, first: number, size: number, unit: number): void {
    const w = this.width;
    this.k.addRows(this.unitsAt + unit * 4, w * 4, (first * w + unit) * 4, w * 4, this.tokensAt, 4, rows, size, (w - unit) * 4);
  }

  /** Units [from, to) of rows [0, rows): negative ones become 0 (the ReLU of units whose inputs are all added). */
  relu(rows: number, from: number, to: number): void {
    if (to > from) this.k.relu(this.unitsAt + from * 4, this.width * 4, rows, (to - from) * 4);
  }

  /**
   * `drawTokens(p, size, rows, rng, tokens)`: the same `rng.next()` per row, in row order, and the same token; the
   * sums and the walk run in the kernel (they were a tenth of the sampler's time in JavaScript).
   */
  draw(p: Float32Array, size: number, rows: number, rng: Rng): void {
    if (size > this.largestBlock) throw new SynthError('INTERNAL', `The sampler drew from a block of ${size} tokens; its kernel holds ${this.largestBlock}.`);
    this.probabilities.set(p.subarray(0, rows * size));
    const u = this.uniforms;
    for (let r = 0; r < rows; r++) u[r] = rng.next();
    this.k.draw(this.probabilitiesAt, this.uniformsAt, this.tokensAt, rows, size);
  }

  private grow(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
  }
}
