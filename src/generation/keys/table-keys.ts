/** One table's keys: own key values by row index, each FK's parent index per row, and the values they resolve to. */
import { SynthError } from '../../errors.js';
import type { ForeignKey, Table } from '../../schema/model.js';
import { findColumn, tableKey } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { integerRange } from '../conform.js';
import type { Rng } from '../model.js';
import { createRng, hash32 } from '../rng.js';
import { seedScope } from '../seed-scope.js';
import { allocateInSupport, fanOutKey, type FanOutRule } from '../fan-out.js';
import { allocateCounts, rankMatch, scaleCounts } from './child-counts.js';
import { planAssignments, type FkAssignment } from './fk-assignment.js';
import { selfParents, type HierarchyLevel } from './hierarchy.js';
import type { KeyContext } from './key-context.js';
import { ownKeyColumns, type KeyColumnStats } from './key-stats.js';
import { impossible, makeKeyFn, type KeyFn } from './key-values.js';
import { linkSecondParents } from './link-table.js';
import { shuffle } from './shuffle.js';
import { vocabularyReader, type Vocabulary } from '../vocabulary.js';

export class TableKeys {
  readonly rows: number;
  readonly assignments: FkAssignment[];
  /** Column → the FK that determines it. */
  private readonly fkOfColumn = new Map<string, FkAssignment>();
  private readonly keyFns = new Map<string, KeyFn>();
  private readonly parentIdx = new Map<string, ParentRows>();
  /** Column fan-outs' histogram counts per parent before the learned ranking (`batchRanked`), by FK name. */
  private readonly baseCounts = new Map<string, Uint32Array>();
  private readonly key: string;
  /** What the table's draws are seeded under (seed-scope.ts): `key` but for the source's default schema. */
  private readonly scope: string;

  constructor(
    private readonly ctx: KeyContext,
    readonly table: Table,
  ) {
    this.key = tableKey(table);
    this.scope = seedScope(ctx.options.schema, table);
    this.rows = ctx.rows(table);
    this.assignments = planAssignments(table, ctx.options.schema, ctx.options.plan);
    for (const a of this.assignments) for (const c of a.fk.columns) if (!this.fkOfColumn.has(c)) this.fkOfColumn.set(c, a);
    const own = [...ownKeyColumns(table), ...(ctx.options.keyStats.get(this.key)?.sequenced ?? [])];
    const fixed = ctx.options.fixedRows?.get(this.key);
    if (fixed) {
      // A copied table keeps its real keys (and its real FK values, which point at copied parents).
      for (const c of new Set([...own, ...this.fkOfColumn.keys()])) {
        const idx = fixed.columns.indexOf(c);
        if (idx >= 0) this.keyFns.set(c, (i) => (fixed.rows[i]?.[idx] ?? null) as Value);
      }
    }
    const stats = ctx.options.keyStats.get(this.key)?.columns ?? [];
    for (const c of own) {
      if (this.keyFns.has(c)) continue;
      if (this.fkOfColumn.has(c)) continue;
      const col = findColumn(table, c)!;
      this.keyFns.set(c, makeKeyFn(table, col, stats.find((s) => s.column === c), this.rows, ctx.options.seed, this.scope));
    }
    if (fixed) return;
    this.useLineNumbers(stats);
    this.useVocabularies(ctx.options.keyStats.get(this.key)?.vocabularies ?? {});
    this.keepUniqueNulls(ctx.options.keyStats.get(this.key)?.nullRates ?? {});
  }

  /** Nullable UNIQUE columns keep their NULL share, unless a FK points at them (a child needs a value). */
  private keepUniqueNulls(rates: Record<string, number>): void {
    const { schema, seed } = this.ctx.options;
    for (const [c, rate] of Object.entries(rates)) {
      const fn = this.keyFns.get(c);
      if (!fn || !(rate > 0) || this.table.primaryKey?.columns.includes(c)) continue;
      const sets = this.table.uniques.filter((u) => u.columns.includes(c));
      if (sets.some((u) => !u.nullsDistinct)) continue;
      const referenced = schema.tables.some((t) =>
        t.foreignKeys.some((f) => tableKey(f.references) === this.key && f.references.columns.includes(c)),
      );
      if (referenced) continue;
      const label = `${seed}:null:${this.scope}.${c}:`;
      this.keyFns.set(c, (i) => (hash32(label + i) / 4294967296 < rate ? null : fn(i)));
    }
  }

