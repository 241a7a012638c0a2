/**
 * MST as a table's attribute model under DP: which tables get it (`mstChoice`, from the schema, sample size and
 * budget share alone, so the choice itself releases nothing), fitting it on the columns the table's DP specs
 * already code (categories of a DP vocabulary, bins of DP quantiles), and drawing rows from it (a bin's value
 * uniform inside the bin). Columns no spec codes (free text, uuids, faked personal columns) stay with the
 * independent DP marginals of the baseline.
 */
import { SynthError } from '../../errors.js';
import type { Column, Table, TableRef } from '../../schema/model.js';
import { findColumn, tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import { BaselineModel } from '../baseline/baseline-model.js';
import type { ColumnModelSpec } from '../baseline/column-spec.js';
import { conformValue } from '../conform.js';
import { encoderFromJSON, type ColumnEncoder, type EncoderJSON } from '../learned/encoders.js';
import type { AttributeModel, ModelArtifact, Rng, TableSample } from '../model.js';
import { encoderFromSpec } from './dp-columns.js';
import { fitMst, mstScales, sampleMst, type MstModel } from './dp-mst.js';
import type { DpContext } from './mechanisms.js';

export const MST_VERSION = 1;
/** Share of an MST table's ε given to MST (the rest buys the row count, histograms and the columns' DP specs). */
export const MST_SHARE = 0.5;
/** MST is chosen when its 2-way noise (σ per cell, in rows) stays under this fraction of the training rows. */
export const MST_MAX_NOISE_SHARE = 0.02;

/** Column types a DP spec can code for MST (decided from the schema: a text column may still end up uncoded). */
const CODABLE = new Set(['integer', 'decimal', 'float', 'money', 'year', 'date', 'timestamp', 'boolean', 'enum', 'text']);

export interface MstChoice {
  mst: boolean;
  /** Candidate columns (private attributes of a codable type). */
  columns: number;
  rows: number;
  /** ρ (zCDP) MST would get, from the table's budget share. */
  rho: number;
  /** One line for `synth plan`. */
  reason: string;
}

/** ρ-zCDP whose (ε, δ) conversion (ρ + 2√(ρ ln 1/δ)) is ε: the MST share's ρ. */
export function rhoForEpsilon(epsilon: number, delta: number): number {
  const l = Math.log(1 / delta);
  return (Math.sqrt(l + epsilon) - Math.sqrt(l)) ** 2;
}

/**
 * Whether a table's attributes come from MST: at least two candidate columns, and the noise of each measured
 * 2-way marginal (σ₂ × contribution rows) small against the training rows, so the tree's tables say more than
 * noise. `epsilon`: the table's ε share, `contribution`: rows one privacy unit adds to it.
 */
export function mstChoice(candidates: number, rows: number, epsilon: number, delta: number, contribution = 1): MstChoice {
  const rho = rhoForEpsilon(epsilon * MST_SHARE, delta);
  const base = { columns: candidates, rows, rho };
  if (candidates < 2) return { ...base, mst: false, reason: `independent marginals: ${candidates} column(s) to correlate` };
  const noise = mstScales(candidates, rho).sigma2 * contribution;
  const share = rows > 0 ? noise / rows : Infinity;
  const figures = `${candidates} columns, ${rows} rows, ε share ${epsilon.toFixed(3)} (MST ρ ${rho.toPrecision(2)}): 2-way noise σ ${noise.toFixed(1)} rows = ${(share * 100).toFixed(1)} % of the rows`;
  return share <= MST_MAX_NOISE_SHARE
    ? { ...base, mst: true, reason: `MST: ${figures}` }
    : { ...base, mst: false, reason: `independent marginals: ${figures} (MST above ${MST_MAX_NOISE_SHARE * 100} %)` };
}

/** Candidate MST columns of a table, from the schema and config alone. */
export function mstCandidates(table: Table, attrs: Column[], isPublic: (c: string) => boolean, fake: (c: Column) => boolean): Column[] {
  return attrs.filter((c) => CODABLE.has(c.type.kind) && !isPublic(c.name) && !fake(c));
}

export interface MstArtifact extends ModelArtifact {
  kind: 'mst';
  /** Attribute columns in output order. */
  columns: string[];
  mst: MstModel;
  encoders: EncoderJSON[];
  /** Columns MST does not code, drawn independently. */
  rest: ColumnModelSpec[];
}

export class MstAttributeModel implements AttributeModel {
  readonly kind = 'mst' as const;
  readonly table: TableRef;
  readonly contextColumns: string[] = [];
  private readonly encoders: ColumnEncoder[];
  private readonly cols: Column[];
  private readonly rest: BaselineModel | null;

  constructor(
    table: Table,
    readonly columns: string[],
    private readonly mst: MstModel,
    private readonly encoderJson: EncoderJSON[],
    private readonly restSpecs: ColumnModelSpec[],
  ) {
    this.table = { schema: table.schema, name: table.name };
    this.encoders = encoderJson.map(encoderFromJSON);
    this.cols = this.encoders.map((e) => {
      const c = findColumn(table, e.column);
      if (!c) {
        throw new SynthError('MODEL_NOT_FOUND', `The MST model of ${tableKey(table)} names column ${e.column}, which the schema does not have.`, {
          table: tableKey(table),
          column: e.column,
          hint: 'The schema changed since the model was trained: run `synth train` again.',
        });
      }
      return c;
    });
    this.rest = restSpecs.length > 0 ? new BaselineModel(table, restSpecs) : null;
  }

  sample(n: number, _context: Row[] | null, rng: Rng): Row[] {
    const codes = sampleMst(this.mst, n, rng.fork('mst'));
    const decode = rng.fork('mst-decode');
    const rest = this.rest?.sample(n, null, rng.fork('rest')) ?? [];
    const where = new Map<string, [number, number]>();
    this.encoders.forEach((e, i) => where.set(e.column, [0, i]));
    this.restSpecs.forEach((s, i) => where.set(s.column, [1, i]));
    const out: Row[] = new Array(n);
    for (let r = 0; r < n; r++) {
      out[r] = this.columns.map((c) => {
        const [src, i] = where.get(c)!;
        return src === 0 ? conformValue(this.encoders[i]!.decode(codes[r]![i]!, decode), this.cols[i]!) : rest[r]![i]!;
      });
    }
    return out;
  }

  toJSON(): MstArtifact {
    return { kind: 'mst', table: this.table, version: MST_VERSION, columns: this.columns, mst: this.mst, encoders: this.encoderJson, rest: this.restSpecs };
  }
}

export function mstFromArtifact(artifact: ModelArtifact, table: Table): MstAttributeModel {
  const a = artifact as Partial<MstArtifact>;
  if (a.kind !== 'mst' || a.version !== MST_VERSION || !a.mst || !Array.isArray(a.encoders) || !Array.isArray(a.columns) || !Array.isArray(a.rest)) {
    throw new SynthError('MODEL_NOT_FOUND', `The stored model of ${tableKey(table)} is not an MST model of version ${MST_VERSION}.`, {
      table: tableKey(table),
      hint: 'Run `synth train` again to rebuild the models.',
    });
  }
  return new MstAttributeModel(table, a.columns, a.mst, a.encoders, a.rest);
}

/**
 * Fits MST at ρ on the attribute columns whose DP spec codes them (`encoderFromSpec`), charging `ctx.ledger`;
 * the other columns keep their spec. Null when fewer than two columns are coded (nothing to correlate): the
 * caller keeps the independent marginals and MST spends nothing.
 */
export function fitMstAttributes(
  table: Table,
  sample: TableSample,
  attrs: Column[],
  specs: Map<string, ColumnModelSpec>,
  candidates: ReadonlySet<string>,
  rho: number,
  ctx: DpContext,
): MstAttributeModel | null {
  const coded: Array<{ column: Column; encoder: ColumnEncoder }> = [];
  for (const c of attrs) {
    if (!candidates.has(c.name)) continue;
    const encoder = encoderFromSpec(c, specs.get(c.name)!);
    if (encoder && encoder.vocabSize >= 1) coded.push({ column: c, encoder });
  }
  if (coded.length < 2) return null;
  const index = coded.map(({ column }) => sample.columns.indexOf(column.name));
  const rows = sample.rows.map((row) => coded.map(({ encoder }, i) => Math.min(encoder.vocabSize - 1, Math.max(0, encoder.encode(row[index[i]!] ?? null)))));
  const model = fitMst(rows, coded.map(({ column, encoder }) => ({ name: column.name, size: encoder.vocabSize })), rho, ctx);
  const codedNames = new Set(coded.map((x) => x.column.name));
  const rest = attrs.filter((c) => !codedNames.has(c.name)).map((c) => specs.get(c.name)!);
  return new MstAttributeModel(table, attrs.map((c) => c.name), model, coded.map((x) => x.encoder.toJSON()), rest);
}
