/**
 * A row's address hangs together: its city, state/region and postal code come from the faker locale of the row's own
 * country (a category kept from the source or a fake), not each from its own draw, so a generated customer no longer
 * lives in "Redlands, India". Runs on finished rows (apply-rules.ts), once the country column holds its final value.
 *
 * The values are drawn from per-locale pools built once (a fixed faker seed, so every process builds the same pool)
 * and picked by a hash of (run seed, table, column, row index): no run RNG is consumed, so every other column is
 * drawn exactly as before, and a load worker that generates a window of rows picks what the main process would.
 * A country no locale is mapped for uses faker's neutral English ('en'). Whether the row has a state at all, and a
 * postal code within its state, follow location-states.ts. Under DP the same rewriting runs (it reads no source row);
 * only which columns move is decided from the schema there.
 */
import type { Column, Table, TableRef } from '../../schema/model.js';
import type { Row, Value } from '../../schema/values.js';
import { columnValues, isLowCardinality, valueKey } from '../metadata.js';
import type { TableSample } from '../model.js';
import { fakerFor, type FakerLocale } from './faker-locales.js';
import { normalizeName, type PiiTransform } from './pii-config.js';
import { piiKindFromName } from './pii-detect.js';
import { countryKey, learnStateShares, postalStatesOf, stateNameOf, wantsState, type PostalStates, type StateShares } from './location-states.js';

/** The locale for countries with no entry: faker's base English (its cities are made-up English-sounding ones). */
export const NEUTRAL_LOCALE: FakerLocale = 'en';

// Names as sample databases write them (chinook, northwind, world) and ISO 3166 alpha-2/alpha-3 codes; lower-cased.
const COUNTRY_LOCALES: ReadonlyArray<[FakerLocale, string[]]> = [
  ['en_US', ['usa', 'us', 'united states', 'united states of america', 'america']],
  ['en_CA', ['canada', 'ca', 'can']],
  ['pt_BR', ['brazil', 'brasil', 'br', 'bra']],
  ['de', ['germany', 'deutschland', 'de', 'deu']],
  ['fr', ['france', 'fr', 'fra']],
  ['en_IN', ['india', 'in', 'ind']],
  ['en_GB', ['uk', 'united kingdom', 'great britain', 'england', 'scotland', 'wales', 'gb', 'gbr']],
  ['en_IE', ['ireland', 'ie', 'irl']],
  ['en_AU', ['australia', 'au', 'aus']],
  ['es', ['spain', 'españa', 'espana', 'es', 'esp', 'argentina', 'chile', 'venezuela', 'colombia', 'peru', 'ar', 'cl', 've', 'co', 'pe']],
  ['es_MX', ['mexico', 'méxico', 'mx', 'mex']],
  ['it', ['italy', 'italia', 'it', 'ita']],
  ['nl', ['netherlands', 'the netherlands', 'holland', 'nederland', 'nl', 'nld']],
  ['fr_BE', ['belgium', 'belgique', 'be', 'bel']],
  ['de_CH', ['switzerland', 'schweiz', 'suisse', 'ch', 'che']],
  ['de_AT', ['austria', 'österreich', 'at', 'aut']],
  ['sv', ['sweden', 'sverige', 'se', 'swe']],
  ['da', ['denmark', 'danmark', 'dk', 'dnk']],
  ['fi', ['finland', 'suomi', 'fi', 'fin']],
  ['nb_NO', ['norway', 'norge', 'no', 'nor']],
  ['pt_PT', ['portugal', 'pt', 'prt']],
  ['pl', ['poland', 'polska', 'pl', 'pol']],
  ['cs_CZ', ['czech republic', 'czechia', 'cz', 'cze']],
  ['hu', ['hungary', 'magyarország', 'hu', 'hun']],
  ['ja', ['japan', 'jp', 'jpn']],
];
const LOCALE_OF = new Map<string, FakerLocale>(COUNTRY_LOCALES.flatMap(([l, names]) => names.map((n) => [n, l] as [string, FakerLocale])));