  /**
   * A key like order_line(order_id, line_no): the extra integer column numbers the rows within each parent
   * (1, 2, 3 … per order, as in the source) instead of running globally; the pair stays unique because the
   * grouped FK puts each parent's rows next to each other.
   */
  private useLineNumbers(stats: KeyColumnStats[]): void {
    const grouped = this.assignments.find((a) => a.mode === 'grouped' && !a.nullable);
    if (!grouped) return;
    const sets = [...(this.table.primaryKey ? [this.table.primaryKey.columns] : []), ...this.table.uniques.map((u) => u.columns)];
    for (const set of sets) {
      if (set.length !== grouped.fk.columns.length + 1 || !grouped.fk.columns.every((c) => set.includes(c))) continue;
      const extra = set.find((c) => !grouped.fk.columns.includes(c))!;
      const col = findColumn(this.table, extra);
      if (!col || col.type.kind !== 'integer' || col.autoIncrement !== null || this.fkOfColumn.has(extra)) continue;
      if (sets.some((other) => other !== set && other.includes(extra))) continue;
      const st = stats.find((x) => x.column === extra);
      const start = st?.kind === 'integer' ? Number(st.start) : 1;
      const step = st?.kind === 'integer' ? st.step : 1;
      // A number, compared per row without a BigInt each time (ordinals stay far below 2^53).
      const hi = Number(integerRange(col.type)[1]);
      let ordinalOf: ((i: number) => number) | null = null;
      this.keyFns.set(extra, (i) => {
        ordinalOf ??= ordinals(this.parentRows(grouped.fk.name), this.rows);
        const v = start + step * ordinalOf(i);
        if (v > hi) throw impossible(this.table, extra, `a parent gets more rows than ${col.nativeType} can number.`, `Widen ${extra} or lower the scale of ${this.key}.`);
        return v;
      });
    }
  }

  /**
   * A key like countrylanguage(countrycode, language) on a grouped FK: each parent's rows draw distinct values of
   * the source's vocabulary (vocabulary.ts) instead of made-up strings; the column's key function serves past it.
   */
  private useVocabularies(vocabularies: Record<string, Vocabulary>): void {
    for (const [column, v] of Object.entries(vocabularies)) {
      const a = this.assignments.find((x) => x.fk.name === v.foreignKey);
      const fallback = this.keyFns.get(column);
      if (!a || a.mode !== 'grouped' || a.nullable || !fallback || this.fkOfColumn.has(column)) continue;
      let read: ((i: number) => Value) | null = null;
      this.keyFns.set(column, (i) => {
        read ??= vocabularyReader(v, this.parentReader(a.fk.name), ordinals(this.parentRows(a.fk.name), this.rows), fallback, this.ctx.options.seed, `vocab:${this.scope}.${column}`);
        return read(i);
      });
    }
  }

  /** Columns whose values come from here (own keys and FK columns), in table order. */
  get keyColumns(): string[] {
    return this.table.columns.filter((c) => this.keyFns.has(c.name) || this.fkOfColumn.has(c.name)).map((c) => c.name);
  }

  isKeyColumn(column: string): boolean {
    return this.keyFns.has(column) || this.fkOfColumn.has(column);
  }

  /**
   * FKs loaded as NULL and filled by UPDATE. Without a row identity to UPDATE by, the values are written
   * directly instead: the shadow has no constraints during the load, so that is equally valid.
   */
  nullFirstForeignKeys(): ForeignKey[] {
    if (this.rowIdentity() === null) return [];
    return this.assignments.filter((a) => a.deferred === 'null-then-update').map((a) => a.fk);
  }


  private nullCount(a: FkAssignment): number {
    if (!a.nullable) return 0;
    const rate = this.ctx.options.fkNullRates.get(this.key)?.[a.fk.name] ?? 0;
    return Math.min(this.rows, Math.round(this.rows * rate));
  }

  private histogram(a: FkAssignment): Array<{ children: number; parents: number }> | undefined {
    return this.ctx.options.histograms.get(this.key)?.find((h) => h.foreignKey === a.fk.name)?.counts;
  }

