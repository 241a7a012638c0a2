/**
 * "Mostly copied" columns: a child column that repeats its FK parent's column on most sample rows, not all (an order
 * ships to its customer's address unless the customer asked for another). The exact rule (parent-copies.ts) refuses
 * it, and drawn independently the child would never repeat its parent. Here a generated row copies its parent's
 * generated value with the sampled probability, and the columns that deviate on the same rows (the ship-to street,
 * city, region and postal code) form a group that one draw per row decides: a copied row carries the parent's whole
 * address, NULLs included, and a row that is not copied keeps the model's whole address, not half of each.
 *
 * The draw is a hash of (run seed, table, FK, group, row index), not the run's RNG: every other column is drawn as
 * before, and a load worker that generates a window of the table decides each row as the main process would.
 */
import type { Table } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { keyColumnNames } from './metadata.js';
import type { AlignedParent } from './order-invariants.js';
import { canonical, chanceAgreement, copyCompatible, DEFAULT_COPY_MAX_CHANCE, DEFAULT_COPY_MIN_SUPPORT, familyOf, type ParentCopyRule } from './parent-copies.js';
import { hash32 } from './rng.js';

/**
 * Fewest sample rows (with a parent) on which the column equals the parent's. At 0.6 the copy is what the
 * application does by default (a "ship to my address" box left ticked) and the deviation the exception; below it the
 * two columns are merely related, which the models' own conditioning is for. The copy rate also corrects for the rows
 * that agree by chance ((p − q) / (1 − q)), and that correction leans least on an estimated q when p is well above it.
 */
export const DEFAULT_MOSTLY_MIN_SHARE = 0.6;
/**
 * Two columns deviate together when at least this share of the rarer one's deviations fall on rows where the other
 * deviates too. Independent columns overlap on a share equal to the other's deviation rate, at most 1 − 0.6 = 0.4.
 */
export const GROUP_MIN_OVERLAP = 0.5;

export interface MostlyCopyOptions {
  /** Smallest share of the sample rows with a parent on which the column must equal the parent's. */
  minShare?: number;
  /** Fewest rows with both sides set and equal. */
  minSupport?: number;
  /** As for the exact rule (parent-copies.ts): the largest chance that independent columns agree this often. */
  maxChance?: number;
}

interface Candidate {
  column: string;
  parentColumn: string;
  own: number;
  chance: number;
  /** 1 at the rows (of those with a parent) where the two differ, a NULL on one side only included. */
  deviates: Uint8Array;
  deviations: number;
  /** The exact rule (NULLs not copied) this one replaces if it joins a group. */
  replaces: boolean;
}

/** Kullback–Leibler divergence of Bernoulli(p) from Bernoulli(q): the Chernoff exponent of seeing p when q is due. */
function bernoulliKl(p: number, q: number): number {
  const term = (a: number, b: number) => (a === 0 ? 0 : b === 0 ? Infinity : a * Math.log(a / b));
  return term(p, q) + term(1 - p, 1 - q);
}

/**
 * One child column against one parent column over the rows with a parent: its share of equal rows (NULL = NULL), and
 * whether that share is well above chance. As for the exact rule, the independent draws are the distinct parents: k of
 * n parents agree by chance with probability ≤ exp(−n · KL(k/n ‖ q)), which is q^n when every one agrees, the exact
 * rule's test. The values must be copied too, not only the NULLs: among rows with both sides set, `minShare` equal.
 */
function measure(mine: Array<string | null>, theirs: Array<string | null>, parents: number, minShare: number, minSupport: number, maxChance: number): Omit<Candidate, 'column' | 'parentColumn' | 'replaces'> | null {
  const n = mine.length;
  // Most pairs of columns differ on most rows: give up once too many did, before building anything.
  const allowed = Math.floor((1 - minShare) * n);
  let deviations = 0;
  let bothSet = 0;
  let setAgree = 0;
  for (let i = 0; i < n && deviations <= allowed; i++) {
    const [a, b] = [mine[i] ?? null, theirs[i] ?? null];
    if (a !== null && b !== null) bothSet++;
    if (a !== b) deviations++;
    else if (a !== null) setAgree++;
  }
  const own = (n - deviations) / n;
  if (deviations > allowed || deviations === 0 || setAgree < minSupport || setAgree < minShare * bothSet) return null;
  const deviates = new Uint8Array(n);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = [mine[i] ?? null, theirs[i] ?? null];
    pairs.push([a === null ? '\u0000' : `=${a}`, b === null ? '\u0000' : `=${b}`]);
    if (a !== b) deviates[i] = 1;
  }
  const chance = chanceAgreement(pairs);
  if (own <= chance || parents * bernoulliKl(own, chance) < Math.log(1 / maxChance)) return null;
  return { own, chance, deviates, deviations };
}

