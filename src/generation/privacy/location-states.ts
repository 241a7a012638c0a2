/**
 * What makes a faked address's state and postal code hang together (location-fakes.ts runs it): whether a row of a
 * country has a state at all, which state a kept postal code lies in, and postal codes drawn within their state.
 *
 * Whether a country's addresses carry a state is learned from the source where that is allowed (the share of rows
 * with a state per country, `StateShares`); under DP, and for a country the sample did not have, a data-independent
 * rule decides: the postal convention of the country's locale (`localeHasStates`). Only faker's en_US and en_CA
 * know which postal codes belong to which state (`postcode_by_state`); no locale knows which state a city lies in
 * (faker's cities are made up from name parts), so a faked city and its state stay drawn apart.
 */
import type { Value } from '../../schema/values.js';
import { fakerFor, type FakerLocale } from './faker-locales.js';

/**
 * Locales whose postal addresses carry a state, province or prefecture (US, Canada, Australia, Brazil, Mexico,
 * India, Japan); elsewhere (most of Europe: faker's de, fr, it, es list regions no address line uses) none.
 */
const ADDRESS_STATE_LOCALES: ReadonlySet<FakerLocale> = new Set<FakerLocale>(['en_US', 'en_CA', 'en_AU', 'pt_BR', 'es_MX', 'en_IN', 'ja']);

/** The data-independent rule (DP, or a country the sample did not have): whether the locale's addresses carry a state. */
export function localeHasStates(locale: FakerLocale): boolean {
  return ADDRESS_STATE_LOCALES.has(locale);
}

/** Per state column, learned from the sample (never under DP): how often each country's rows have a state. */
export interface StateShares {
  /** The column's states are abbreviations ("WA", "SP"): a state drawn where the model drew NULL takes that form. */
  abbreviated: boolean;
  /** Lower-cased, trimmed country value → share of its sampled rows with a state (3 decimals). */
  byCountry: Record<string, number>;
}

/** More countries than this: the column is no country list (and the rule would bloat the stored models). */
const MAX_COUNTRIES = 500;

export function countryKey(country: string): string {
  return country.trim().toLowerCase();
}

/** The shares of one state column beside `countryCol` in the sample's rows; null where they say nothing. */
export function learnStateShares(rows: ReadonlyArray<ReadonlyArray<Value>>, stateCol: number, countryCol: number): StateShares | null {
  const counts = new Map<string, [rows: number, withState: number]>();
  let short = 0;
  let states = 0;
  for (const row of rows) {
    const country = row[countryCol];
    if (typeof country !== 'string' || country.trim() === '') continue;
    const k = countryKey(country);
    const c = counts.get(k) ?? [0, 0];
    const state = row[stateCol];
    c[0]++;
    if (state !== null && state !== undefined && String(state).trim() !== '') {
      c[1]++;
      states++;
      if (String(state).length <= 3) short++;
    }
    counts.set(k, c);
  }
  if (counts.size === 0 || counts.size > MAX_COUNTRIES) return null;
  const byCountry: Record<string, number> = {};
  for (const [k, [n, s]] of counts) byCountry[k] = Math.round((s / n) * 1000) / 1000;
  return { abbreviated: states > 0 && short * 2 >= states, byCountry };
}

/** Whether a row of this country (`key`: `countryKey`) gets a state; `unit` is the row's uniform draw in [0, 1). */
export function wantsState(shares: StateShares | undefined, key: string, locale: FakerLocale, unit: number): boolean {
  const share = shares?.byCountry[key];
  return share === undefined ? localeHasStates(locale) : unit < share;
}

/** Which postal codes lie in which state, where the locale knows it (faker's `postcode_by_state`: en_US, en_CA). */
export interface PostalStates {
  /** State abbreviation → postal codes drawn with `zipCode({ state })`. */
  pools: ReadonlyMap<string, readonly string[]>;
  /** The abbreviation of a state written either way ("California" → "CA"), if the locale has it. */
  abbrOf(state: string): string | undefined;
  /** The one state a postal code lies in, or undefined (unknown shape, or two states share it: Canada's X). */
  stateOf(postal: string): string | undefined;
}

type Matcher = (postal: string) => boolean;

// faker's templates: `{{number.int({"min": 99501,"max": 99950})}}` (en_US, on the first five digits) or
// `{{helpers.fromRegExp(T[0-9]…)}}` (en_CA, on the first letter).
function matcherOf(template: string): Matcher | null {
  const range = /"min":\s*(\d+),\s*"max":\s*(\d+)/.exec(template);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    return (p) => {
      const m = /^\d{5}/.exec(p.trim());
      const z = m ? Number(m[0]) : NaN;
      return z >= lo && z <= hi;
    };
  }
  const re = /fromRegExp\((\[[^\]]+\]|[A-Z])/.exec(template);
  if (re) {
    const first = new RegExp(`^${re[1]}`, 'i');
    return (p) => first.test(p.trim());
  }
  return null;
}

const POOL_PER_STATE = 40;
const postalStates = new Map<FakerLocale, PostalStates | null>();

/** The locale's postal codes per state, built once (faker seeded with `seed`); null where the locale has none. */
export function postalStatesOf(locale: FakerLocale, seed: number): PostalStates | null {
  if (postalStates.has(locale)) return postalStates.get(locale)!;
  const f = fakerFor(locale);
  const loc = f.rawDefinitions.location;
  const byState = loc?.postcode_by_state as Record<string, string | string[]> | undefined;
  let out: PostalStates | null = null;
  if (byState && Object.keys(byState).length > 0) {
    const pools = new Map<string, readonly string[]>();
    const matchers: Array<[string, Matcher[]]> = [];
    for (const [abbr, t] of Object.entries(byState)) {
      f.seed(seed);
      pools.set(abbr, [...new Set(Array.from({ length: POOL_PER_STATE }, () => f.location.zipCode({ state: abbr })))]);
      matchers.push([abbr, (Array.isArray(t) ? t : [t]).flatMap((x) => matcherOf(x) ?? [])]);
    }
    // faker lists a locale's states and their abbreviations in the same order (en_CA swaps NT/NU, which share 'X').
    const names = new Map<string, string>();
    (loc?.state ?? []).forEach((s, i) => {
      const a = loc?.state_abbr?.[i];
      if (a) names.set(s.toLowerCase(), a);
    });
    for (const a of pools.keys()) names.set(a.toLowerCase(), a);
    out = {
      pools,
      abbrOf: (s) => names.get(s.trim().toLowerCase()),
      stateOf: (p) => {
        const hits = matchers.filter(([, ms]) => ms.some((m) => m(p)));
        return hits.length === 1 ? hits[0]![0] : undefined;
      },
    };
  }
  postalStates.set(locale, out);
  return out;
}

/** The name of a state abbreviation in the locale ("CA" → "California"), for a column that writes states in full. */
export function stateNameOf(locale: FakerLocale, abbr: string): string | undefined {
  const loc = fakerFor(locale).rawDefinitions.location;
  const i = (loc?.state_abbr ?? []).indexOf(abbr);
  return i >= 0 ? loc?.state?.[i] : undefined;
}
