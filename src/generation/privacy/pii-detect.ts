/**
 * Finds columns that likely hold personal data, from two kinds of evidence: the column name (cheap, catches
 * empty or sparse columns) and the sampled values (formats with check digits where they exist: Luhn for card
 * numbers, mod-97 for IBANs; faker's name dictionaries for person names). Each finding carries a confidence
 * in [0, 1] and a human reason for the report; the pipeline decides what to do with it (transform by kind).
 */
import { fakerFor, type FakerLocale } from './faker-locales.js';
import type { Column, Table } from '../../schema/model.js';
import type { TableSample } from '../model.js';
import { IDENTIFYING_KINDS, isPiiKind, normalizeName, type PiiKind, type PiiTransform } from './pii-config.js';
import { businessNameRule, hasLegalForm, readsAsNames } from './name-fakes.js';

export interface PiiFinding {
  column: string;
  kind: PiiKind;
  confidence: number;
  reason: string;
}

export interface DetectOptions {
  /** Findings below this confidence are dropped (default 0.5). */
  minConfidence?: number;
  /** Sample values looked at per column (default 1000). */
  maxValues?: number;
}

// ---- value checks -------------------------------------------------------------------------------------

export const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const PHONE_RE = /^(?:\+|00)?[\d\s().\-/]{6,22}$/;
const PHONE_IN_TEXT = /(?:\+|\b00)\d[\d\s().-]{7,18}\d|\(\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}|\b\d{3}[.-]\d{3}[.-]\d{4}\b/;
const SSN_RE = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\/\d{1,2})?$/;
const IPV6_RE = /^(?=.*:)[0-9a-fA-F:]{2,39}(?:\/\d{1,3})?$/;
const POSTAL_RES = [
  /^\d{5}(?:-\d{4})?$/, // US ZIP, DE/FR/ES/IT
  /^\d{4}$/, // AT/CH/BE/DK/NL numeric part
  /^\d{4}\s?[A-Z]{2}$/i, // NL
  /^[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$/i, // UK
  /^[A-Z]\d[A-Z]\s?\d[A-Z]\d$/i, // CA
  /^\d{3}-\d{4}$/, // JP
];
const STREET_RE =
  /^\s*\d+[A-Za-z]?(?:[-/]\d+)?\s+.*\b(?:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|way|ct|court|pl|place|ter|terrace|pkwy|parkway|cir|circle|sq|square|hwy|highway)\b\.?/i;
const STREET_EU_RE = /^\s*[\p{L} .'-]+(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|straat|laan|rue|via|calle|avenida)\s*\d+[a-z]?\b/iu;
const DATE_RE = /^\d{4}-\d{2}-\d{2}/;

/** Luhn checksum (credit cards). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 mod-97 check of an IBAN (spaces ignored). */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  return ibanMod97(s.slice(4) + s.slice(0, 4)) === 1;
}

/** Remainder mod 97 of the IBAN digit string (letters A=10 … Z=35), computed piecewise. */
export function ibanMod97(rearranged: string): number {
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem;
}

function isCardNumber(v: string): boolean {
  const digits = v.replace(/[\s-]/g, '');
  return /^\d{13,19}$/.test(digits) && /^[\d\s-]+$/.test(v) && luhnValid(digits);
}

function isPhone(v: string): boolean {
  if (!PHONE_RE.test(v)) return false;
  const digits = v.replace(/\D/g, '').length;
  // Plain integers are ids or amounts, not phones, unless they carry an international prefix.
  if (/^\d+$/.test(v)) return v.startsWith('00') && digits >= 9 && digits <= 15;
  return digits >= 7 && digits <= 15 && !DATE_RE.test(v) && !IPV4_RE.test(v);
}

/** The locales whose names and cities the detectors know. */
const DETECTED_LOCALES: FakerLocale[] = ['en', 'de', 'fr', 'es', 'it', 'nl'];

let citySet: Set<string> | null = null;

/** Lower-cased city names from faker's locale dictionaries. */
function cities(): Set<string> {
  if (citySet) return citySet;
  citySet = new Set<string>();
  for (const f of DETECTED_LOCALES.map(fakerFor)) {
    const list: unknown = f.rawDefinitions.location?.city_name;
    if (Array.isArray(list)) for (const c of list) if (typeof c === 'string') citySet.add(c.toLowerCase());
  }
  for (const c of ['london', 'paris', 'berlin', 'madrid', 'rome', 'vienna', 'amsterdam', 'brussels', 'new york', 'los angeles', 'chicago', 'toronto', 'sydney', 'munich', 'hamburg', 'milan', 'barcelona', 'lisbon', 'dublin', 'zurich', 'tokyo']) {
    citySet.add(c);
  }
  return citySet;
}

let nameSets: { first: Set<string>; last: Set<string> } | null = null;

/** Lower-cased first and last names from faker's locale dictionaries (en, de, fr, es, it, nl). */
function names(): { first: Set<string>; last: Set<string> } {
  if (nameSets) return nameSets;
  const first = new Set<string>();
  const last = new Set<string>();
  for (const f of DETECTED_LOCALES.map(fakerFor)) {
    const p = f.rawDefinitions.person;
    for (const group of [p?.first_name, p?.last_name]) {
      if (!group) continue;
      const target = group === p?.first_name ? first : last;
      for (const list of Object.values(group)) {
        if (Array.isArray(list)) for (const n of list) if (typeof n === 'string') target.add(n.toLowerCase());
      }
    }
  }
  nameSets = { first, last };
  return nameSets;
}

function nameTokens(v: string): string[] {
  return v
    .trim()
    .split(/[\s,]+/)
    .filter((t) => t.length > 0);
}

const CAPITALISED = /^\p{Lu}[\p{L}'-]*$/u;
const CAPITALISED_WORDS = /^\p{Lu}[\p{L}'.-]*(?:\s\p{Lu}[\p{L}'.-]*)*$/u;

function looksLikeFirstName(v: string): boolean {
  const t = nameTokens(v);
  return t.length === 1 && CAPITALISED.test(t[0]!) && names().first.has(t[0]!.toLowerCase());
}

function looksLikeLastName(v: string): boolean {
  const t = nameTokens(v);
  return t.length >= 1 && t.length <= 2 && t.every((x) => CAPITALISED.test(x)) && names().last.has(t[t.length - 1]!.toLowerCase());
}

/** "Jane Doe", "Doe, Jane", "Dr. Jane A. Doe": 2–4 capitalised tokens, one of them a known first name. */
function looksLikeFullName(v: string): boolean {
  const t = nameTokens(v.replace(/\b(?:mr|mrs|ms|dr|prof)\.?\s/gi, ''));
  if (t.length < 2 || t.length > 4) return false;
  if (!t.every((x) => /^\p{Lu}[\p{L}'.-]*$/u.test(x))) return false;
  const n = names();
  const lower = t.map((x) => x.toLowerCase().replace(/[.,]$/, ''));
  // "First … Last", or "Last, First …": a dictionary first name in first position and a surname at the end
  // (both required, so product names such as "Forest Green Chair" do not pass).
  if (v.includes(',')) return n.last.has(lower[0]!) && n.first.has(lower[1]!);
  return n.first.has(lower[0]!) && n.last.has(lower[lower.length - 1]!);
}

// ---- name checks --------------------------------------------------------------------------------------

const NAME_RULES: Array<{ kind: PiiKind; re: RegExp; confidence: number }> = [
  { kind: 'email', re: /(^|_)e_?mail(_address)?($|_)/, confidence: 0.7 },
  { kind: 'phone', re: /(^|_)(phone|telephone|tel|mobile|cell|fax|msisdn)(_?(number|no|nr))?($|_)/, confidence: 0.7 },
  { kind: 'first-name', re: /(^|_)(first_?name|given_?name|forename|fname|vorname|prenom)($|_)/, confidence: 0.8 },
  { kind: 'last-name', re: /(^|_)(last_?name|surname|family_?name|lname|nachname|nom)($|_)/, confidence: 0.8 },
  {
    kind: 'person-name',
    re: /(^|_)(full_?name|person_?name|customer_?name|contact_?name|employee_?name|user_?name_full|display_?name|middle_?name|maiden_?name|(?:passenger|guest|patient|traveller|traveler)_?name)($|_)/,
    confidence: 0.75,
  },
  { kind: 'street-address', re: /(^|_)(street|address(_?line)?_?\d?|addr(_?line)?_?\d?|strasse|adresse)($|_)/, confidence: 0.7 },
  { kind: 'city', re: /(^|_)(city|town|municipality|ort|ville)($|_)/, confidence: 0.6 },
  { kind: 'postal-code', re: /(^|_)(zip(_?code)?|postal(_?code)?|post_?code|plz)($|_)/, confidence: 0.7 },
  {
    kind: 'national-id',
    re: /(^|_)(ssn|social_security(_number)?|national_?id|tax_?id|tin|nin|passport(_?(number|no))?|id_?card(_?number)?|driver_?licen[cs]e)($|_)/,
    confidence: 0.8,
  },
  { kind: 'iban', re: /(^|_)(iban|bank_?account(_?number)?|account_?number)($|_)/, confidence: 0.7 },
  { kind: 'credit-card', re: /(^|_)(credit_?card|card_?(number|no|num)|cc_?(number|num)?|pan)($|_)/, confidence: 0.75 },
  { kind: 'ip-address', re: /(^|_)(ip|ip_?addr(ess)?|remote_?addr|client_?ip|ipv[46])($|_)/, confidence: 0.75 },
  { kind: 'date-of-birth', re: /(^|_)(dob|birth_?date|date_?of_?birth|birthday|born(_on)?|geburtsdatum)($|_)/, confidence: 0.85 },
];

/**
 * Under DP, which text columns are generated as fresh fakes: decided from the schema and the config alone (a
 * data-dependent choice would itself reveal something), so such a column needs no budget beyond its NULL share.
 * A configured transform naming a kind wins; `keep`, `redact`, `hash` and free text are left to their treatment.
 */
export function dpFakeKind(table: Table, column: Column, override?: PiiTransform): PiiKind | undefined {
  if (column.type.kind !== 'text') return undefined;
  const keyed = [...(table.primaryKey?.columns ?? []), ...table.foreignKeys.flatMap((f) => f.columns), ...table.uniques.flatMap((u) => u.columns)];
  if (keyed.includes(column.name)) return undefined;
  if (override !== undefined) return isPiiKind(override) && override !== 'free-text' ? override : undefined;
  const kind = piiKindFromName(column.name) ?? businessNameRule(normalizeName(table.name), normalizeName(column.name))?.kind ?? null;
  return kind !== null && IDENTIFYING_KINDS.has(kind) ? kind : undefined;
}

/** The PII kind a column's name alone suggests (schema only, so usable where data-dependent choices are not). */
export function piiKindFromName(columnName: string): PiiKind | null {
  const normalized = normalizeName(columnName);
  return NAME_RULES.find((r) => r.re.test(normalized))?.kind ?? null;
}

const FREE_TEXT_NAME = /(^|_)(note|notes|comment|comments|description|message|body|text|remarks?|bio|about|feedback)($|_)/;

const PERSON_KINDS: ReadonlySet<PiiKind> = new Set<PiiKind>(['person-name', 'first-name', 'last-name']);

/**
 * A company or product name column (name-fakes.ts): its column name (or a bare `name` in a companies or products
 * table), or a `…name` column whose values end in a legal form ("Ltd.", "GmbH", "AB") often enough. Values that are
 * codes (`Supplier#000000001`) are left to the text model, and a recipient column (`ship_name`) whose values read as
 * people's names is left to the person-name check.
 */
function businessNameCandidate(table: Table, column: string, normalized: string, values: readonly string[], found: readonly PiiFinding[]): PiiFinding | null {
  if (!readsAsNames(values)) return null;
  const n = values.length;
  const legal = n > 0 ? values.filter(hasLegalForm).length / n : 0;
  const legalNote = legal > 0 ? `; ${Math.round(legal * 100)}% of ${n} sampled values end in a legal form` : '';
  const rule = businessNameRule(normalizeName(table.name), normalized);
  if (rule) {
    if (rule.recipient && found.some((f) => PERSON_KINDS.has(f.kind))) return null;
    const what = rule.kind === 'company-name' ? 'company names' : 'product names';
    return {
      column,
      kind: rule.kind,
      confidence: Math.min(0.95, rule.confidence + (legal >= 0.1 ? 0.1 : 0)),
      reason: `column name "${column}"${BARE_NAME_IN_TABLE.test(normalized) ? ` in table "${table.name}"` : ''} suggests ${what}${legalNote}`,
    };
  }
  if (/(^|_)name($|_)/.test(normalized) && n >= 10 && legal >= 0.3) {
    return { column, kind: 'company-name', confidence: 0.6 + 0.3 * legal, reason: `${Math.round(legal * 100)}% of ${n} sampled values end in a company's legal form` };
  }
  return null;
}

const BARE_NAME_IN_TABLE = /^([a-z]{1,3}_)?name$/;

// ---- detection ----------------------------------------------------------------------------------------

const VALUE_CHECKS: Array<{ kind: PiiKind; test: (v: string) => boolean; label: string }> = [
  { kind: 'email', test: (v) => EMAIL_RE.test(v), label: 'look like email addresses' },
  { kind: 'credit-card', test: isCardNumber, label: 'are Luhn-valid card numbers' },
  { kind: 'iban', test: ibanValid, label: 'are IBANs with valid check digits' },
  { kind: 'national-id', test: (v) => SSN_RE.test(v), label: 'have the SSN layout ddd-dd-dddd' },
  { kind: 'ip-address', test: (v) => IPV4_RE.test(v) || (IPV6_RE.test(v) && v.includes(':') && v.split(':').length >= 3), label: 'are IP addresses' },
  { kind: 'phone', test: isPhone, label: 'look like phone numbers' },
  { kind: 'street-address', test: (v) => STREET_RE.test(v) || STREET_EU_RE.test(v), label: 'look like street addresses' },
  { kind: 'person-name', test: looksLikeFullName, label: 'look like full person names' },
  { kind: 'first-name', test: looksLikeFirstName, label: 'are known first names' },
  { kind: 'last-name', test: looksLikeLastName, label: 'are known last names' },
  { kind: 'city', test: (v) => CAPITALISED_WORDS.test(v) && cities().has(v.toLowerCase()), label: 'are known city names' },
];

/** Kinds a numeric column may hold (digit strings): postal codes, national ids, account and card numbers. */
const NUMERIC_KINDS: ReadonlySet<PiiKind> = new Set<PiiKind>(['postal-code', 'national-id', 'iban', 'credit-card']);

/** Kinds whose values have a shape a check recognises, so values can contradict the column name. */
const VALUE_TEST = new Map<PiiKind, (v: string) => boolean>([
  ...VALUE_CHECKS.filter((c) => ['email', 'phone', 'ip-address', 'credit-card'].includes(c.kind)).map((c) => [c.kind, c.test] as const),
  ['credit-card', (v: string) => /^[\d\s-]{12,}$/.test(v)],
]);
const SHAPED_KINDS: ReadonlySet<PiiKind> = new Set(VALUE_TEST.keys());

function isStringish(col: Column): boolean {
  const k = col.type.kind;
  return k === 'text' || k === 'network' || k === 'enum' || k === 'integer' || k === 'decimal';
}

function valueStrings(sample: TableSample, column: string, max: number): string[] {
  const idx = sample.columns.indexOf(column);
  if (idx < 0) return [];
  const out: string[] = [];
  for (const row of sample.rows) {
    const v = row[idx];
    if (v === null || v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
      const s = String(v).trim();
      if (s !== '') out.push(s);
    }
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Likely PII columns of a table: at most one finding per column (the most confident kind). Key columns with
 * integer/uuid types are skipped (the key assigner owns them).
 */
export function detectPii(table: Table, sample: TableSample, options: DetectOptions = {}): PiiFinding[] {
  const minConfidence = options.minConfidence ?? 0.5;
  const maxValues = options.maxValues ?? 1000;
  const keyCols = new Set([...(table.primaryKey?.columns ?? []), ...table.foreignKeys.flatMap((f) => f.columns)]);
  const findings: PiiFinding[] = [];
  for (const col of table.columns) {
    if (col.generated) continue;
    const k = col.type.kind;
    if (keyCols.has(col.name) && (k === 'integer' || k === 'uuid')) continue;
    const normalized = normalizeName(col.name);
    const candidates: PiiFinding[] = [];
    const numeric = k === 'integer' || k === 'decimal';
    // A number column holds quantities, coordinates or codes: only kinds that are plain digit strings can live there
    // (never a phone: `151.2093` or `5551234` in a numeric column is a longitude or a count).
    const rule = NAME_RULES.find((r) => r.re.test(normalized));
    const nameRule = rule && (!numeric || NUMERIC_KINDS.has(rule.kind)) ? rule : undefined;

    if (k === 'date' || k === 'timestamp') {
      if (nameRule?.kind === 'date-of-birth') {
        candidates.push({ column: col.name, kind: 'date-of-birth', confidence: nameRule.confidence, reason: `column name "${col.name}" suggests a date of birth` });
      }
    } else if (k === 'network' && col.type.family !== 'macaddr') {
      candidates.push({ column: col.name, kind: 'ip-address', confidence: 0.9, reason: `column type ${col.nativeType} holds IP addresses` });
    } else if (isStringish(col)) {
      const values = valueStrings(sample, col.name, maxValues);
      const n = values.length;
      if (n > 0) {
        for (const check of VALUE_CHECKS) {
          if (numeric && check.kind !== 'credit-card') continue;
          const hits = values.filter(check.test).length;
          const share = hits / n;
          if (share < 0.3) continue;
          const byName = nameRule?.kind === check.kind;
          // Strong formats (check digits, @) need less agreement than dictionary-based name matches.
          const strong = ['email', 'credit-card', 'iban', 'national-id', 'ip-address'].includes(check.kind);
          if (!strong && !byName && share < 0.6) continue;
          let confidence = strong ? 0.5 + 0.45 * share : 0.3 + 0.5 * share;
          if (byName) confidence = Math.min(0.99, confidence + 0.25);
          candidates.push({
            column: col.name,
            kind: check.kind,
            confidence,
            reason: `${Math.round(share * 100)}% of ${n} sampled values ${check.label}${byName ? ` and the column name "${col.name}" agrees` : ''}`,
          });
        }
        if (k === 'text' && candidates.length === 0) {
          // Free text is PII when it carries contact details inside longer prose.
          const prose = values.filter((v) => /\s/.test(v) && v.length > 15);
          const carrying = prose.filter((v) => EMAIL_IN_TEXT.test(v) || PHONE_IN_TEXT.test(v)).length;
          if (prose.length >= Math.max(3, n * 0.3) && carrying > 0) {
            const share = carrying / prose.length;
            const named = FREE_TEXT_NAME.test(normalized);
            candidates.push({
              column: col.name,
              kind: 'free-text',
              confidence: Math.min(0.95, 0.5 + share + (named ? 0.1 : 0)),
              reason: `${carrying} of ${prose.length} sampled texts contain an email address or phone number`,
            });
          }
        }
      }
      if (nameRule?.kind === 'postal-code' && n > 0 && !candidates.some((c) => c.kind === 'postal-code')) {
        // Postal codes are too plain to detect from values alone, but values can confirm the name.
        const share = values.filter((v) => POSTAL_RES.some((re) => re.test(v))).length / n;
        if (share >= 0.8) {
          candidates.push({
            column: col.name,
            kind: 'postal-code',
            confidence: 0.7 + 0.2 * share,
            reason: `column name "${col.name}" suggests postal codes and ${Math.round(share * 100)}% of ${n} sampled values have a postal-code pattern`,
          });
        }
      }
      if (k === 'text' && !nameRule) {
        const business = businessNameCandidate(table, col.name, normalized, values, candidates);
        if (business) candidates.push(business);
      }
      // Precision over recall: a name whose kind has a recognisable value shape, over enough values that almost
      // never have it (a "phone" column of yes/no flags, an "email" column of counts), is not that kind.
      const contradicted = nameRule !== undefined && n >= 20 && SHAPED_KINDS.has(nameRule.kind) && values.filter((v) => VALUE_TEST.get(nameRule.kind)!(v)).length < 0.1 * n;
      if (nameRule && !contradicted && !candidates.some((c) => c.kind === nameRule.kind)) {
        // The name alone: weaker when values were seen and did not match.
        const penalty = n >= 20 && !['city', 'first-name', 'last-name', 'person-name', 'street-address'].includes(nameRule.kind) ? 0.25 : 0;
        candidates.push({
          column: col.name,
          kind: nameRule.kind,
          confidence: nameRule.confidence - penalty,
          reason: `column name "${col.name}" suggests ${nameRule.kind}${n === 0 ? ' (no sampled values to confirm)' : ''}`,
        });
      }
    }
    const best = candidates.sort((a, b) => b.confidence - a.confidence)[0];
    if (best && best.confidence >= minConfidence) findings.push({ ...best, confidence: Math.round(best.confidence * 100) / 100 });
  }
  return findings;
}
