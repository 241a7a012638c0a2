/**
 * The learned attribute model of one table: encoders + MADE network, optionally conditioned on the primary
 * parent's attributes, with child-count heads for the table's children.
 */
import { SynthError } from '../../errors.js';
import { tableKey, type TableRef } from '../../schema/model.js';
import type { AttributeModel, ModelArtifact, Rng, Row, Value } from '../model.js';
import { encoderFromJSON, type ColumnEncoder, type EncoderJSON } from './encoders.js';
import { oneHot, specOf, type Layout, makeLayout } from './layout.js';
import { MadeNetwork } from './made.js';
import { drawToken, MadeSampler } from './made-sampler.js';
import { seededRng } from './seeded-rng.js';
import type { TrainReport } from './train.js';

export interface CountHead {
  foreignKey: string;
  childTable: TableRef;
  encoder: ColumnEncoder;
}

export interface LearnedArtifact extends ModelArtifact {
  kind: 'learned';
  version: 1;
  columns: string[];
  contextColumns: string[];
  encoders: EncoderJSON[];
  contextEncoders: EncoderJSON[];
  countHeads: Array<{ foreignKey: string; childTable: TableRef; encoder: EncoderJSON }>;
  hidden: number[];
  /** Per layer W then b, row-major float32, base64. */
  weights: string[];
  training: (TrainReport & { backend: string }) | null;
}

/** Rows per sampling pass: large enough that the per-token products are efficient matrix multiplies. */
const SAMPLE_CHUNK = 4096;

/** Token layout of a model: context tokens, every attribute's parts in column order, count heads. */
export function layoutFor(contextEncoders: ColumnEncoder[], encoders: ColumnEncoder[], countHeads: CountHead[]): Layout {
  return makeLayout(
    contextEncoders.map((e) => e.vocabSize),
    encoders.flatMap((e) => e.parts),
    countHeads.map((h) => h.encoder.vocabSize),
  );
}

function sampleToken(logits: Float32Array, offset: number, size: number, rng: Rng): number {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, logits[offset + k] as number);
  let total = 0;
  const p = new Float64Array(size);
  for (let k = 0; k < size; k++) total += p[k] = Math.exp((logits[offset + k] as number) - max);
  let u = rng.next() * total;
  for (let k = 0; k < size; k++) {
    u -= p[k] as number;
    if (u < 0) return k;
  }
  return size - 1;
}

export class LearnedModel implements AttributeModel {
  readonly kind = 'learned' as const;
  readonly columns: string[];
  readonly contextColumns: string[];
  readonly layout: Layout;
  /** Token columns of the attributes (numerics may take two). */
  private readonly attributeTokens: number;
  /** Built on the first `sample` call, from the trained weights. */
  private sampler: MadeSampler | null = null;
  /**
   * The rows the last `sample` call returned and, per count head, their children-count probabilities
   * ([rows × head size]) computed in the same pass: `predictChildCounts` of exactly those rows draws from them.
   */
  private lastDraw: { rows: Row[]; probabilities: Float32Array[] } | null = null;

  constructor(
    readonly table: TableRef,
    readonly encoders: ColumnEncoder[],
    readonly contextEncoders: ColumnEncoder[],
    readonly countHeads: CountHead[],
    readonly network: MadeNetwork | null,
    readonly hidden: number[],
    readonly training: (TrainReport & { backend: string }) | null = null,
  ) {
    this.columns = encoders.map((e) => e.column);
    this.contextColumns = contextEncoders.map((e) => e.column);
    this.layout = layoutFor(contextEncoders, encoders, countHeads);
    this.attributeTokens = encoders.reduce((a, e) => a + e.parts.length, 0);
  }