/** The faker locale of a country value (name or ISO code, any case); the neutral locale for one not mapped. */
export function localeForCountry(country: string): FakerLocale {
  return LOCALE_OF.get(country.trim().toLowerCase()) ?? NEUTRAL_LOCALE;
}

export interface LocationPools {
  cities: readonly string[];
  /** The locale's own states, full and abbreviated; empty where faker only inherits English's (US) states. */
  states: readonly string[];
  stateAbbrs: readonly string[];
  postcodes: readonly string[];
}

const POOL_SIZE = 400;
const POOL_SEED = 0x5eed;
const pools = new Map<FakerLocale, LocationPools>();

/** The pools of one locale, built on first use (faker seeded with a constant, so the same in every process). */
export function locationPools(locale: FakerLocale): LocationPools {
  let p = pools.get(locale);
  if (p) return p;
  const f = fakerFor(locale);
  const draw = (fn: () => string): string[] => {
    f.seed(POOL_SEED);
    return [...new Set(Array.from({ length: POOL_SIZE }, fn))];
  };
  // A locale without states of its own falls back to English's, the US states: those would put "WA" in Germany.
  const en = fakerFor(NEUTRAL_LOCALE).rawDefinitions.location;
  const own = (xs: readonly string[] | null | undefined, enXs: readonly string[] | null | undefined): string[] =>
    xs && xs.length > 0 && (locale === 'en_US' || xs !== enXs && xs.join('|') !== (enXs ?? []).join('|')) ? [...xs] : [];
  const loc = f.rawDefinitions.location;
  p = {
    cities: draw(() => f.location.city()),
    states: own(loc?.state, en?.state),
    stateAbbrs: own(loc?.state_abbr, en?.state_abbr),
    postcodes: draw(() => f.location.zipCode()),
  };
  pools.set(locale, p);
  return p;
}

type Part = 'city' | 'state' | 'postal';
interface Target {
  col: number;
  column: Column;
  part: Part;
  salt: number;
  /** A state's second pick: whether the row has one at all. */
  nullSalt: number;
  /** A state beside a kept city: only NULL where its country never has one in the source. */
  nullOnly?: boolean;
}
interface Group {
  country: number;
  targets: Target[];
  /** The group's state and postal-code columns (index in the batch), moved or kept: a kept one the other follows. */
  stateAt?: number;
  postalAt?: number;
}

