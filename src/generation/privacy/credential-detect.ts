/**
 * Finds columns that hold credentials (passwords, password hashes, API keys, tokens, secrets, salts): by name, and
 * by value shape (bcrypt, argon2, crypt(3), Django hashers, hex and base64 digests). A credential is never copied,
 * not even as a fake derived from it: the column's *shape* (format, cost parameters, lengths, alphabet) is all that
 * is kept, and fresh values are drawn from it (credential-fakes.ts). Shapes never hold salt or hash material.
 */
import type { Column, Table } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { UNIQUE_BCRYPT_COST } from './credential-bcrypt.js';
import { normalizeName } from './pii-config.js';

/** The format of one kind of credential value, with nothing of any particular value in it. */
export interface CredentialShape {
  /** `bytes`: a binary column (bytea, BLOB, VARBINARY); fresh values are random bytes of the same length. */
  format: 'bcrypt' | 'modular-crypt' | 'django' | 'hex' | 'base64' | 'token' | 'bytes';
  /** Algorithm and cost parameters (`$2b$12$`, `$argon2id$v=19$m=65536,t=3,p=4$`, `pbkdf2_sha256$600000$`), kept as is. */
  prefix: string;
  /** Lengths of the `$`-separated parts after the prefix (salt, hash), or the token's length. */
  parts: number[];
  /** Characters the parts are drawn from. */
  alphabet: string;
  /** Trailing `=` padding (base64). */
  padding: number;
}

export interface CredentialPlan {
  column: string;
  /** Shapes seen in the column, with their share (a column may mix legacy SHA-1 and bcrypt). */
  shapes: Array<{ shape: CredentialShape; weight: number }>;
  reason: string;
  /**
   * The column is in a UNIQUE constraint or index: fresh values must not repeat (bcrypt then hashes per row at a low
   * cost instead of drawing from a pool, credential-bcrypt.ts).
   */
  unique?: boolean;
}

/** The config's `tables.<t>.columns` overrides, of which credential detection reads `transform: 'keep'`. */
export type CredentialOverrides = Readonly<Record<string, { transform?: string | undefined } | undefined>>;

export const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';

/** Hex lengths of the common digests (MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512). */
export const HEX_DIGEST_LENGTHS: ReadonlyMap<number, string> = new Map([
  [32, 'md5'],
  [40, 'sha1'],
  [56, 'sha224'],
  [64, 'sha256'],
  [96, 'sha384'],
  [128, 'sha512'],
]);
/** Padded base64 lengths of the same digests. */
const BASE64_DIGEST_LENGTHS = new Set([24, 28, 40, 44, 64, 88]);

const BCRYPT_RE = /^(\$2[abxy]?\$\d{2}\$)([./A-Za-z0-9]{53})$/;
const MCF_RE = /^(\$(?:argon2(?:id|i|d)|1|5|6|7|y|scrypt|pbkdf2(?:-sha(?:1|256|512))?)\$(?:(?:v=\d+|m=\d+,t=\d+,p=\d+|rounds=\d+|ln=\d+,r=\d+,p=\d+|\d+)\$)*)([./A-Za-z0-9+=$-]+)$/;
const DJANGO_RE = /^((?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5|unsalted_sha1|crypt)\$(?:\d+\$)?)([./A-Za-z0-9+=$-]+)$/;

/** The shape of one value, or null when it has none of the credential formats. */
export function credentialShapeOf(value: string): CredentialShape | null {
  const v = value.trim();
  const bcrypt = BCRYPT_RE.exec(v);
  if (bcrypt) return { format: 'bcrypt', prefix: bcrypt[1]!, parts: [53], alphabet: BCRYPT_ALPHABET, padding: 0 };
  for (const [re, format] of [[MCF_RE, 'modular-crypt'], [DJANGO_RE, 'django']] as const) {
    const m = re.exec(v);
    if (!m) continue;
    const body = m[2]!;
    // argon2's PHC strings are standard base64 without padding, whatever one value happens to show.
    const phc = m[1]!.startsWith('$argon2');
    const alphabet = phc ? B64 : /[+]/.test(body) ? B64 : /[-_]/.test(body) ? B64URL : /[./]/.test(body) ? CRYPT64 : B64;
    const parts = body.split('$').map((p) => p.replace(/=+$/, '').length);
    return { format, prefix: m[1]!, parts, alphabet, padding: /=+$/.exec(body)?.[0].length ?? 0 };
  }
  // A digest has letters among its hex digits (all-digit 40-character values are numbers, not digests).
  if ((/^[0-9a-f]{16,}$/.test(v) || /^[0-9A-F]{16,}$/.test(v)) && /[a-f]/i.test(v)) {
    return { format: 'hex', prefix: '', parts: [v.length], alphabet: /[a-f]/.test(v) || !/[A-F]/.test(v) ? HEX_LOWER : HEX_UPPER, padding: 0 };
  }
  const b64 = /^([A-Za-z0-9+/]{16,}|[A-Za-z0-9_-]{16,})(={0,2})$/.exec(v);
  // Base64 needs the three character classes mixed, so long words and numbers are not taken for digests.
  if (b64 && /[A-Z]/.test(b64[1]!) && /[a-z]/.test(b64[1]!) && /\d/.test(b64[1]!)) {
    const url = /[-_]/.test(b64[1]!);
    return { format: 'base64', prefix: '', parts: [b64[1]!.length], alphabet: url ? B64URL : B64, padding: b64[2]!.length };
  }
  return null;
}

