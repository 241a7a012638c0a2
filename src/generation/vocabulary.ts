/**
 * Vocabularies: a text column that keys its table together with a FK ((countrycode, language), (post_id, tag),
 * (product_id, attribute)) names one of a set of things its parents share: a language is spoken in many countries,
 * a tag put on many posts. An application looks these values up ('English'), so generated rows draw them from the
 * source's vocabulary, each parent's rows a distinct draw so the composite key stays unique; random strings would
 * be gibberish to it.
 *
 * Every value of a vocabulary is emitted, those seen once included (world's 324 languages spoken in one country
 * each): the rare-category protection (MIN_CATEGORY_COUNT, metadata.ts) is there because a value seen once can name
 * the one person it belongs to, and a vocabulary column is one the PII scan finds no person in, whose values are
 * shared across parents, and whose values land on random synthetic parents. A column the PII scan finds personal
 * (or given a `transform`) is never a vocabulary, and under DP no key statistic is read off the data at all
 * (dp-fit.ts), so both keep the protection. docs/privacy.md, "Rare values".
 */
import type { Table } from '../schema/model.js';
import type { Value } from '../schema/values.js';
import { columnValues, valueKey } from './metadata.js';
import type { TableSample } from './model.js';
import { createRng } from './rng.js';

export interface Vocabulary {
  /** The FK whose parents each draw distinct values: the rest of the key. */
  foreignKey: string;
  /** Distinct source values, most used first. */
  values: string[];
  /** Rows holding each value in the sample (how many parents share it). */
  weights: number[];
}

/** Fewest sampled rows to call a column's values a vocabulary: below that, sharing says little. */
const MIN_ROWS = 20;
/** Least share of rows whose value is also used by another parent: languages, tags, attribute names repeat. */
const MIN_SHARED = 0.5;
/** Values kept per vocabulary (the most used): enough for any menu, bounded in the model artifact. */
const MAX_VALUES = 10_000;

/**
 * The vocabulary columns of a table, by column: a text column, not personal, not itself a FK, in exactly one
 * PK/UNIQUE, which is it plus the columns of one NOT NULL FK, and whose values mostly occur under two parents or more.
 */
export function fitVocabularies(table: Table, sample: TableSample): Record<string, Vocabulary> {
  const out: Record<string, Vocabulary> = {};
  for (const [c, { values, weights, foreignKey }] of Object.entries(vocabularyFindings(table, sample))) out[c] = { foreignKey, values, weights };
  return out;
}

/** A vocabulary with what decided it, for `synth plan` (lookup-rules.ts). */
export interface VocabularyFinding extends Vocabulary {
  /** Sampled rows with a value, and those whose value another parent holds too. */
  rows: number;
  shared: number;
  /** Values held under one parent only (kept all the same). */
  singleParent: number;
}

/** `fitVocabularies` with the counts behind each decision. */
export function vocabularyFindings(table: Table, sample: TableSample): Record<string, VocabularyFinding> {
  const out: Record<string, VocabularyFinding> = {};
  const sets = [...(table.primaryKey ? [table.primaryKey.columns] : []), ...table.uniques.map((u) => u.columns)];
  const fkColumns = new Set(table.foreignKeys.flatMap((f) => f.columns));
  for (const column of table.columns) {
    const c = column.name;
    if (column.type.kind !== 'text' || column.generated !== null || column.autoIncrement !== null || fkColumns.has(c)) continue;
    if (sample.piiKinds?.[c] !== undefined) continue;
    const holding = sets.filter((s) => s.includes(c));
    if (holding.length !== 1) continue;
    const rest = holding[0]!.filter((x) => x !== c);
    const fk = table.foreignKeys.find((f) => f.columns.length === rest.length && f.columns.every((x) => rest.includes(x)));
    if (!fk || fk.columns.some((x) => table.columns.find((col) => col.name === x)?.nullable !== false)) continue;
    const vocabulary = sharedValues(sample, c, fk.columns);
    if (vocabulary) out[c] = { foreignKey: fk.name, ...vocabulary };
  }
  return out;
}