  /**
   * Fills the context token columns of `tokens` for rows [0, rows) from parent rows (null = no parent). Siblings
   * come in runs with equal parent values (in arrays of their own; other parents' columns may still differ): a value
   * equal to the row before's copies its token instead of encoding it again (encoding is a pure function of the value).
   */
  private fillContext(tokens: Int32Array, context: ReadonlyArray<Row | null> | null, from: number, rows: number): void {
    const w = this.layout.width;
    const encoders = this.contextEncoders;
    const k = encoders.length;
    for (let r = 0; r < rows; r++) {
      const parent = context ? context[from + r] : null;
      const before = r > 0 && context ? context[from + r - 1] : null;
      for (let j = 0; j < k; j++) {
        const v = parent ? parent[j] : undefined;
        if (before && parent && v === before[j]) tokens[r * w + j] = tokens[(r - 1) * w + j] as number;
        else tokens[r * w + j] = parent && v !== undefined ? (encoders[j] as ColumnEncoder).encode(v) : -1;
      }
    }
  }

  sample(n: number, context: ReadonlyArray<Row | null> | null, rng: Rng): Row[] {
    if (context && context.length < n) {
      throw new SynthError('INTERNAL', `Learned model of ${tableKey(this.table)} got ${context.length} parent rows for ${n} rows.`, {
        table: tableKey(this.table),
        hint: 'Pass one parent row (or null) per requested row.',
      });
    }
    const out: Row[] = [];
    const d = this.encoders.length;
    const ctx = this.contextEncoders.length;
    const w = this.layout.width;
    const heads = this.network ? this.countHeads.length : 0;
    const headSizes = this.countHeads.map((_, h) => (this.layout.outputs[this.attributeTokens + h] as { size: number }).size);
    const probabilities = headSizes.slice(0, heads).map((size) => new Float32Array(n * size));
    for (let from = 0; from < n; from += SAMPLE_CHUNK) {
      const rows = Math.min(SAMPLE_CHUNK, n - from);
      const tokens = new Int32Array(rows * w).fill(-1);
      this.fillContext(tokens, context, from, rows);
      if (this.network) {
        this.sampler ??= new MadeSampler(this.network, this.layout.inputs, this.layout.outputs);
        const p = this.sampler.sample(tokens, w, rows, this.attributeTokens, rng, heads);
        p.forEach((chunk, h) => (probabilities[h] as Float32Array).set(chunk.subarray(0, rows * (headSizes[h] as number)), from * (headSizes[h] as number)));
      }
      for (let r = 0; r < rows; r++) {
        const row: Value[] = new Array(d);
        let t = r * w + ctx;
        for (let c = 0; c < d; c++) {
          const enc = this.encoders[c] as ColumnEncoder;
          row[c] = enc.decodeParts(tokens, rng, t);
          t += enc.parts.length;
        }
        out.push(row);
      }
    }
    this.lastDraw = heads > 0 ? { rows: out, probabilities } : null;
    return out;
  }

  /**
   * Number of children each parent row gets in the relationship `foreignKey` (the child table's FK name),
   * drawn from the count head given the parent's attributes (`parentRows` in `columns` order) and, when this
   * model is itself conditioned, the parent's own parent rows (`context`, in `contextColumns` order).
   */
  predictChildCounts(parentRows: Row[], foreignKey: string, rng: Rng, context: ReadonlyArray<Row | null> | null = null): number[] {
    const h = this.countHeads.findIndex((c) => c.foreignKey === foreignKey);
    if (h < 0 || !this.network) {
      throw new SynthError('INTERNAL', `Learned model of ${tableKey(this.table)} has no child-count head for foreign key ${foreignKey}.`, {
        table: tableKey(this.table),
        hint: 'Pass the relationship in childCounts when fitting the parent table.',
      });
    }
    const countHead = this.countHeads[h] as CountHead;
    const drawn = this.lastDraw?.rows === parentRows ? this.lastDraw.probabilities[h] : undefined;
    if (drawn) {
      // The rows the last `sample` drew: their count probabilities came out of the same pass.
      const size = (this.layout.outputs[this.attributeTokens + h] as { size: number }).size;
      return parentRows.map((_, r) => Math.max(0, Math.round(Number(countHead.encoder.decode(drawToken(drawn, r * size, size, rng), rng) ?? 0))));
    }
    const d = this.encoders.length;
    const ctx = this.contextEncoders.length;
    const w = this.layout.width;
    const out: number[] = [];
    for (let from = 0; from < parentRows.length; from += SAMPLE_CHUNK) {
      const rows = Math.min(SAMPLE_CHUNK, parentRows.length - from);
      const tokens = new Int32Array(rows * w).fill(-1);
      this.fillContext(tokens, context, from, rows);
      for (let r = 0; r < rows; r++) {
        const pr = parentRows[from + r] as Row;
        let t = r * w + ctx;
        for (let c = 0; c < d; c++) for (const p of (this.encoders[c] as ColumnEncoder).encodeParts(pr[c] ?? null)) tokens[t++] = p;
      }
      const head = this.attributeTokens + h;
      const size = (this.layout.outputs[head] as { size: number }).size;
      const logits = this.network.logitsFor(oneHot(this.layout.inputs, tokens, w, Int32Array.from({ length: rows }, (_, i) => i)), rows, head);
      for (let r = 0; r < rows; r++) {
        const tok = sampleToken(logits, r * size, size, rng);
        const v = countHead.encoder.decode(tok, rng);
        out.push(Math.max(0, Math.round(Number(v ?? 0))));
      }
    }
    return out;
  }

