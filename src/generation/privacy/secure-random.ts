/**
 * The random source of every DP mechanism: an AES-256-CTR keystream (a CSPRNG, hardware-accelerated, so
 * millions of draws per training step cost milliseconds). In production the key comes from
 * `crypto.randomBytes`; the deterministic mode derives it from a seed string and exists ONLY for tests and
 * reproducible non-private runs. Math.random is never used: its state is guessable, which would let an
 * attacker subtract the noise.
 */
import { createCipheriv, createHash, createHmac, randomBytes, type Cipher } from 'node:crypto';
import { SynthError } from '../../errors.js';
import type { Rng } from '../model.js';

const CHUNK = 64 * 1024;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class SecureRandom implements Rng {
  private readonly key: Buffer;
  private readonly cipher: Cipher;
  private readonly zeros = Buffer.alloc(CHUNK);
  private buf: Uint32Array = new Uint32Array(0);
  private pos = 0;
  private spareNormal: number | null = null;
  readonly deterministic: boolean;

  private constructor(key: Buffer, deterministic: boolean) {
    this.key = key;
    this.deterministic = deterministic;
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  /** Keyed from the operating system's CSPRNG: the mode every real run uses. */
  static secure(): SecureRandom {
    return new SecureRandom(randomBytes(32), false);
  }

  /**
   * Reproducible stream from a seed. For tests only: the noise of a DP release must never be predictable,
   * so outside a test runner (vitest, NODE_ENV=test) this refuses unless SYNTH_ALLOW_SEEDED_DP_NOISE=1.
   */
  static seededForTests(seed: string): SecureRandom {
    const env = process.env;
    if (!env.VITEST && env.NODE_ENV !== 'test' && env.SYNTH_ALLOW_SEEDED_DP_NOISE !== '1') {
      throw new SynthError('INTERNAL', 'Seeded (predictable) DP noise was requested outside a test run.', {
        hint: 'Use SecureRandom.secure() for every real run; seeded noise would let anyone with the seed remove it.',
      });
    }
    return new SecureRandom(createHash('sha256').update(`synth-dp-test:${seed}`).digest(), true);
  }

  /** Fills `out` with uniform 32-bit words straight from the keystream. */
  fillUint32(out: Uint32Array): Uint32Array {
    let filled = 0;
    while (filled < out.length) {
      if (this.pos >= this.buf.length) this.refill();
      const take = Math.min(out.length - filled, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + take), filled);
      this.pos += take;
      filled += take;
    }
    return out;
  }

  private refill(): void {
    const bytes = this.cipher.update(this.zeros);
    // A Uint32Array view needs 4-byte alignment; copy in the (unusual) case the buffer is not aligned.
    this.buf =
      bytes.byteOffset % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
        : new Uint32Array(Uint8Array.prototype.slice.call(bytes).buffer);
    this.pos = 0;
  }

  private word(): number {
    if (this.pos >= this.buf.length) this.refill();
    return this.buf[this.pos++]!;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.word() >>> 5; // 27 bits
    const lo = this.word() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform in (0, 1): never 0, so logarithms stay finite. */
  nextOpen(): number {
    const hi = this.word() >>> 5;
    const lo = this.word() >>> 6;
    return (hi * 67108864 + lo + 0.5) / TWO_POW_53;
  }

  /** Unbiased integer in [0, n) (rejection sampling below 2^32, 53-bit float above). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`int(n) needs n >= 1, got ${n}`);
    if (n > TWO_POW_32) return Math.floor(this.next() * n);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const t = 2 * Math.PI * this.next();
    this.spareNormal = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** Laplace(0, scale) by inversion. */
  laplace(scale: number): number {
    const u = this.nextOpen() - 0.5;
    return -scale * Math.sign(u) * Math.log1p(-2 * Math.abs(u));
  }

  /** A child stream that depends only on this stream's key and `label`. */
  fork(label: string): SecureRandom {
    return new SecureRandom(createHmac('sha256', this.key).update(label).digest(), this.deterministic);
  }

  /**
   * `n` draws of N(0, sigma²) as Float32Array (Box-Muller over 32-bit words; the radius uses a 53-bit
   * uniform so the tails reach ~8.5σ instead of being cut at 6.7σ).
   */
  gaussian(n: number, sigma: number): Float32Array {
    const out = new Float32Array(n);
    const pairs = Math.ceil(n / 2);
    const words = new Uint32Array(Math.min(pairs, 1 << 16) * 3);
    let i = 0;
    while (i < n) {
      const batchPairs = Math.min(Math.ceil((n - i) / 2), words.length / 3);
      this.fillUint32(words.length === batchPairs * 3 ? words : words.subarray(0, batchPairs * 3));
      for (let p = 0; p < batchPairs; p++) {
        const w0 = words[3 * p]!;
        const w1 = words[3 * p + 1]!;
        const w2 = words[3 * p + 2]!;
        const u1 = ((w0 >>> 5) * 67108864 + (w1 >>> 6) + 0.5) / TWO_POW_53;
        const r = sigma * Math.sqrt(-2 * Math.log(u1));
        const t = (2 * Math.PI * w2) / TWO_POW_32;
        out[i++] = r * Math.cos(t);
        if (i < n) out[i++] = r * Math.sin(t);
      }
    }
    return out;
  }
}

let shared: SecureRandom | null = null;

/** The process-wide secure source, keyed once from the OS CSPRNG. */
export function secureRandom(): SecureRandom {
  shared ??= SecureRandom.secure();
  return shared;
}

/** `n` Gaussian draws N(0, sigma²) from `rng` (default: the process-wide secure source). */
export function gaussianNoise(n: number, sigma: number, rng: SecureRandom = secureRandom()): Float32Array {
  if (!(sigma >= 0)) throw new RangeError(`sigma must be >= 0, got ${sigma}`);
  return rng.gaussian(n, sigma);
}