  private hierarchy(a: FkAssignment): HierarchyLevel[] | undefined {
    const { keyStats, histograms } = this.ctx.options;
    return keyStats.get(this.key)?.hierarchies?.[a.fk.name] ?? histograms.get(this.key)?.find((h) => h.foreignKey === a.fk.name)?.levels;
  }

  /**
   * Parent row index of each row for this FK (-1: NULL), as an array built for the caller (a link table's second FK
   * deals within the groups of its first). Rows read one by one go through `parentReader`, which holds no array for
   * an FK whose rows are dealt parent by parent.
   */
  parentIndexes(fkName: string): Int32Array {
    const r = this.parentRows(fkName);
    if (r.kind === 'rows') return r.idx;
    const parentOf = groupReader(r.starts);
    return Int32Array.from({ length: this.rows }, (_, i) => parentOf(i));
  }

  /** Parent row index of row i for this FK (-1: NULL; also past the table's rows), without a per-row array where none is kept. */
  parentReader(fkName: string): (i: number) => number {
    const r = this.parentRows(fkName);
    if (r.kind === 'groups') return groupReader(r.starts);
    const idx = r.idx;
    return (i) => idx[i] ?? -1;
  }

  /** An FK's parents, built once, deterministic from the seed. */
  private parentRows(fkName: string): ParentRows {
    const cached = this.parentIdx.get(fkName);
    if (cached) return cached;
    const a = this.assignments.find((x) => x.fk.name === fkName);
    if (!a) throw new Error(`internal: ${this.key} has no FK ${fkName}`);
    // Drawn by another process of the load and handed over (KeyContext.adopt), or drawn here.
    const rows = this.ctx.given(this.key, fkName) ?? this.computeParents(a, createRng(this.ctx.options.seed, `fk:${this.scope}:${fkName}`));
    this.parentIdx.set(fkName, rows);
    return rows;
  }

  /**
   * The FKs whose parents reading this table's key values draws, with those parents drawn now: its own FKs loaded
   * with values, and where the referenced key column of a parent is an FK column of the parent (a composite FK to
   * partsupp resolves through partsupp's FKs to part and supplier), the parent's. `[table key, FK name, parents]`.
   */
  drawnParents(): Array<[string, string, ParentRows]> {
    const out: Array<[string, string, ParentRows]> = [];
    const seen = new Set<string>();
    const visit = (keys: TableKeys, column: string): void => {
      const a = keys.keyFns.has(column) ? undefined : keys.fkOfColumn.get(column);
      if (!a || seen.has(`${keys.key}.${column}`)) return;
      seen.add(`${keys.key}.${column}`);
      if (!out.some(([t, fk]) => t === keys.key && fk === a.fk.name)) out.push([keys.key, a.fk.name, keys.parentRows(a.fk.name)]);
      const parent = tableKey(a.parent) === keys.key ? keys : keys.ctx.table(a.parent);
      visit(parent, a.fk.references.columns[a.fk.columns.indexOf(column)]!);
    };
    const nullFirst = new Set(this.nullFirstForeignKeys().flatMap((fk) => fk.columns));
    for (const c of this.keyColumns) if (!nullFirst.has(c)) visit(this, c);
    return out;
  }

  /** Throws the error generation would hit for an impossible FK or key, without computing anything per row. */
  assertFeasible(): void {
    for (const a of this.assignments) {
      const impossible = this.infeasibility(a);
      if (impossible instanceof SynthError) throw impossible;
    }
  }

