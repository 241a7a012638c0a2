/**
 * Fresh credentials of a detected shape, and the run's scrubber: every sample read from the source has its credential
 * columns replaced before anything (PII scan, models, DP, copy filters) sees it, and every generated batch gets fresh
 * values again, so the target always holds well-formed credentials that match no real one. Values come from the
 * run's seeded generator: same seed, same output.
 */
import { createHash } from 'node:crypto';
import type { Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import type { Rng } from '../model.js';
import { createRng } from '../rng.js';
import { BCRYPT_ALPHABET, HEX_DIGEST_LENGTHS, detectCredentials, type CredentialPlan, type CredentialShape } from './credential-detect.js';

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

/** bcrypt's own base64 (alphabet `./A-Za-z0-9`, no padding): 16 salt bytes → 22 chars, 23 hash bytes → 31 chars. */
function bcryptBase64(bytes: Buffer, length: number): string {
  let out = '';
  let i = 0;
  while (out.length < length) {
    const c1 = bytes[i++] ?? 0;
    out += BCRYPT_ALPHABET[c1 >> 2];
    let c2 = ((c1 & 0x03) << 4);
    if (i >= bytes.length) {
      out += BCRYPT_ALPHABET[c2];
      break;
    }
    const b2 = bytes[i++]!;
    c2 |= b2 >> 4;
    out += BCRYPT_ALPHABET[c2];
    let c3 = (b2 & 0x0f) << 2;
    if (i >= bytes.length) {
      out += BCRYPT_ALPHABET[c3];
      break;
    }
    const b3 = bytes[i++]!;
    c3 |= b3 >> 6;
    out += BCRYPT_ALPHABET[c3];
    out += BCRYPT_ALPHABET[b3 & 0x3f];
  }
  return out.slice(0, length);
}

/**
 * One fresh value of a shape. Hex digests are real digests (same algorithm, by length) of a random password; bcrypt
 * hashes keep the cost and get a canonically encoded random salt and hash, so a bcrypt library parses them and no
 * password verifies against them; other formats keep their prefix (algorithm, parameters) and part lengths.
 */
export function freshCredential(shape: CredentialShape, rng: Rng): string {
  switch (shape.format) {
    case 'bcrypt':
      return `${shape.prefix}${bcryptBase64(randomBytesFrom(rng, 16), 22)}${bcryptBase64(randomBytesFrom(rng, 23), 31)}`;
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

  constructor(private readonly seed: number) {}

  /** A copy of `sample` whose credential columns hold fresh values (NULLs stay NULL). */
  scrub<S extends { columns: string[]; rows: Row[] }>(table: Table, sample: S): S {
    const key = tableKey(table);
    let plans = this.plans.get(key);
    if (plans === undefined) {
      plans = detectCredentials(table, sample);
      this.plans.set(key, plans);
    }
    const at = plans.map((p) => ({ plan: p, index: sample.columns.indexOf(p.column) })).filter((p) => p.index >= 0);
    if (at.length === 0 || sample.rows.length === 0) return sample;
    const read = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, read);
    const rng = createRng(this.seed, `credentials:sample:${key}:${read}`);
    const rows = sample.rows.map((row) => {
      const copy = row.slice();
      for (const { plan, index } of at) if (copy[index] !== null && copy[index] !== undefined) copy[index] = freshCredential(drawShape(plan, rng), rng);
      return copy;
    });
    return { ...sample, rows };
  }

  /** The table's credential columns: as sampled, or by name alone when nothing was sampled (models reused). */
  plansFor(table: Table): CredentialPlan[] {
    return this.plans.get(tableKey(table)) ?? detectCredentials(table, { columns: [], rows: [] });
  }

  isCredential(table: Table, column: string): boolean {
    return this.plansFor(table).some((p) => p.column === column);
  }

  /** Generated batches with fresh credentials in the credential columns, whatever the model produced there. */
  replaceIn<B extends { columns: string[]; rows: Row[] }>(table: Table, batches: AsyncIterable<B>): AsyncIterable<B> {
    const plans = this.plansFor(table);
    if (plans.length === 0) return batches;
    const rng = createRng(this.seed, `credentials:generated:${tableKey(table)}`);
    return (async function* () {
      for await (const batch of batches) {
        const at = plans.map((p) => ({ plan: p, index: batch.columns.indexOf(p.column) })).filter((p) => p.index >= 0);
        if (at.length === 0) {
          yield batch;
          continue;
        }
        const rows = batch.rows.map((row) => {
          const copy = row.slice();
          for (const { plan, index } of at) if (copy[index] !== null && copy[index] !== undefined) copy[index] = freshCredential(drawShape(plan, rng), rng);
          return copy;
        });
        yield { ...batch, rows };
      }
    })();
  }

  report(): CredentialColumnReport[] {
    return [...this.plans.entries()].flatMap(([table, plans]) =>
      plans.map((p) => ({ table, column: p.column, formats: [...new Set(p.shapes.map((s) => s.shape.format))], reason: p.reason })),
    );
  }
}