/**
 * The copy rules of one child table with its mostly-copied columns added: `exact` (detectParentCopies on the same
 * sample) and, per FK in order, the columns equal to a parent column on at least `minShare` of the rows with a parent
 * (a parent column of the same name first, else the most often equal), grouped by the rows they deviate on. A column
 * of an exact rule keeps it, except one whose NULLs are not copied (child and parent NULL on different rows) that
 * deviates with a group: it joins the group, NULLs and all (northwind's ship_region, NULL where a Spanish customer has
 * no region, except on the 13 orders shipped elsewhere).
 */
export function withMostlyCopies(
  table: Table,
  sample: { columns: string[]; rows: Row[] },
  parents: AlignedParent[],
  parentTables: Map<string, Table>,
  exact: ParentCopyRule[],
  options: MostlyCopyOptions = {},
): ParentCopyRule[] {
  const minShare = options.minShare ?? DEFAULT_MOSTLY_MIN_SHARE;
  const minSupport = options.minSupport ?? DEFAULT_COPY_MIN_SUPPORT;
  const maxChance = options.maxChance ?? DEFAULT_COPY_MAX_CHANCE;
  const keys = keyColumnNames(table);
  const exactOf = new Map(exact.map((r) => [r.column, r]));
  const taken = new Set<string>();
  const replaced = new Set<string>();
  const mostly: ParentCopyRule[] = [];
  for (const aligned of parents) {
    const fk = table.foreignKeys.find((f) => f.name === aligned.foreignKey);
    const parent = parentTables.get(aligned.foreignKey);
    if (!fk || !parent || tableKey(parent) === tableKey(table) || aligned.rows.length !== sample.rows.length) continue;
    const at = aligned.rows.flatMap((r, i) => (r ? [i] : []));
    if (at.length < minSupport) continue;
    const parentCount = new Set(at.map((i) => fk.references.columns.map((c) => String(aligned.rows[i]![aligned.columns.indexOf(c)])).join('\u0000'))).size;
    const theirs = new Map<string, { column: NonNullable<ReturnType<typeof findColumn>>; values: Array<string | null> }>();
    aligned.columns.forEach((name, idx) => {
      const column = findColumn(parent, name);
      const family = column ? familyOf(column) : null;
      if (!column || !family || column.generated !== null || fk.references.columns.includes(name)) return;
      theirs.set(name, { column, values: at.map((i) => canonical(aligned.rows[i]![idx], family, column)) });
    });
    const candidates: Candidate[] = [];
    for (const column of table.columns) {
      const idx = sample.columns.indexOf(column.name);
      const family = familyOf(column);
      const rule = exactOf.get(column.name);
      if (idx < 0 || !family || keys.has(column.name) || column.generated !== null || taken.has(column.name) || rule?.nulls) continue;
      // A column copied on every row where both are set pairs only with that parent column.
      const others = rule ? (rule.foreignKey === fk.name ? [theirs.get(rule.parentColumn)] : []) : [...theirs.values()];
      const mine = at.map((i) => canonical(sample.rows[i]![idx], family, column));
      let best: Candidate | null = null;
      for (const other of others) {
        if (!other || !copyCompatible(column, other.column)) continue;
        const m = measure(mine, other.values, parentCount, minShare, minSupport, maxChance);
        if (!m) continue;
        const sameName = other.column.name === column.name;
        if (best && (best.parentColumn === column.name || (!sameName && best.own >= m.own))) continue;
        best = { column: column.name, parentColumn: other.column.name, replaces: rule !== undefined, ...m };
      }
      if (best) candidates.push(best);
    }
    for (const group of groupByDeviations(candidates, at.length, minShare)) {
      // An exact rule alone keeps its own semantics: only a group gives it one draw with other columns.
      if (group.members.length === 1 && group.members[0]!.replaces) continue;
      const share = 1 - group.deviations / at.length;
      const chance = group.members.reduce((p, c) => p * c.chance, 1);
      const rate = Math.max(0, (share - chance) / (1 - chance));
      const names = group.members.map((c) => c.column);
      for (const c of group.members) {
        taken.add(c.column);
        if (c.replaces) replaced.add(c.column);
        mostly.push({
          table: { schema: table.schema, name: table.name },
          column: c.column,
          foreignKey: fk.name,
          parentColumn: c.parentColumn,
          support: at.length,
          parents: parentCount,
          nulls: true,
          mostly: { share, own: c.own, chance, rate, group: names },
        });
      }
    }
  }
  return [...exact.filter((r) => !replaced.has(r.column)), ...mostly];
}