  /** Why this FK cannot be assigned at the planned row counts; `no-parents` when it is simply left NULL. */
  private infeasibility(a: FkAssignment): SynthError | 'no-parents' | null {
    const n = this.rows;
    if (n === 0) return null;
    const np = this.ctx.rows(a.parent);
    const m = n - this.nullCount(a);
    const fkText = `${this.key}.${a.fk.name}(${a.fk.columns.join(', ')})`;
    if (m > 0 && np === 0 && a.mode !== 'self') {
      if (a.nullable) return 'no-parents';
      return new SynthError('IMPOSSIBLE_CONSTRAINT', `${fkText} is NOT NULL but its parent ${tableKey(a.parent)} gets 0 rows.`, {
        table: this.key,
        column: a.fk.columns.join(', '),
        hint: `Give ${tableKey(a.parent)} rows (raise its scale), or exclude ${this.key}.`,
      });
    }
    if (a.mode === 'one-to-one' && m > np) {
      return new SynthError('UNIQUENESS_IMPOSSIBLE', `${fkText} is unique, so ${m} rows need ${m} distinct parents, but ${tableKey(a.parent)} gets only ${np}.`, {
        table: this.key,
        column: a.fk.columns.join(', '),
        hint: `Scale ${tableKey(a.parent)} up or ${this.key} down so the child has no more rows than the parent.`,
      });
    }
    if (a.mode === 'link-first') {
      const second = this.assignments.find((x) => x.mode === 'link-second')!;
      const nb = this.ctx.rows(second.parent);
      if (np * nb < m) {
        const columns = [...a.fk.columns, ...second.fk.columns].join(', ');
        return new SynthError(
          'UNIQUENESS_IMPOSSIBLE',
          `${this.key} needs ${m} distinct (${columns}) pairs but ${tableKey(a.parent)} × ${tableKey(second.parent)} = ${np} × ${nb} = ${np * nb}.`,
          { table: this.key, column: columns, hint: `Lower the scale of ${this.key} or raise the scale of its parents.` },
        );
      }
    }
    return null;
  }

  private computeParents(a: FkAssignment, rng: Rng): ParentRows {
    const n = this.rows;
    const out: ParentRows = { kind: 'rows', idx: new Int32Array(n).fill(-1) };
    if (n === 0) return out;
    const np = this.ctx.rows(a.parent);
    const nulls = this.nullCount(a);
    const m = n - nulls;
    const impossible = this.infeasibility(a);
    if (impossible === 'no-parents') return out;
    if (impossible) throw impossible;
    switch (a.mode) {
      case 'self':
        return { kind: 'rows', idx: selfParents(n, a.nullable, nulls, this.hierarchy(a), this.histogram(a), rng) };
      case 'one-to-one': {
        const ids = new Int32Array(np);
        for (let i = 0; i < np; i++) ids[i] = i;
        shuffle(ids, rng);
        for (let i = 0; i < m; i++) out.idx[i] = ids[i]!;
        shuffle(out.idx, rng);
        return out;
      }
      case 'link-second':
        return { kind: 'rows', idx: linkSecondParents(this.parentIndexes(a.partner!), this.ctx.rows(a.parent), m, this.histogram(a), this.fanOut(a) !== undefined, rng) };
      case 'link-first': {
        const second = this.assignments.find((x) => x.mode === 'link-second')!;
        const nb = this.ctx.rows(second.parent);
        return { kind: 'groups', starts: groupStarts(this.childCounts(a, np, m, rng, nb), n) };
      }
      case 'grouped':
        return { kind: 'groups', starts: groupStarts(this.childCounts(a, np, m, rng), n) };
      case 'shuffled':
        return { kind: 'rows', idx: this.shuffled(this.childCounts(a, np, m, rng), n, rng) };
    }
  }

  /** Children per parent: the learned prediction for the generated parents when there is one, else the histogram. */
  private childCounts(a: FkAssignment, np: number, m: number, rng: Rng, cap = Number.POSITIVE_INFINITY): Uint32Array {
    const real = this.ctx.options.copiedParentCounts?.(this.key, a.fk.name);
    if (real && real.length === np) return scaleCounts(Uint32Array.from(real), m, rng, cap);
    const ranked = this.rankedByBatch(a);
    if (ranked) return this.batchRanked(a, ranked, np, m, cap, 0, np);
    const counts = this.fanOut(a) ? allocateInSupport(this.histogram(a), np, m, rng, cap) : allocateCounts(this.histogram(a), np, m, rng, cap);
    const predicted = this.ctx.options.childCountWeights?.(this.key, a.fk.name);
    return predicted && predicted.length === np ? rankMatch(counts, predicted, rng) : counts;
  }

