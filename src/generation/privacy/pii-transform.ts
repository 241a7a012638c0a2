/**
 * Keyed, deterministic PII replacement: HMAC-SHA256(key, kind ‖ normalised real value) seeds faker, so one
 * real value always maps to the same fake value across tables and runs (joins on emails keep working), yet
 * without the key nobody can recompute or invert the mapping. Formats are preserved where applications
 * parse them (phone digit layout, email domain shape, postal-code pattern, card and IBAN check digits), and
 * results respect the column's length limit.
 *
 * The key is a secret of the deployment (e.g. SYNTH_PII_KEY): rotating it changes every fake value.
 */
import { createHmac } from 'node:crypto';
import type { Faker } from '@faker-js/faker';
import { SynthError } from '../../errors.js';
import type { Column } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { isPiiKind, type PiiKind, type PiiTransform } from './pii-config.js';
import { EMAIL_RE, ibanMod97, luhnValid } from './pii-detect.js';
import { fakerFor } from './faker-locales.js';
import { fakeCompanyName, fakeProductName } from './name-fakes.js';

export type PiiKey = string | Uint8Array;

/** Common mail providers are not identifying and keeping them keeps the data realistic. */
const PUBLIC_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'icloud.com', 'me.com',
  'aol.com', 'gmx.de', 'gmx.net', 'web.de', 'mail.ru', 'yandex.ru', 'proton.me', 'protonmail.com', 'example.com',
  'example.org', 'example.net', 't-online.de', 'orange.fr', 'free.fr', 'libero.it', 'qq.com', '163.com',
]);

function digest(key: PiiKey, kind: string, value: string, attempt = 0): Buffer {
  const h = createHmac('sha256', key);
  h.update(kind);
  h.update('\u0000');
  h.update(value);
  if (attempt > 0) h.update(`\u0000${attempt}`);
  return h.digest();
}

/** A small deterministic stream over HMAC output (more bytes by re-hashing with a counter). */
class KeyedStream {
  private block: Buffer;
  private pos = 0;
  private counter = 0;
  constructor(
    private readonly key: PiiKey,
    private readonly seed: Buffer,
  ) {
    this.block = seed;
  }
  byte(): number {
    if (this.pos >= this.block.length) {
      this.counter++;
      this.block = createHmac('sha256', this.key).update(this.seed).update(String(this.counter)).digest();
      this.pos = 0;
    }
    return this.block[this.pos++]!;
  }
  /** Integer in [0, n), n <= 256, by rejection so digits stay uniform. */
  below(n: number): number {
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }
}

interface Dictionaries {
  first: string[];
  last: string[];
  words: string[];
  cities: string[];
  streetSuffixes: string[];
}

function stringsOf(x: unknown): string[] {
  if (Array.isArray(x)) return x.filter((v): v is string => typeof v === 'string');
  if (x !== null && typeof x === 'object') return Object.values(x).flatMap(stringsOf);
  return [];
}

let dictionaries: { en: Dictionaries; de: Dictionaries } | null = null;

/**
 * Name and word lists picked from directly with HMAC bytes: 10–20x faster than re-seeding faker per value,
 * which matters for million-row email and name columns.
 */