/** A digest-like shape strong enough to mark a column on values alone, whatever its name. */
function isDigestShape(s: CredentialShape, value: string): boolean {
  if (s.format === 'bcrypt' || s.format === 'modular-crypt' || s.format === 'django') return true;
  if (s.format === 'hex') return HEX_DIGEST_LENGTHS.has(value.trim().length);
  return s.format === 'base64' && BASE64_DIGEST_LENGTHS.has(value.trim().length) && (s.padding > 0 || s.alphabet === B64);
}

const CREDENTIAL_NAME =
  /(^|_)(password|passwd|passwort|pwd|pass_?hash|pw_?hash|hashed_?password|encrypted_?password|crypted_?password|password_?digest|secret|client_?secret|secret_?key|secret_?answer|api_?key|apikey|api_?secret|api_?token|access_?key|private_?key|signing_?key|token|access_?token|refresh_?token|auth_?token|session_?token|bearer_?token|reset_?token|remember_?token|otp_?secret|totp_?secret|mfa_?secret|salt|password_?salt|pin_?hash)($|_)/;
/** Names about a credential rather than holding one: when it changed, how long it is, which kind it is. */
const ABOUT_CREDENTIAL = /_(at|on|date|time|ts|count|type|kind|expires?|expiry|expiration|question|hint|policy|length|len|id|ids|scope|scopes|name|version|changed|updated|set|required|strength|attempts?)$/;

/** The name alone marks a credential column (schema only). */
export function credentialName(columnName: string): boolean {
  const n = normalizeName(columnName);
  return CREDENTIAL_NAME.test(n) && !ABOUT_CREDENTIAL.test(n);
}

function textValues(rows: readonly (readonly Value[])[], index: number, max: number): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const v = row[index];
    if (typeof v === 'string' && v.trim() !== '') out.push(v);
    if (out.length >= max) break;
  }
  return out;
}

/** Lower, upper, digits and a symbol set: the classes of characters a plaintext credential column uses. */
function tokenAlphabet(values: readonly string[]): string {
  let alphabet = '';
  if (values.some((v) => /[a-z]/.test(v))) alphabet += 'abcdefghijklmnopqrstuvwxyz';
  if (values.some((v) => /[A-Z]/.test(v))) alphabet += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (values.some((v) => /\d/.test(v))) alphabet += '0123456789';
  if (values.some((v) => /[^A-Za-z0-9]/.test(v))) alphabet += '!#%*+-=?@_';
  return alphabet || 'abcdefghijklmnopqrstuvwxyz0123456789';
}

function shapeKey(s: CredentialShape): string {
  return `${s.format}|${s.prefix}|${s.parts.join(',')}|${s.alphabet}|${s.padding}`;
}

/** Shapes of the values with their shares, at most 8; values of no known format count as tokens of their length. */
function shapesOf(values: readonly string[]): Array<{ shape: CredentialShape; weight: number }> {
  const counts = new Map<string, { shape: CredentialShape; n: number }>();
  const alphabet = tokenAlphabet(values);
  // One value without '-', '_', '+' or '/' cannot tell URL-safe base64 from standard; the column can.
  const urlSafe = values.some((v) => /[-_]/.test(v)) && !values.some((v) => /[+/]/.test(v));
  for (const v of values) {
    const shape = credentialShapeOf(v) ?? { format: 'token', prefix: '', parts: [v.length], alphabet, padding: 0 };
    if (shape.format === 'base64') shape.alphabet = urlSafe ? B64URL : B64;
    const key = shapeKey(shape);
    const hit = counts.get(key);
    if (hit) hit.n++;
    else counts.set(key, { shape, n: 1 });
  }
  const top = [...counts.values()].sort((a, b) => b.n - a.n).slice(0, 8);
  const total = top.reduce((a, b) => a + b.n, 0);
  return top.map(({ shape, n }) => ({ shape, weight: n / total }));
}