interface Group {
  members: Candidate[];
  deviates: Uint8Array;
  deviations: number;
}

/**
 * Candidates in table order, each joining the first group it deviates with (`GROUP_MIN_OVERLAP` of the rarer side's
 * deviating rows shared) if the group still equals the parent on `minShare` of the rows, else starting its own.
 */
function groupByDeviations(candidates: Candidate[], rows: number, minShare: number): Group[] {
  const groups: Group[] = [];
  for (const c of candidates) {
    const group = groups.find((g) => {
      let overlap = 0;
      for (let i = 0; i < rows; i++) overlap += g.deviates[i]! & c.deviates[i]!;
      return overlap >= GROUP_MIN_OVERLAP * Math.min(g.deviations, c.deviations) && 1 - (g.deviations + c.deviations - overlap) / rows >= minShare;
    });
    if (!group) {
      groups.push({ members: [c], deviates: c.deviates.slice(), deviations: c.deviations });
      continue;
    }
    group.members.push(c);
    for (let i = 0; i < rows; i++) group.deviates[i]! |= c.deviates[i]!;
    group.deviations = group.deviates.reduce((n, d) => n + d, 0);
  }
  return groups;
}

/** murmur3's finaliser over (salt, row index): a well-spread 32-bit value per row. */
function mix(salt: number, i: number): number {
  let h = (salt ^ Math.imul(i, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Which rows a mostly-copied rule copies (createCopyEnforcer's `copies`): row i copies when a hash of (seed, `label`,
 * FK, group, i) falls under the rule's rate, so every column of a group decides alike and so does every process.
 * `label`: the table's seed scope (seed-scope.ts). null for an exact rule (every row).
 */
export function mostlyCopyDraw(seed: number, label: string): (rule: ParentCopyRule) => ((rowIndex: number) => boolean) | null {
  return (rule) => {
    if (!rule.mostly) return null;
    const salt = hash32(`${seed}:mostly-copy:${label}:${rule.foreignKey}:${rule.mostly.group[0] ?? rule.column}`);
    const bound = rule.mostly.rate * 2 ** 32;
    return (i) => mix(salt, i) < bound;
  };
}

const pct = (x: number) => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;

/**
 * `synth plan` lines of the mostly-copied rules, one a group: the first column with the group's share, then the
 * others; each column's own share; the copy rate where chance agreement lowers it.
 */
export function describeMostlyCopies(rules: readonly ParentCopyRule[], parentName: (rule: ParentCopyRule) => string): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const m = r.mostly;
    const id = m ? `${tableKey(r.table)}\u0000${r.foreignKey}\u0000${m.group[0]}` : '';
    if (!m || seen.has(id)) continue;
    seen.add(id);
    const members = m.group.map((c) => rules.find((x) => x.mostly && x.column === c && x.foreignKey === r.foreignKey && tableKey(x.table) === tableKey(r.table))).filter((x) => x !== undefined);
    const [head, ...rest] = members;
    if (!head) continue;
    const arrow = (x: ParentCopyRule) => `${x.column} ← ${parentName(x)}.${x.parentColumn}`;
    const withOthers = rest.length > 0 ? `, with ${rest.map((x) => `${x.column} ← ${x.parentColumn}`).join(', ')} (one draw a row for all ${members.length}; alone ${members.map((x) => pct(x.mostly!.own)).join(', ')})` : '';
    const rate = m.chance >= 0.001 ? `; copied on ${pct(m.rate)}, the others agree by chance ${pct(m.chance)}` : '';
    lines.push(`${tableKey(head.table)}.${arrow(head)} on ${pct(m.share)} of rows${withOthers} through ${head.foreignKey} (${head.support} rows, ${head.parents} parents${rate})`);
  }
  return lines;
}