const STATE_NAME = /(^|_)(state|region|province|county|prefecture)($|_)/;
const COUNTRY_NAME = /(^|_)country(_?name)?$/;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's finaliser over (salt, row index): a well-spread 32-bit pick per row and column. */
function mix(salt: number, i: number): number {
  let h = (salt ^ Math.imul(i, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function partOf(c: Column): Part | null {
  if (c.type.kind !== 'text') return null;
  const kind = piiKindFromName(c.name);
  if (kind === 'city') return 'city';
  if (kind === 'postal-code') return 'postal';
  return STATE_NAME.test(normalizeName(c.name)) ? 'state' : null;
}

/** What is left of a column name once its location word is taken out ("billing_city" → "billing"): pairs columns. */
function prefixOf(name: string): string {
  return normalizeName(name).replace(/_?(city|town|state|region|province|county|prefecture|zip(_?code)?|postal(_?code)?|post_?code|plz|country(_?name)?)$/, '');
}

/**
 * Which location columns of a table generation may rewrite, decided at fit time from the PII plan (so a stored model
 * set and a load worker decide alike): the city and postal-code columns whose generator draws fakes, and the columns
 * the config gave a transform of their own, which stay as generated (the user's decision wins).
 */
export interface LocationFakeRule {
  table: TableRef;
  /**
   * City/postal columns the PII plan fakes (their kind in the sample's `piiKinds`), generated as fakes, not categories;
   * under DP every city/postal column by its name.
   */
  fakes: Record<string, 'city' | 'postal-code'>;
  /** Other columns with a `transform` in the config (`keep` on a state): never rewritten. */
  configured: string[];
  /**
   * Per state column, each country's share of rows with a state in the sample; absent under DP (a data-independent
   * rule decides there: location-states.ts `localeHasStates`).
   */
  states?: Record<string, StateShares>;
}

export type LocationRuleColumns = Pick<LocationFakeRule, 'fakes' | 'configured'> & Partial<Pick<LocationFakeRule, 'states'>>;

/** The text country column a location column follows: the one of its prefix, else the table's only one. */
function countryColumnOf(table: Table, name: string): Column | undefined {
  const countries = table.columns.filter((c) => c.type.kind === 'text' && COUNTRY_NAME.test(normalizeName(c.name)));
  return countries.find((c) => prefixOf(c.name) === prefixOf(name)) ?? (countries.length === 1 ? countries[0] : undefined);
}

/**
 * The table's rule from its sample's PII plan (`sample.piiKinds`, after the config's overrides) and the config's
 * column overrides; null when the plan fakes no city or postal code (a `keep`, a column the scan did not flag).
 */
export function locationFakeRule(
  table: Table,
  sample: TableSample,
  overrides: Readonly<Record<string, { transform?: PiiTransform | undefined } | undefined>> = {},
  options: { dp?: boolean } = {},
): LocationFakeRule | null {
  if (options.dp) return dpLocationFakeRule(table, overrides);
  const fakes: LocationFakeRule['fakes'] = {};
  for (const c of table.columns) {
    const kind = sample.piiKinds?.[c.name];
    if ((kind !== 'city' && kind !== 'postal-code') || c.type.kind !== 'text') continue;
    // As fitColumnSpec decides: a personal city with a handful of values (a company's three office towns) is a
    // category drawn from the source, not a fake, and keeps its source value.
    const nonNull = columnValues(sample, c.name).filter((v) => v !== null);
    if (!isLowCardinality(new Set(nonNull.map(valueKey)).size, nonNull.length)) fakes[c.name] = kind;
  }
  if (Object.keys(fakes).length === 0) return null;
  const configured = Object.entries(overrides).flatMap(([c, o]) => (o?.transform !== undefined && fakes[c] === undefined ? [c] : []));
  // Whether a country's rows have a state (chinook: USA, Canada, Brazil … do, Germany and France do not).
  const states: Record<string, StateShares> = {};
  for (const c of table.columns) {
    const country = partOf(c) === 'state' ? countryColumnOf(table, c.name) : undefined;
    const at = sample.columns.indexOf(c.name);
    const countryAt = country ? sample.columns.indexOf(country.name) : -1;
    const shares = at >= 0 && countryAt >= 0 ? learnStateShares(sample.rows, at, countryAt) : null;
    if (shares) states[c.name] = shares;
  }
  return { table: { schema: table.schema, name: table.name }, fakes, configured, ...(Object.keys(states).length > 0 ? { states } : {}) };
}

/**
 * Under DP the rule comes from the schema and the config alone (a choice made from the values would itself be a
 * release): every text city and postal-code column by its name (or a `transform` naming the kind) beside a country
 * column. Rewriting the generated rows from faker's pools is post-processing of the DP output: it reads no source row.
 */
function dpLocationFakeRule(table: Table, overrides: Readonly<Record<string, { transform?: PiiTransform | undefined } | undefined>>): LocationFakeRule | null {
  const fakes: LocationFakeRule['fakes'] = {};
  for (const c of table.columns) {
    const transform = overrides[c.name]?.transform;
    const part = transform === undefined ? partOf(c) : transform === 'city' ? 'city' : transform === 'postal-code' ? 'postal' : null;
    if (c.type.kind === 'text' && (part === 'city' || part === 'postal') && countryColumnOf(table, c.name)) fakes[c.name] = part === 'city' ? 'city' : 'postal-code';
  }
  if (Object.keys(fakes).length === 0) return null;
  const configured = Object.entries(overrides).flatMap(([c, o]) => (o?.transform !== undefined && fakes[c] === undefined ? [c] : []));
  return { table: { schema: table.schema, name: table.name }, fakes, configured };
}

/**
 * The location columns of `table` (among `names`, the batch's column order) grouped under the country column they
 * follow: the one with the same prefix (billing_city → billing_country), else the table's only country column.
 * Only `rule`'s faked city/postal columns move, and a state only beside one of them (a state next to a kept city
 * stays with it). `skip`: columns another rule sets (a copy from the parent keeps the parent's value).
 */
export function locationGroups(table: Table, names: readonly string[], rule: LocationRuleColumns, skip: ReadonlySet<string> = new Set()): Group[] {
  // A column in a key or a CHECK keeps its drawn value: a pool pick could repeat a unique one or leave the check's list.
  const fixed = new Set([...skip, ...rule.configured, ...(table.primaryKey?.columns ?? []), ...table.uniques.flatMap((u) => u.columns), ...table.foreignKeys.flatMap((f) => f.columns)]);
  const fakes = new Map(Object.entries(rule.fakes));
  const checked = (n: string): boolean => table.checks.some((c) => new RegExp(`\\b${n.replace(/[^\w]/g, '')}\\b`, 'i').test(c.expression));
  const countries = names.flatMap((n, i) => {
    const c = table.columns.find((x) => x.name === n);
    return c && c.type.kind === 'text' && COUNTRY_NAME.test(normalizeName(n)) ? [{ i, prefix: prefixOf(n) }] : [];
  });
  if (countries.length === 0) return [];
  const located = names.flatMap((n, i) => {
    const column = table.columns.find((x) => x.name === n);
    // The plan's kind first: a column the scan found cities in by their values is one whatever its name.
    const faked = fakes.get(n);
    const part: Part | null = faked === 'city' ? 'city' : faked === 'postal-code' ? 'postal' : column ? partOf(column) : null;
    if (!column || !part) return [];
    const country = countries.find((c) => c.prefix === prefixOf(n)) ?? (countries.length === 1 ? countries[0] : undefined);
    return country ? [{ col: i, column, part, country: country.i }] : [];
  });
  // A faked city or postal code is redrawn (also one a parent copy sets, the parent's fake, counts as faked); a state
  // only where its group's cities all are: beside a kept city ("Calgary") it keeps the model's value ("AB").
  const faked = (l: (typeof located)[number]): boolean => fakes.has(l.column.name);
  const stateMoves = new Set(located.filter(faked).map((l) => l.country).filter((g) => located.every((l) => l.country !== g || l.part !== 'city' || faked(l))));
  const groups = new Map<number, Group>();
  for (const l of located) {
    const { col, column, part, country } = l;
    if (fixed.has(column.name) || checked(column.name)) continue;
    // A state beside a kept city keeps the model's value, but not in a country whose source rows have none.
    const nullOnly = part === 'state' && !stateMoves.has(country) && column.nullable && rule.states?.[column.name] !== undefined;
    if (!nullOnly && (part === 'state' ? !stateMoves.has(country) : !faked(l))) continue;
    const g = groups.get(country) ?? { country, targets: [] };
    g.targets.push({ col, column, part, salt: 0, nullSalt: 0, ...(nullOnly ? { nullOnly } : {}) });
    groups.set(country, g);
  }
  for (const g of groups.values()) {
    const stateAt = located.find((l) => l.country === g.country && l.part === 'state')?.col;
    const postalAt = located.find((l) => l.country === g.country && l.part === 'postal')?.col;
    if (stateAt !== undefined) g.stateAt = stateAt;
    if (postalAt !== undefined) g.postalAt = postalAt;
  }
  return [...groups.values()];
}

/**
 * Rewrites each row's city/state/postal code from its country's locale pools, in place. `label` names the table
 * stably (seed-scope.ts), so the picks do not depend on the database's name. Null when `rule` leaves no column to move.
 */
export function createLocationEnforcer(
  table: Table,
  names: readonly string[],
  seed: number,
  label: string,
  rule: LocationRuleColumns,
  skip?: ReadonlySet<string>,
): ((rows: Row[], start: number) => void) | null {
  const groups = locationGroups(table, names, rule, skip);
  if (groups.length === 0) return null;
  // A state first (a kept postal code may name it), then a postal code (within the row's final state), then a city.
  const order: Record<Part, number> = { state: 0, postal: 1, city: 2 };
  for (const g of groups) {
    g.targets.sort((a, b) => order[a.part] - order[b.part]);
    for (const t of g.targets) {
      t.salt = fnv1a(`${seed}:location:${label}:${t.column.name}`);
      t.nullSalt = fnv1a(`${seed}:location-state:${label}:${t.column.name}`);
    }
  }
  const shares = rule.states ?? {};
  interface CountryPools {
    key: string;
    locale: FakerLocale;
    pools: LocationPools;
    postal: PostalStates | null;
  }
  const localeCache = new Map<string, CountryPools>();
  const poolsOf = (country: string): CountryPools => {
    let p = localeCache.get(country);
    if (!p) {
      const locale = localeForCountry(country);
      localeCache.set(country, (p = { key: countryKey(country), locale, pools: locationPools(locale), postal: postalStatesOf(locale, POOL_SEED) }));
    }
    return p;
  };
  // Per column, the pool entries that fit its length ("Pfannerstill Co" is no city; a varchar(15) gets a short one).
  const fitting = new Map<Target, Map<readonly string[], readonly string[]>>();
  const fitted = (t: Target, list: readonly string[]): readonly string[] => {
    const max = t.column.type.kind === 'text' ? t.column.type.maxLength : null;
    if (max === null) return list;
    let mine = fitting.get(t);
    if (!mine) fitting.set(t, (mine = new Map()));
    let out = mine.get(list);
    if (!out) {
      const short = list.filter((x) => x.length <= max);
      mine.set(list, (out = short.length > 0 ? short : list.map((x) => x.slice(0, max))));
    }
    return out;
  };
  const moves = (g: Group, at: number | undefined): boolean => g.targets.some((t) => t.col === at);
  return (rows, start) => {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (const g of groups) {
        const country = row[g.country];
        if (typeof country !== 'string' || country.trim() === '') continue;
        const { key, locale, pools: p, postal: byState } = poolsOf(country);
        for (const t of g.targets) {
          const v = row[t.col];
          const h = mix(t.salt, start + r);
          if (t.nullOnly) {
            if (v !== null && shares[t.column.name]?.byCountry[key] === 0) row[t.col] = null;
            continue;
          }
          if (t.part === 'state') {
            // Whether the row has a state follows its country (learned share, or the locale's convention under DP),
            // not the model's NULL share drawn apart from the country.
            if (t.column.nullable && !wantsState(shares[t.column.name], key, locale, mix(t.nullSalt, start + r) / 0x1_0000_0000)) {
              row[t.col] = null;
              continue;
            }
            // An abbreviation stays one ("SP", "CA"); a locale with no states of its own leaves no foreign state.
            const abbr = v === null || v === undefined ? (shares[t.column.name]?.abbreviated ?? true) : String(v).length <= 3;
            const list = abbr ? p.stateAbbrs : p.states;
            if (list.length === 0) {
              if (t.column.nullable) row[t.col] = null;
              continue;
            }
            const pool = fitted(t, list);
            // A postal code kept as drawn names its state where the locale can tell (en_US ranges, en_CA letters).
            const kept = g.postalAt !== undefined && !moves(g, g.postalAt) ? row[g.postalAt] : null;
            const named = typeof kept === 'string' && byState ? byState.stateOf(kept) : undefined;
            const own = named === undefined ? undefined : abbr ? named : stateNameOf(locale, named);
            row[t.col] = own !== undefined && pool.includes(own) ? own : pool[h % pool.length]!;
            continue;
          }
          if (v === null || v === undefined) continue;
          let list: readonly string[] = t.part === 'city' ? p.cities : p.postcodes;
          if (t.part === 'postal' && byState && g.stateAt !== undefined) {
            // A postal code within the row's (final) state, where the locale knows which codes are whose.
            const state = row[g.stateAt];
            const abbr = typeof state === 'string' ? byState.abbrOf(state) : undefined;
            list = (abbr === undefined ? undefined : byState.pools.get(abbr)) ?? list;
          }
          const pool = fitted(t, list);
          row[t.col] = pool[h % pool.length]!;
        }
      }
    }
  };
}