function dicts(): { en: Dictionaries; de: Dictionaries } {
  if (dictionaries) return dictionaries;
  const of = (f: Faker): Dictionaries => {
    const d = f.rawDefinitions;
    const clean = (xs: string[]): string[] => [...new Set(xs.filter((x) => /^[\p{L}' -]+$/u.test(x)))];
    return {
      first: clean(stringsOf(d.person?.first_name)),
      last: clean(stringsOf(d.person?.last_name)),
      words: clean([...stringsOf(d.word?.adjective), ...stringsOf(d.word?.noun)]).filter((w) => /^[a-z]{3,10}$/.test(w)),
      cities: clean(stringsOf(d.location?.city_name)),
      streetSuffixes: clean(stringsOf(d.location?.street_suffix)),
    };
  };
  dictionaries = { en: of(fakerFor('en')), de: of(fakerFor('de')) };
  return dictionaries;
}

function pick<T>(list: readonly T[], s: KeyedStream): T {
  // Two bytes give 65536 slots: the modulo bias over lists of at most a few thousand entries is negligible here.
  return list[((s.byte() << 8) | s.byte()) % list.length]!;
}

function asciiFold(x: string): string {
  return x
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

function seededFaker(seed: Buffer, f: Faker = fakerFor('en')): Faker {
  f.seed([seed.readUInt32BE(0), seed.readUInt32BE(4), seed.readUInt32BE(8), seed.readUInt32BE(12)]);
  return f;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

/** Replaces each digit and letter by a keyed one of the same class, keeping every other character. */
function maskPattern(value: string, s: KeyedStream, keepPrefix = 0): string {
  let out = '';
  let seen = 0;
  for (const ch of value) {
    const isDigit = ch >= '0' && ch <= '9';
    const isLower = ch >= 'a' && ch <= 'z';
    const isUpper = ch >= 'A' && ch <= 'Z';
    if ((isDigit || isLower || isUpper) && seen++ < keepPrefix) {
      out += ch;
      continue;
    }
    if (isDigit) out += String(s.below(10));
    else if (isLower) out += LOWER[s.below(26)];
    else if (isUpper) out += UPPER[s.below(26)];
    else out += ch;
  }
  return out;
}

function matchCase(template: string, fake: string): string {
  if (template.length > 1 && template === template.toUpperCase() && template !== template.toLowerCase()) return fake.toUpperCase();
  if (template === template.toLowerCase() && template !== template.toUpperCase()) return fake.toLowerCase();
  return fake;
}

function fakeEmail(real: string, s: KeyedStream, maxLength: number | null): string {
  const at = real.lastIndexOf('@');
  const domain = at >= 0 ? real.slice(at + 1).trim().toLowerCase() : 'example.com';
  const d = dicts().en;
  let fakeDomain = domain;
  if (!PUBLIC_MAIL_DOMAINS.has(domain)) {
    // Same shape: as many labels as the real domain, same top-level domain.
    const labels = domain.split('.');
    const tld = labels.length > 1 ? labels[labels.length - 1]! : 'com';
    const inner = Array.from({ length: Math.max(1, labels.length - 1) }, () => pick(d.words, s));
    fakeDomain = [...inner, tld].join('.');
  }
  const first = asciiFold(pick(d.first, s)) || 'user';
  const last = asciiFold(pick(d.last, s)) || 'mail';
  const sep = ['.', '_', ''][s.below(3)]!;
  // Digits from the HMAC make collisions between different real addresses very unlikely (unique columns).
  const suffix = String(s.below(100)).padStart(2, '0') + String(s.below(100)).padStart(2, '0');
  let local = `${first}${sep}${last}${suffix}`;
  if (maxLength !== null) {
    const room = maxLength - fakeDomain.length - 1;
    if (room < 1) return `${local}@x.io`.slice(0, Math.max(0, maxLength));
    if (local.length > room) local = local.slice(0, Math.max(1, room - suffix.length)) + suffix.slice(0, Math.max(0, room - 1));
    local = local.slice(0, room);
  }
  return `${local}@${fakeDomain}`;
}

function fakePhone(real: string, s: KeyedStream): string {
  // Keep an international prefix (+CC or 00CC) so numbers stay in the right country; mask the rest.
  const m = /^(\+\d{1,3}|00\d{1,3})([\s.-].*)$/.exec(real.trim());
  const keep = m ? m[1]!.replace(/\D/g, '').length : /^0/.test(real.trim()) ? 1 : 0;
  return maskPattern(real, s, keep);
}

function fakeCard(real: string, s: KeyedStream): string {
  const digits = real.replace(/\D/g, '');
  // Keep the first digit (card network), randomise the rest, then fix the last digit so Luhn holds.
  const body = digits[0]! + Array.from({ length: digits.length - 2 }, () => String(s.below(10))).join('');
  let check = 0;
  for (let c = 0; c <= 9; c++) {
    if (luhnValid(body + c)) {
      check = c;
      break;
    }
  }
  const fake = body + check;
  let i = 0;
  return real.replace(/\d/g, () => fake[i++]!);
}

function fakeIban(real: string, s: KeyedStream): string {
  const compact = real.replace(/\s+/g, '').toUpperCase();
  const country = /^[A-Z]{2}/.test(compact) ? compact.slice(0, 2) : 'DE';
  const bban = maskPattern(compact.slice(4), s);
  const check = 98 - ibanMod97(`${bban}${country}00`);
  const fake = `${country}${String(check).padStart(2, '0')}${bban}`;
  if (!/\s/.test(real)) return fake;
  return fake.replace(/(.{4})(?=.)/g, '$1 ');
}

function fakeSsn(real: string, s: KeyedStream): string {
  if (!/^\d{3}-?\d{2}-?\d{4}$/.test(real)) return maskPattern(real, s);
  // Valid SSN ranges: area 001–665 or 667–899, group 01–99, serial 0001–9999.
  let area = 1 + ((s.byte() * 256 + s.byte()) % 899);
  if (area === 666) area = 667;
  const group = 1 + s.below(99);
  const serial = 1 + ((s.byte() * 256 + s.byte()) % 9999);
  const sep = real.includes('-') ? '-' : '';
  return `${String(area).padStart(3, '0')}${sep}${String(group).padStart(2, '0')}${sep}${String(serial).padStart(4, '0')}`;
}

function fakeIp(real: string, seed: Buffer): string {
  const f = seededFaker(seed);
  const suffix = /\/\d+$/.exec(real)?.[0] ?? '';
  return (real.includes(':') ? f.internet.ipv6() : f.internet.ipv4()) + suffix;
}

/** Keeps the year (ages stay right to the year), replaces month and day. */
function fakeBirthDate(real: string, s: KeyedStream): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/.exec(real);
  if (!m) return maskPattern(real, s);
  const year = Number(m[1]);
  const month = 1 + s.below(12);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  const day = 1 + ((s.below(256) * 256 + s.byte()) % days);
  return `${m[1]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}${m[4]}`;
}

const EMAIL_IN_TEXT_G = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE_IN_TEXT_G = /(?:\+|\b00)\d[\d\s().-]{7,18}\d|\(\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}|\b\d{3}[.-]\d{3}[.-]\d{4}\b/g;

function fakeFreeText(real: string, key: PiiKey): string {
  // Contact details inside prose get the same fakes as the dedicated columns, so they stay consistent.
  return real
    .replace(EMAIL_IN_TEXT_G, (m) => String(transformValue('email', m, key)))
    .replace(PHONE_IN_TEXT_G, (m) => String(transformValue('phone', m, key)));
}

function normalise(kind: PiiTransform, value: string): string {
  const t = value.trim();
  if (kind === 'email') return t.toLowerCase();
  if (kind === 'phone' || kind === 'credit-card') return t.replace(/[^\d+]/g, '');
  if (kind === 'iban') return t.replace(/\s+/g, '').toUpperCase();
  return t;
}

function textLimit(column: Column | undefined): number | null {
  return column?.type.kind === 'text' ? column.type.maxLength : null;
}

function fakeOf(kind: PiiTransform, real: string, key: PiiKey, column: Column | undefined, attempt: number): string {
  const seed = digest(key, kind, normalise(kind, real), attempt);
  const s = new KeyedStream(key, seed);
  const german = /[äöüß]/i.test(real) || /(straße|strasse|str\.)/i.test(real);
  const d = german ? dicts().de : dicts().en;
  switch (kind) {
    case 'email':
      return fakeEmail(real, s, textLimit(column));
    case 'phone':
      return fakePhone(real, s);
    case 'person-name': {
      // "Last, First" stays in that order.
      const first = pick(d.first, s);
      const last = pick(d.last, s);
      return matchCase(real, real.includes(',') ? `${last}, ${first}` : `${first} ${last}`);
    }
    case 'first-name':
      return matchCase(real, pick(d.first, s));
    case 'last-name':
      return matchCase(real, pick(d.last, s));
    case 'company-name':
      // A fresh fake does not know its column: 40 characters (northwind's width) keeps the three-name shape whole
      // where most schemas store it; a narrower column still cuts.
      return fakeCompanyName((list) => pick(list, s), textLimit(column) ?? 40);
    case 'product-name':
      return fakeProductName((list) => pick(list, s), textLimit(column));
    case 'street-address': {
      const n = 1 + ((s.byte() << 8) | s.byte()) % (german ? 200 : 9999);
      if (german) return `${pick(d.last, s)}${pick(['straße', 'weg', 'gasse', 'allee', 'ring'], s)} ${n}`;
      const suffix = d.streetSuffixes.length > 0 ? pick(d.streetSuffixes, s) : 'Street';
      return `${n} ${pick(d.last, s)} ${suffix}`;
    }
    case 'city':
      return matchCase(real, d.cities.length > 0 ? pick(d.cities, s) : seededFaker(seed).location.city());
    case 'postal-code':
      return maskPattern(real, s);
    case 'national-id':
      return fakeSsn(real, s);
    case 'iban':
      return fakeIban(real, s);
    case 'credit-card':
      return /^[\d\s-]+$/.test(real) && real.replace(/\D/g, '').length >= 12 ? fakeCard(real, s) : maskPattern(real, s);
    case 'ip-address':
      return fakeIp(real, seed);
    case 'date-of-birth':
      return fakeBirthDate(real, s);
    case 'free-text':
      return fakeFreeText(real, key);
    case 'hash':
      return seed.toString('hex');
    default:
      throw new SynthError('INTERNAL', `No fake generator for transform ${kind}.`);
  }
}

/** Cuts to the column's length limit (emails are already fitted with their domain intact). */
function fit(v: string, column: Column | undefined): string {
  const max = textLimit(column);
  return max !== null && v.length > max ? v.slice(0, max) : v;
}

/**
 * The replacement of one value. Same (key, transform, value) → same output, always. NULL stays NULL;
 * `keep` returns the value; `redact` gives NULL, or for a NOT NULL column a fixed token; numbers (phones or
 * cards stored as integers) come back as numbers of the same digit count.
 */
export function transformValue(kind: PiiTransform, value: Value, key: PiiKey, column?: Column): Value {
  if (value === null || kind === 'keep') return value;
  if (kind === 'redact') {
    if (column === undefined || column.nullable) return null;
    return column.type.kind === 'text' ? fit('REDACTED', column) : value;
  }
  if (typeof key === 'string' ? key.length === 0 : key.byteLength === 0) {
    throw new SynthError('CONFIG_INVALID', 'The PII transform key is empty.', {
      hint: 'Set a secret key for PII transforms (e.g. SYNTH_PII_KEY) so fake values cannot be recomputed by others.',
      column: column?.name,
    });
  }
  const numeric = typeof value === 'number' || typeof value === 'bigint';
  const real = typeof value === 'string' ? value : numeric ? String(value) : JSON.stringify(value);
  if (real.trim() === '') return value;
  let out = '';
  for (let attempt = 0; attempt < 8; attempt++) {
    out = fakeOf(kind, real, key, column, attempt);
    // A fake that equals the real value would leak it; draw again (deterministically).
    if (normalise(kind, out) !== normalise(kind, real) || kind === 'free-text') break;
  }
  if (kind === 'email' && !EMAIL_RE.test(out) && textLimit(column) === null) out = `${out.replace(/@.*$/, '')}@example.com`;
  if (kind === 'hash' && (numeric || column?.type.kind === 'integer')) return Number.parseInt(out.slice(0, 12), 16);
  out = fit(out, column);
  if (numeric && /^\d+$/.test(out)) return typeof value === 'bigint' ? BigInt(out) : Number(out);
  return out;
}

const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The layout a fresh fake of a format-keeping kind gets when the column's values share none. */
const DEFAULT_LAYOUT: Partial<Record<PiiKind, string>> = {
  phone: '(999) 999-9999',
  'postal-code': '99999',
  'national-id': '999-99-9999',
  iban: 'DE99999999999999999999',
  'credit-card': '4999999999999999',
};

/**
 * A fake of `kind` that stands for no real value: the keyed generator above, keyed and fed from the run's seeded
 * generator instead of a secret and a real value. `masks` (character-class layouts such as `(999) 999-9999`, no real
 * characters) give the input a format the fake then keeps.
 */
export function freshFake(kind: PiiKind, rng: { next(): number; int(n: number): number }, masks?: ReadonlyArray<{ mask: string; weight: number }>): Value {
  let key = '';
  for (let i = 0; i < 16; i++) key += KEY_CHARS[rng.int(KEY_CHARS.length)];
  let input = key;
  if (kind === 'date-of-birth') {
    const pad = (n: number) => String(n).padStart(2, '0');
    return transformValue(kind, `${1940 + rng.int(66)}-${pad(1 + rng.int(12))}-${pad(1 + rng.int(28))}`, key);
  }
  const fallback = DEFAULT_LAYOUT[kind];
  if ((masks && masks.length > 0) || fallback) {
    const total = masks?.reduce((a, m) => a + m.weight, 0) ?? 0;
    let u = rng.next() * total;
    const mask = masks && masks.length > 0 ? (masks.find((m) => (u -= m.weight) < 0) ?? masks[0]!).mask : fallback!;
    input = mask.replace(/[Aa9]/g, (c) => (c === '9' ? String(rng.int(10)) : String.fromCharCode((c === 'A' ? 65 : 97) + rng.int(26))));
  }
  return transformValue(kind, input, key);
}

/** One column's transform as a function over values, key and column bound once (for batch streams). */
export function columnTransformer(kind: PiiTransform, key: PiiKey, column?: Column): (value: Value) => Value {
  const cache = new Map<string, Value>();
  return (value) => {
    if (typeof value !== 'string') return transformValue(kind, value, key, column);
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const out = transformValue(kind, value, key, column);
    // Bounded memo: repeated values (cities, names) are common; the cache must not grow with the table.
    if (cache.size > 50_000) cache.clear();
    cache.set(value, out);
    return out;
  };
}

/** What happens to each column of a table: detected kinds, overridden by the config. */
export type PiiPlan = Map<string, PiiTransform>;

/**
 * Combines detector findings with per-column overrides (`tables.<t>.columns.<c>.transform`): an override
 * always wins (`keep` switches PII handling off for a false positive); otherwise findings at or above
 * `minConfidence` (default 0.6) are transformed as their kind.
 */
export function planPiiTransforms(
  findings: ReadonlyArray<{ column: string; kind: PiiTransform; confidence: number }>,
  overrides: Readonly<Record<string, { transform?: PiiTransform | undefined } | undefined>> = {},
  options: { minConfidence?: number } = {},
): PiiPlan {
  const plan: PiiPlan = new Map();
  const min = options.minConfidence ?? 0.6;
  for (const f of findings) if (f.confidence >= min) plan.set(f.column, f.kind);
  for (const [column, o] of Object.entries(overrides)) {
    if (o?.transform === undefined) continue;
    if (o.transform === 'keep') plan.delete(column);
    else plan.set(column, o.transform);
  }
  return plan;
}

/** The columns of a plan whose generator draws fresh fakes, with their kind ('keep', 'redact', 'hash' and free text excluded). */
export function fakeKinds(plan: PiiPlan): Record<string, PiiKind> {
  const out: Record<string, PiiKind> = {};
  for (const [column, t] of plan) if (isPiiKind(t) && t !== 'free-text') out[column] = t;
  return out;
}

/**
 * Applies a plan to a stream of batches (columns not in the plan pass through). `columns` gives each
 * column's schema entry so length limits and NOT NULL are respected.
 */
export async function* transformBatches(
  batches: AsyncIterable<{ columns: string[]; rows: Value[][] }>,
  plan: PiiPlan,
  key: PiiKey,
  columns: readonly Column[],
): AsyncGenerator<{ columns: string[]; rows: Value[][] }> {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const transformers = new Map<string, (v: Value) => Value>();
  for (const [name, kind] of plan) transformers.set(name, columnTransformer(kind, key, byName.get(name)));
  for await (const batch of batches) {
    const fns = batch.columns.map((c) => transformers.get(c));
    if (fns.every((f) => f === undefined)) {
      yield batch;
      continue;
    }
    yield {
      columns: batch.columns,
      rows: batch.rows.map((row) => row.map((v, i) => (fns[i] ? fns[i](v) : v))),
    };
  }
}