/** The column's values with their counts, when most rows hold a value that more than one parent holds. */
function sharedValues(sample: TableSample, column: string, parentColumns: string[]): Omit<VocabularyFinding, 'foreignKey'> | null {
  const values = columnValues(sample, column);
  const parents = parentColumns.map((p) => columnValues(sample, p));
  const byValue = new Map<string, { parents: Set<string>; rows: number }>();
  let rows = 0;
  values.forEach((v, i) => {
    if (typeof v !== 'string') return;
    rows++;
    const entry = byValue.get(v) ?? { parents: new Set<string>(), rows: 0 };
    entry.parents.add(parents.map((p) => valueKey(p[i] as Value)).join('\u0000'));
    entry.rows++;
    byValue.set(v, entry);
  });
  if (rows < MIN_ROWS) return null;
  let shared = 0;
  let singleParent = 0;
  for (const e of byValue.values()) {
    if (e.parents.size >= 2) shared += e.rows;
    else singleParent++;
  }
  if (shared / rows < MIN_SHARED) return null;
  const ranked = [...byValue].sort((a, b) => b[1].rows - a[1].rows || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, MAX_VALUES);
  return { values: ranked.map(([v]) => v), weights: ranked.map(([, e]) => e.rows), rows, shared, singleParent };
}

/**
 * Row i's value: the `ordinalOf(i)`-th of its parent's draws without replacement from the vocabulary by weight,
 * seeded by the parent's index, so any window of rows reads the same values. A parent with more rows than the
 * vocabulary has values (a scale above 1) gets the key function's values past it, skipping vocabulary words, so the
 * pair stays unique.
 */
export function vocabularyReader(
  v: Vocabulary,
  parentOf: (i: number) => number,
  ordinalOf: (i: number) => number,
  fallback: (i: number) => Value,
  seed: number,
  label: string,
): (i: number) => Value {
  const size = v.values.length;
  const cumulative = new Float64Array(size);
  let total = 0;
  v.weights.forEach((w, k) => (cumulative[k] = total += w));
  const words = new Set(v.values);
  // The m-th value of the key function that is no vocabulary word: the same for every parent, grown on demand.
  const extra: Value[] = [];
  let scanned = 0;
  const extraAt = (m: number): Value => {
    while (extra.length <= m) {
      const x = fallback(scanned++);
      if (!(typeof x === 'string' && words.has(x))) extra.push(x);
    }
    return extra[m]!;
  };
  let current = -1;
  let drawn: number[] = [];
  const used = new Uint8Array(size);
  let rng = createRng(seed, label);
  const pick = (): number => {
    for (let tries = 0; tries < 16; tries++) {
      const k = upperBound(cumulative, rng.next() * total);
      if (!used[k]) return k;
    }
    // Most of the weight is taken: draw among what is left directly.
    let left = 0;
    for (let k = 0; k < size; k++) if (!used[k]) left += v.weights[k]!;
    let r = rng.next() * left;
    for (let k = 0; k < size; k++) {
      if (used[k]) continue;
      r -= v.weights[k]!;
      if (r < 0) return k;
    }
    return used.indexOf(0);
  };
  return (i) => {
    const p = parentOf(i);
    if (p < 0) return fallback(i);
    const k = ordinalOf(i);
    if (k >= size) return extraAt(k - size);
    if (p !== current) {
      current = p;
      for (const w of drawn) used[w] = 0;
      drawn = [];
      rng = createRng(seed, `${label}:${p}`);
    }
    while (drawn.length <= k) {
      const w = pick();
      used[w] = 1;
      drawn.push(w);
    }
    return v.values[drawn[k]!]!;
  };
}

/** First index whose cumulative weight exceeds x. */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