  toJSON(): LearnedArtifact {
    return {
      kind: 'learned',
      table: { schema: this.table.schema, name: this.table.name },
      version: 1,
      columns: this.columns,
      contextColumns: this.contextColumns,
      encoders: this.encoders.map((e) => e.toJSON()),
      contextEncoders: this.contextEncoders.map((e) => e.toJSON()),
      countHeads: this.countHeads.map((h) => ({ foreignKey: h.foreignKey, childTable: h.childTable, encoder: h.encoder.toJSON() })),
      hidden: this.hidden,
      weights: this.network
        ? this.network.weights().map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('base64'))
        : [],
      training: this.training,
    };
  }

  /** Frees the tensors; the model cannot sample afterwards. */
  dispose(): void {
    this.sampler?.dispose();
    this.sampler = null;
    this.lastDraw = null;
    this.network?.dispose();
  }
}

/** Base64 float32 → array, or null when the text cannot be one. */
function decodeWeights(b64: unknown): Float32Array | null {
  if (typeof b64 !== 'string') return null;
  const buf = Buffer.from(b64, 'base64');
  if (buf.byteLength % 4 !== 0) return null;
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

/** Rebuilds a model from `toJSON()` output. */
export function learnedModelFromArtifact(a: ModelArtifact): LearnedModel {
  const art = a as Partial<LearnedArtifact>;
  const where = a.table ? tableKey(a.table) : '(unknown table)';
  if (a.kind !== 'learned' || art.version !== 1 || !Array.isArray(art.encoders) || !Array.isArray(art.weights) || !Array.isArray(art.hidden)) {
    throw new SynthError('MODEL_NOT_FOUND', `Stored model for ${where} is not a learned model artifact of version 1.`, {
      table: where,
      hint: 'Retrain the models with `synth train`.',
    });
  }
  const encoders = art.encoders.map(encoderFromJSON);
  const contextEncoders = (art.contextEncoders ?? []).map(encoderFromJSON);
  const countHeads = (art.countHeads ?? []).map((h) => ({ foreignKey: h.foreignKey, childTable: h.childTable, encoder: encoderFromJSON(h.encoder) }));
  const layout = layoutFor(contextEncoders, encoders, countHeads);
  const weights = art.weights.map(decodeWeights);
  const sizes = [layout.inputs.reduce((a, b) => a + b.size, 0), ...art.hidden, layout.outputs.reduce((a, b) => a + b.size, 0)];
  const expected = sizes.slice(1).flatMap((out, l) => [(sizes[l] as number) * out, out]);
  if (weights.length > 0 && (weights.length !== expected.length || weights.some((w, i) => w === null || w.length !== expected[i]))) {
    throw new SynthError('MODEL_NOT_FOUND', `Stored learned model for ${where} has weights that do not fit its encoders.`, {
      table: where,
      hint: 'The stored model is damaged or from another synth version: retrain with `synth train`.',
    });
  }
  const network = weights.length > 0 ? new MadeNetwork(specOf(layout, art.hidden), seededRng(0), weights as Float32Array[]) : null;
  return new LearnedModel({ schema: a.table.schema, name: a.table.name }, encoders, contextEncoders, countHeads, network, art.hidden, art.training ?? null);
}

