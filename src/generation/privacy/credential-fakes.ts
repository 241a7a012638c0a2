/**
 * Fresh credentials of a detected shape, and the run's scrubber: every sample read from the source has its credential
 * columns replaced before anything (PII scan, models, DP, copy filters) sees it, and every generated batch gets fresh
 * values again, so the target always holds well-formed credentials that match no real one. Values come from the
 * run's seeded generator: same seed, same output.
 */
import { createHash } from 'node:crypto';
import type { DatabaseSchema, Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import type { Rng } from '../model.js';
import { createRng } from '../rng.js';
import { seedScope } from '../seed-scope.js';
import type { SynthConfig } from '../../config/schema.js';
import type { TableRef } from '../../schema/model.js';
import { UNIQUE_BCRYPT_COST, bcryptOf, pooledBcrypt } from './credential-bcrypt.js';
import { HEX_DIGEST_LENGTHS, detectCredentials, type CredentialOverrides, type CredentialPlan, type CredentialShape } from './credential-detect.js';

function randomBytesFrom(rng: Rng, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function randomChars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

/** How a column's stream draws bcrypt hashes: from the column's pool (the `draw`-th value of the stream), or one per row. */
export interface BcryptDraw {
  pool: string;
  draw: number;
  unique: boolean;
}

/**
 * One fresh value of a shape. bcrypt values are real hashes of a random password at the shape's cost (from the
 * column's pool with `bcrypt`, credential-bcrypt.ts); hex digests are real digests (same algorithm, by length) of a
 * random password; binary values are random bytes of the same length; other formats keep their prefix (algorithm,
 * parameters) and part lengths, with random salt and hash.
 */
export function freshCredential(shape: CredentialShape, rng: Rng, bcrypt?: BcryptDraw): string | Uint8Array {
  switch (shape.format) {
    case 'bcrypt':
      if (bcrypt?.unique) return bcryptOf(shape.prefix, rng, UNIQUE_BCRYPT_COST).hash;
      return bcrypt ? pooledBcrypt(`${bcrypt.pool}|${shape.prefix}`, shape.prefix, bcrypt.draw, rng) : bcryptOf(shape.prefix, rng).hash;
    case 'bytes':
      return randomBytesFrom(rng, shape.parts[0] ?? 32);
    case 'hex': {
      const length = shape.parts[0] ?? 40;
      const algorithm = HEX_DIGEST_LENGTHS.get(length);
      const hex = algorithm
        ? createHash(algorithm).update(randomBytesFrom(rng, 24)).digest('hex')
        : randomChars(rng, '0123456789abcdef', length);
      return shape.alphabet.includes('A') ? hex.toUpperCase() : hex;
    }
    default:
      return `${shape.prefix}${shape.parts.map((n) => randomChars(rng, shape.alphabet, n)).join('$')}${'='.repeat(shape.padding)}`;
  }
}

function drawShape(plan: CredentialPlan, rng: Rng): CredentialShape {
  let u = rng.next();
  for (const s of plan.shapes) if ((u -= s.weight) < 0) return s.shape;
  return plan.shapes[0]!.shape;
}

/** What the run did to one credential column, for events and the report (formats only, never a value). */
export interface CredentialColumnReport {
  table: string;
  column: string;
  formats: string[];
  reason: string;
}

/**
 * The credential columns of one run. The first sample of a table decides its columns and shapes; later reads of
 * the same table (parent rows for the learned model, entity units) are scrubbed with the same decision.
 */
export class CredentialScrubber {
  private readonly plans = new Map<string, CredentialPlan[]>();
  private readonly reads = new Map<string, number>();

  /**
   * `overrides`: a table's `tables.<t>.columns` config; a column there with `transform: 'keep'` is never replaced.
   * `source`: the introspected schema, whose default schema is seeded under a fixed name (seed-scope.ts).
   */
  constructor(
    private readonly seed: number,
    private readonly overrides: (table: TableRef) => CredentialOverrides | undefined = () => undefined,
    private readonly source?: Pick<DatabaseSchema, 'defaultSchema'>,
  ) {}

  /** The run's scrubber: seeded by the config, honouring its `transform: 'keep'` overrides. */
  static forConfig(config: SynthConfig, source?: Pick<DatabaseSchema, 'defaultSchema'>): CredentialScrubber {
    return new CredentialScrubber(config.seed, (t) => (config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name])?.columns, source);
  }

  /**
   * Fresh values for the rows' credential columns (NULLs stay NULL); `start` is the first row's index in its table,
   * which numbers the bcrypt draws (so a row's draw depends on its position alone, not on the rows before it).
   */
  private replaceRows(table: Table, plans: readonly CredentialPlan[], columns: readonly string[], rows: readonly Row[], rng: Rng, start: number): Row[] {
    const at = plans.map((p) => ({ plan: p, index: columns.indexOf(p.column) })).filter((p) => p.index >= 0);
    return rows.map((row, r) => {
      const copy = row.slice();
      for (const { plan, index } of at) {
        if (copy[index] === null || copy[index] === undefined) continue;
        const draw = start + r;
        const pool = `${this.seed}|${seedScope(this.source, table)}|${plan.column}`;
        copy[index] = freshCredential(drawShape(plan, rng), rng, { pool, draw, unique: plan.unique === true });
      }
      return copy;
    });
  }

  /** A copy of `sample` whose credential columns hold fresh values (NULLs stay NULL). */
  scrub<S extends { columns: string[]; rows: Row[] }>(table: Table, sample: S): S {
    const key = tableKey(table);
    let plans = this.plans.get(key);
    if (plans === undefined) {
      plans = detectCredentials(table, sample, { overrides: this.overrides(table) });
      this.plans.set(key, plans);
    }
    const at = plans.map((p) => ({ plan: p, index: sample.columns.indexOf(p.column) })).filter((p) => p.index >= 0);
    if (at.length === 0 || sample.rows.length === 0) return sample;
    const read = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, read);
    const rng = createRng(this.seed, `credentials:sample:${seedScope(this.source, table)}:${read}`);
    return { ...sample, rows: this.replaceRows(table, plans, sample.columns, sample.rows, rng, 0) };
  }

  /** The table's credential columns: as sampled, or by name alone when nothing was sampled (models reused). */
  plansFor(table: Table): CredentialPlan[] {
    return this.plans.get(tableKey(table)) ?? detectCredentials(table, { columns: [], rows: [] }, { overrides: this.overrides(table) });
  }

  isCredential(table: Table, column: string): boolean {
    return this.plansFor(table).some((p) => p.column === column);
  }

  /**
   * Generated batches with fresh credentials in the credential columns, whatever the model produced there. Each
   * batch draws from a stream seeded by its first row's index in the table (a windowed batch says it, others follow
   * each other from row 0), so a shard of a distributed run gets the same values without the rows before it.
   */
  replaceIn<B extends { columns: string[]; rows: Row[]; start?: number }>(table: Table, batches: AsyncIterable<B>): AsyncIterable<B> {
    const plans = this.plansFor(table);
    if (plans.length === 0) return batches;
    const key = tableKey(table);
    const replace = (batch: B, start: number): B => ({ ...batch, rows: this.replaceRows(table, plans, batch.columns, batch.rows, createRng(this.seed, `credentials:generated:${seedScope(this.source, table)}:${start}`), start) });
    return (async function* () {
      let next = 0;
      for await (const batch of batches) {
        const start = batch.start ?? next;
        next = start + batch.rows.length;
        yield replace(batch, start);
      }
    })();
  }

  report(): CredentialColumnReport[] {
    return [...this.plans.entries()].flatMap(([table, plans]) =>
      plans.map((p) => ({ table, column: p.column, formats: [...new Set(p.shapes.map((s) => s.shape.format))], reason: p.reason })),
    );
  }
}