  /**
   * Children of parents `from … to` for an FK whose parents deal their children by count (grouped, shuffled, a link
   * table's first FK), the counts its parents will be drawn with, or null where those are read off the drawn parents.
   * A parent column that fixes its children's count (fan-out.ts) is written while the parent is generated, batch by
   * batch, when its learned count heads have predicted only the batches out so far: drawing the children's parents
   * then ranked every later parent as predicting 0 children, so each one past the first batch got the fewest.
   */
  childCountsOf(fkName: string, from: number, to: number): Uint32Array | null {
    const a = this.assignments.find((x) => x.fk.name === fkName);
    if (!a || this.ctx.given(this.key, fkName) || this.ctx.options.fixedRows?.has(this.key)) return null;
    const ranked = this.rankedByBatch(a);
    if (!ranked || this.infeasibility(a) !== null) return null;
    const np = this.ctx.rows(a.parent);
    const second = this.assignments.find((x) => x.mode === 'link-second');
    const cap = a.mode === 'link-first' && second ? this.ctx.rows(second.parent) : Number.POSITIVE_INFINITY;
    return this.batchRanked(a, ranked, np, this.rows - this.nullCount(a), cap, Math.min(from, np), Math.min(to, np));
  }

  /** A column fan-out's FK with learned predictions of its children per parent: they rank the counts batch by batch. */
  private rankedByBatch(a: FkAssignment): ArrayLike<number> | null {
    if (a.mode !== 'grouped' && a.mode !== 'shuffled' && a.mode !== 'link-first') return null;
    if (this.fanOut(a)?.kind !== 'column') return null;
    const np = this.ctx.rows(a.parent);
    const real = this.ctx.options.copiedParentCounts?.(this.key, a.fk.name);
    if (real && real.length === np) return null;
    const predicted = this.ctx.options.childCountWeights?.(this.key, a.fk.name);
    return predicted && predicted.length === np ? predicted : null;
  }

  /**
   * Counts of parents `from … to`: the histogram's, drawn once for every parent under a seed of their own, then ranked
   * by the predictions within each of the parent's generation batches (one batch's predictions are all a batch needs,
   * so the same counts come out whether the parent is done or still at that batch).
   */
  private batchRanked(a: FkAssignment, predicted: ArrayLike<number>, np: number, m: number, cap: number, from: number, to: number): Uint32Array {
    const { seed } = this.ctx.options;
    let base = this.baseCounts.get(a.fk.name);
    if (!base) this.baseCounts.set(a.fk.name, (base = allocateInSupport(this.histogram(a), np, m, createRng(seed, `fk-counts:${this.scope}:${a.fk.name}`), cap)));
    const size = Math.max(1, this.ctx.options.predictionBatch ?? 10_000);
    const out = new Uint32Array(to - from);
    for (let s = Math.floor(from / size) * size; s < to; s += size) {
      const e = Math.min(np, s + size);
      const ranked = rankMatch(base.subarray(s, e), Float64Array.from({ length: e - s }, (_, k) => predicted[s + k]!), createRng(seed, `fk-rank:${this.scope}:${a.fk.name}:${s}`));
      const lo = Math.max(s, from);
      out.set(ranked.subarray(lo - s, Math.min(e, to) - s), lo - from);
    }
    return out;
  }

  private fanOut(a: FkAssignment): FanOutRule | undefined {
    return this.ctx.options.fanOuts?.get(fanOutKey(this.table, a.fk.name));
  }

  /** Each parent's rows (its count of them) in parent order, then shuffled; -1 past the counts. */
  private shuffled(counts: Uint32Array, n: number, rng: Rng): Int32Array {
    const out = new Int32Array(n).fill(-1);
    let pos = 0;
    for (let p = 0; p < counts.length; p++) for (let c = counts[p]!; c > 0; c--) out[pos++] = p;
    shuffle(out, rng);
    return out;
  }

  /** Value of a key column (own key or FK column) for row i; FK columns resolve through the parent's keys. */
  valueAt(column: string, i: number): Value {
    const fn = this.keyFns.get(column);
    if (fn) return fn(i);
    const a = this.fkOfColumn.get(column);
    if (!a) throw new Error(`internal: ${this.key}.${column} is not a key column`);
    const p = this.parentReader(a.fk.name)(i);
    if (p < 0) return null;
    const refColumn = a.fk.references.columns[a.fk.columns.indexOf(column)]!;
    const parentKeys = tableKey(a.parent) === this.key ? this : this.ctx.table(a.parent);
    return parentKeys.valueAt(refColumn, p);
  }

