/**
 * Token matrix ↔ network batches. Rows are held as token ids (one Int32 per column), never as one-hot floats,
 * so a training sample costs 4 bytes per cell; one-hot batches are built per step.
 */
import type { Block, EncodedBatch, MadeSpec } from './made.js';

export interface TokenBlock extends Block {
  /** Column of the token matrix this block reads. */
  token: number;
}

export interface Layout {
  /** Token columns: context columns, then attribute columns, then child-count heads. */
  width: number;
  inputs: TokenBlock[];
  outputs: TokenBlock[];
}

/**
 * `contextSizes`, `columnSizes`, `countSizes`: vocabulary sizes. Context feeds every unit (degree 0), attribute
 * column c (1-based) has degree c, and the count heads come last so they see every attribute.
 */
export function makeLayout(contextSizes: number[], columnSizes: number[], countSizes: number[]): Layout {
  const inputs: TokenBlock[] = [];
  const outputs: TokenBlock[] = [];
  let t = 0;
  for (const size of contextSizes) inputs.push({ token: t++, size, degree: 0 });
  columnSizes.forEach((size, c) => {
    inputs.push({ token: t, size, degree: c + 1 });
    outputs.push({ token: t, size, degree: c + 1 });
    t++;
  });
  for (const size of countSizes) outputs.push({ token: t++, size, degree: columnSizes.length + 1 });
  return { width: t, inputs, outputs };
}

export function specOf(layout: Layout, hidden: number[]): MadeSpec {
  return {
    inputs: layout.inputs.map(({ size, degree }) => ({ size, degree })),
    outputs: layout.outputs.map(({ size, degree }) => ({ size, degree })),
    hidden,
  };
}

function width(blocks: TokenBlock[]): number {
  return blocks.reduce((a, b) => a + b.size, 0);
}

/** One-hot input row block for the given token rows; a negative token (missing parent, not yet sampled) is all zero. */
export function oneHot(blocks: TokenBlock[], tokens: Int32Array, layoutWidth: number, rows: ArrayLike<number>): Float32Array {
  const w = width(blocks);
  const out = new Float32Array(rows.length * w);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * layoutWidth;
    let off = r * w;
    for (const b of blocks) {
      const tok = tokens[base + b.token] as number;
      if (tok >= 0 && tok < b.size) out[off + tok] = 1;
      off += b.size;
    }
  }
  return out;
}

export function batchOf(layout: Layout, tokens: Int32Array, rows: ArrayLike<number>): EncodedBatch {
  return {
    size: rows.length,
    input: oneHot(layout.inputs, tokens, layout.width, rows),
    target: oneHot(layout.outputs, tokens, layout.width, rows),
    rows: Int32Array.from(rows),
    sparse: inputNonzeros(layout.inputs, tokens, layout.width, rows),
    targetIndex: tokenIndex(layout.outputs, tokens, layout.width, rows),
  };
}

/** The nonzeros of `oneHot(blocks, …)` (rows ascending, columns ascending within a row), straight from the tokens. */
function inputNonzeros(blocks: TokenBlock[], tokens: Int32Array, layoutWidth: number, rows: ArrayLike<number>): { index: Int32Array; row: Int32Array } {
  const index = new Int32Array(rows.length * blocks.length);
  const row = new Int32Array(rows.length * blocks.length);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * layoutWidth;
    let off = 0;
    for (const b of blocks) {
      const tok = tokens[base + b.token] as number;
      if (tok >= 0 && tok < b.size) {
        index[k] = off + tok;
        row[k++] = r;
      }
      off += b.size;
    }
  }
  return { index: index.subarray(0, k), row: row.subarray(0, k) };
}

/** Each row's token per block ([rows × blocks], negative or past the block: none). */
function tokenIndex(blocks: TokenBlock[], tokens: Int32Array, layoutWidth: number, rows: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length * blocks.length);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * layoutWidth;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b] as TokenBlock;
      const tok = tokens[base + block.token] as number;
      out[r * blocks.length + b] = tok >= 0 && tok < block.size ? tok : -1;
    }
  }
  return out;
}