const DEFAULT_TOKEN: CredentialShape = { format: 'token', prefix: '', parts: [32], alphabet: B64URL.slice(0, 62), padding: 0 };

function isKeyColumn(table: Table, column: Column): boolean {
  return [...(table.primaryKey?.columns ?? []), ...table.foreignKeys.flatMap((f) => f.columns)].includes(column.name);
}

function isUnique(table: Table, column: Column): boolean {
  return table.uniques.some((u) => u.columns.includes(column.name));
}

/** Byte lengths of a binary credential column, with their shares (at most 8); none sampled: its declared length, or 32. */
function byteShapes(column: Column, rows: readonly (readonly Value[])[], index: number, max: number): Array<{ shape: CredentialShape; weight: number }> {
  const counts = new Map<number, number>();
  let seen = 0;
  for (const row of index < 0 ? [] : rows) {
    const v = row[index];
    if (!(v instanceof Uint8Array)) continue;
    counts.set(v.length, (counts.get(v.length) ?? 0) + 1);
    if (++seen >= max) break;
  }
  const declared = column.type.kind === 'binary' ? column.type.maxLength : null;
  if (seen === 0) return [{ shape: { format: 'bytes', prefix: '', parts: [declared ?? 32], alphabet: '', padding: 0 }, weight: 1 }];
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([length, n], _, top) => ({ shape: { format: 'bytes' as const, prefix: '', parts: [length], alphabet: '', padding: 0 }, weight: n / top.reduce((a, b) => a + b[1], 0) }));
}

/**
 * The credential columns of a table: text columns whose name says so, or whose sampled values are (≥ 80 %) password
 * hashes or digests, and binary columns whose name says so (by value alone a 16-byte key is as likely a UUID). `rows`/
 * `columns` is a sample of the table (possibly empty: names alone then decide). A column the config marks
 * `transform: 'keep'` (a false positive) is left out.
 */
export function detectCredentials(
  table: Table,
  sample: { columns: readonly string[]; rows: readonly (readonly Value[])[] },
  options: { overrides?: CredentialOverrides | undefined; maxValues?: number } = {},
): CredentialPlan[] {
  const maxValues = options.maxValues ?? 1000;
  const plans: CredentialPlan[] = [];
  for (const column of table.columns) {
    if (column.generated || isKeyColumn(table, column) || options.overrides?.[column.name]?.transform === 'keep') continue;
    const unique = isUnique(table, column) ? { unique: true } : {};
    const index = sample.columns.indexOf(column.name);
    if (column.type.kind === 'binary') {
      if (!credentialName(column.name)) continue;
      const shapes = byteShapes(column, sample.rows, index, maxValues);
      plans.push({ column: column.name, shapes, reason: `column name "${column.name}" names a credential (binary: ${shapes.map((s) => s.shape.parts[0]).join(', ')} bytes)`, ...unique });
      continue;
    }
    if (column.type.kind !== 'text') continue;
    const values = index < 0 ? [] : textValues(sample.rows, index, maxValues);
    const byName = credentialName(column.name);
    const digests = values.filter((v) => {
      const s = credentialShapeOf(v);
      return s !== null && isDigestShape(s, v);
    }).length;
    const byValue = values.length >= 5 && digests >= 0.8 * values.length;
    if (!byName && !byValue) continue;
    const shapes = values.length > 0 ? shapesOf(values) : [{ shape: DEFAULT_TOKEN, weight: 1 }];
    const formats = [...new Set(shapes.map((s) => s.shape.format))].join(', ');
    plans.push({
      column: column.name,
      shapes,
      reason: (byValue
        ? `${Math.round((100 * digests) / values.length)}% of ${values.length} sampled values are password hashes or digests (${formats})`
        : `column name "${column.name}" names a credential${values.length > 0 ? ` (values: ${formats})` : ''}`) +
        (unique.unique && shapes.some((s) => s.shape.format === 'bcrypt') ? `; UNIQUE: one bcrypt hash per row at cost ${UNIQUE_BCRYPT_COST}` : ''),
      ...unique,
    });
  }
  return plans;
}