  /**
   * `valueAt` of one column with its lookups done once (the FK, the parent's assigner, its reader): the row loop of
   * a load calls it per row. Valid while this table is being generated (its parents' assigners stay cached).
   */
  valueReader(column: string): (i: number) => Value {
    const fn = this.keyFns.get(column);
    if (fn) return fn;
    const a = this.fkOfColumn.get(column);
    if (!a) throw new Error(`internal: ${this.key}.${column} is not a key column`);
    // Resolved at the first row, as valueAt would (a table with no rows never draws its parent indexes).
    let parentOf: ((i: number) => number) | null = null;
    let read: ((i: number) => Value) | null = null;
    return (i) => {
      if (parentOf === null || read === null) {
        parentOf = this.parentReader(a.fk.name);
        const refColumn = a.fk.references.columns[a.fk.columns.indexOf(column)]!;
        const parentKeys = tableKey(a.parent) === this.key ? this : this.ctx.table(a.parent);
        // A self-reference reads this table's own key column, which has a key function, so this never loops.
        read = parentKeys.valueReader(refColumn);
      }
      const p = parentOf(i);
      return p < 0 ? null : read(p);
    };
  }

  /** Columns that identify a row for deferred UPDATEs: the PK, else a NOT NULL unique without deferred columns. */
  rowIdentity(): string[] | null {
    const deferredCols = new Set(this.assignments.filter((a) => a.deferred === 'null-then-update').flatMap((a) => a.fk.columns));
    const candidates = [this.table.primaryKey?.columns ?? [], ...this.table.uniques.filter((u) => u.predicate === null).map((u) => u.columns)];
    for (const cols of candidates) {
      if (cols.length === 0) continue;
      if (cols.some((c) => deferredCols.has(c))) continue;
      if (cols.every((c) => !(findColumn(this.table, c)?.nullable ?? true))) return cols;
    }
    return null;
  }
}

/**
 * An FK's parent of every row: an array, or for rows dealt parent by parent in parent order (grouped, a link
 * table's first FK) each parent's first row: 4 bytes a parent instead of a row (SF1's lineitem: 6 MB for its 1.5 M
 * orders against 24 MB for its 6 M rows, and as much again for the line numbers, which follow from the same starts).
 */
export type ParentRows = { kind: 'rows'; idx: Int32Array } | { kind: 'groups'; starts: Int32Array };

/**
 * starts[p]: the first row of parent p, starts[parents]: the rows dealt (rows past it are NULL); as the array of
 * each parent's rows in turn, cut at `rows`, would put them.
 */
function groupStarts(counts: Uint32Array, rows: number): Int32Array {
  const starts = new Int32Array(counts.length + 1);
  let at = 0;
  for (let p = 0; p < counts.length; p++) {
    starts[p] = at;
    at = Math.min(rows, at + counts[p]!);
  }
  starts[counts.length] = at;
  return starts;
}

/** Parent of row i from the parents' first rows: the next parent or a binary search, for rows read mostly in order. */
function groupReader(starts: Int32Array): (i: number) => number {
  const parents = starts.length - 1;
  const end = starts[parents]!;
  // Largest p with starts[p] <= i: the parent whose rows hold i (parents without rows share their start with the next).
  const search = (i: number): number => {
    let lo = 0;
    let hi = parents - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  let p = 0;
  return (i) => {
    if (i < 0 || i >= end) return -1;
    if (i >= starts[p + 1]!) {
      p++;
      if (i >= starts[p + 1]!) p = search(i);
    } else if (i < starts[p]!) p = search(i);
    return p;
  };
}

/**
 * The number of row i within its run of rows of one parent (0, 1, 2 …), runs of NULL included; for parents dealt in
 * groups, i minus the group's first row.
 */
function ordinals(parents: ParentRows, rows: number): (i: number) => number {
  if (parents.kind === 'groups') {
    const { starts } = parents;
    const parentOf = groupReader(starts);
    const end = starts[starts.length - 1]!;
    return (i) => {
      const p = parentOf(i);
      return p < 0 ? i - end : i - starts[p]!;
    };
  }
  const idx = parents.idx;
  const out = new Int32Array(rows);
  for (let k = 1; k < rows; k++) out[k] = idx[k] === idx[k - 1] ? out[k - 1]! + 1 : 0;
  return (i) => out[i]!;
}
