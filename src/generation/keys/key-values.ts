/** Per-column key functions, built at generation time knowing N: row index → a distinct key value. */
import { SynthError } from '../../errors.js';
import type { Column, Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { conformDecimal, formatEpoch, formatTimeOfDay, integerRange, utc } from '../conform.js';
import { hashWords } from '../rng.js';
import { fitColumnKey, type KeyColumnStats } from './key-stats.js';

export function impossible(table: Table, column: string, message: string, hint: string): SynthError {
  return new SynthError('UNIQUENESS_IMPOSSIBLE', `${tableKey(table)}.${column}: ${message}`, {
    table: tableKey(table),
    column,
    hint,
  });
}

const CLASS_CHARS: Record<string, string> = { U: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', L: 'abcdefghijklmnopqrstuvwxyz', D: '0123456789' };

/** An affine bijection on [0, cap): spreads sequential indexes over the key space, still collision-free. */
function affine(cap: bigint, base: bigint, seedText: string): (i: bigint) => bigint {
  const [w0, w1, w2] = hashWords(seedText);
  const a = base * (BigInt(w0) % 1000003n + 1n) + 1n; // ≡ 1 mod every prime of base, so coprime to base^L
  const b = ((BigInt(w1) << 32n) | BigInt(w2)) % cap;
  return (i) => (a * i + b) % cap;
}

export type KeyFn = (i: number) => Value;

/** Builds `keyAt` for one column of a table with `n` rows, or explains why n distinct values cannot exist. */
/** `scope`: the table's seed scope (seed-scope.ts), so keys do not depend on the source database's name. */
export function makeKeyFn(table: Table, column: Column, stats: KeyColumnStats | undefined, n: number, seed: number, scope = tableKey(table)): KeyFn {
  const s = stats ?? fitColumnKey(column, []);
  const t = column.type;
  const lengthHint = `Widen ${tableKey(table)}.${column.name}, lower the scale for ${tableKey(table)}, or exclude the table.`;
  switch (s.kind) {
    case 'integer': {
      if (t.kind !== 'integer') break;
      const [lo, hi] = integerRange(t);
      let start = BigInt(s.start);
      let step = BigInt(s.step);
      const count = BigInt(Math.max(0, n - 1));
      if (start + step * count > hi) step = 1n;
      if (start + step * count > hi) start = hi - count;
      if (start < lo) {
        throw impossible(table, column.name, `${n} distinct values do not fit in ${column.nativeType}.`, lengthHint);
      }
      const safe = start + step * count <= BigInt(Number.MAX_SAFE_INTEGER) && start >= BigInt(Number.MIN_SAFE_INTEGER);
      if (safe) {
        const st = Number(start);
        const sp = Number(step);
        return (i) => st + sp * i;
      }
      return (i) => {
        const v = start + step * BigInt(i);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      };
    }
    case 'decimal': {
      const precision = t.kind === 'decimal' ? t.precision : null;
      const scale = t.kind === 'decimal' ? t.scale : t.kind === 'money' ? 2 : null;
      const sc = scale ?? 0;
      let step = 1;
      let start = Math.ceil(s.start);
      if (precision !== null) {
        const max = 10 ** (precision - sc);
        if (start + n > max) start = Math.max(-max + 1, max - n);
        if (start + n > max) {
          step = 10 ** -sc;
          start = -max + step;
          if (n * step >= 2 * max - step) throw impossible(table, column.name, `${n} distinct values do not fit in ${column.nativeType}.`, lengthHint);
        }
      }
      return (i) => conformDecimal(start + step * i, precision, scale);
    }
    case 'float':
      return (i) => s.start + s.step * i;
    case 'text-pattern': {
      const max = t.kind === 'text' ? t.maxLength : null;
      const width = Math.max(s.width, 0);
      const longest = s.prefix.length + Math.max(width, String(s.offset + n - 1).length) + s.suffix.length;
      if (max === null || longest <= max) {
        return (i) => `${s.prefix}${String(s.offset + i).padStart(width, '0')}${s.suffix}`;
      }
      // The source's pattern is too long for n rows: fall back to packing the index in the column's length.
      return makeKeyFn(table, column, { column: column.name, kind: 'text-alphabet', classes: 'UD', length: max }, n, seed);
    }
    case 'text-alphabet': {
      const max = t.kind === 'text' ? t.maxLength : null;
      let classes = s.classes;
      let alphabet = [...classes].map((c) => CLASS_CHARS[c] ?? '').join('');
      let length = s.length;
      const fits = (): boolean => BigInt(alphabet.length) ** BigInt(length) >= BigInt(n);
      while (!fits() && (max === null || length < max)) length++;
      if (!fits()) {
        classes = 'ULD';
        alphabet = CLASS_CHARS.U! + CLASS_CHARS.L! + CLASS_CHARS.D!;
        length = s.length;
        while (!fits() && (max === null || length < max)) length++;
      }
      if (!fits()) {
        throw impossible(
          table,
          column.name,
          `${column.nativeType} cannot hold ${n} distinct values (at most ${alphabet.length}^${length}).`,
          lengthHint,
        );
      }
      const base = BigInt(alphabet.length);
      const cap = base ** BigInt(length);
      const perm = affine(cap, base, `${seed}:${scope}.${column.name}`);
      return (i) => {
        let x = perm(BigInt(i));
        let out = '';
        for (let k = 0; k < length; k++) {
          out = alphabet[Number(x % base)]! + out;
          x /= base;
        }
        return out;
      };
    }
    case 'uuid':
      return (i) => {
        const w = hashWords(`${seed}:${scope}.${column.name}:${i}`);
        const h = w.map((x) => x.toString(16).padStart(8, '0')).join('');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
      };
    case 'date': {
      const day = 86400000;
      const maxDay = Math.floor(Date.UTC(9999, 11, 31) / day);
      let start = Math.floor(s.start / day);
      if (start + n - 1 > maxDay) start = maxDay - n + 1;
      if (start < Math.floor(utc(1, 0, 1) / day)) throw impossible(table, column.name, `${n} distinct dates do not exist.`, lengthHint);
      return (i) => formatEpoch((start + i) * day, 'date');
    }
    case 'timestamp': {
      const step = Math.max(1000, Math.floor(s.span / Math.max(1, n) / 1000) * 1000);
      const tz = t.kind === 'timestamp' && t.withTimeZone;
      return (i) => formatEpoch(s.start + step * i, 'timestamp', tz);
    }
    case 'time': {
      if (n > 86400) throw impossible(table, column.name, `a time column holds at most 86400 distinct whole seconds, ${n} needed.`, lengthHint);
      const tz = t.kind === 'time' && t.withTimeZone;
      return (i) => formatTimeOfDay(i, tz);
    }
    case 'year': {
      const start = Math.max(1901, Math.min(s.start, 2156 - n));
      if (n > 255) throw impossible(table, column.name, `YEAR holds 255 distinct values, ${n} needed.`, lengthHint);
      return (i) => start + i;
    }
    case 'domain': {
      const values: Value[] = t.kind === 'boolean' ? [false, true] : t.kind === 'enum' ? t.values : [];
      if (n > values.length) {
        throw impossible(table, column.name, `${column.nativeType} has ${values.length} possible values, ${n} distinct needed.`, lengthHint);
      }
      return (i) => values[i]!;
    }
    case 'binary': {
      const length = Math.max(s.length, Math.ceil(Math.log2(Math.max(2, n)) / 8));
      if (t.kind === 'binary' && t.maxLength !== null && length > t.maxLength) {
        throw impossible(table, column.name, `${column.nativeType} cannot hold ${n} distinct values.`, lengthHint);
      }
      return (i) => {
        const b = new Uint8Array(length);
        let x = i;
        for (let k = length - 1; k >= 0 && x > 0; k--) {
          b[k] = x % 256;
          x = Math.floor(x / 256);
        }
        return b;
      };
    }
    case 'unsupported':
      break;
  }
  throw new SynthError('UNSUPPORTED_TYPE', `${tableKey(table)}.${column.name} (${column.nativeType}) is part of a key, and synth cannot generate distinct values of this type.`, {
    table: tableKey(table),
    column: column.name,
    hint: `Exclude ${tableKey(table)} in the config, or drop the key on ${column.name} from the schema you hydrate.`,
  });
}
