/**
 * The entity privacy unit (`privacy: { unit: 'entity', entity: 'customer' }`): which tables an entity owns, through
 * which foreign key, and how many rows of each it may contribute.
 *
 * An entity is one row of the entity table together with every row that reaches it by following foreign keys
 * towards it (a customer's orders, their order lines, ...). Each owned table is tied to its entity through one FK
 * (its *ownership FK*: the plan's primary parent when that is owned, else the first FK to an owned table), so
 * every owned row belongs to exactly one entity. Self-references never confer ownership (a hierarchy would make
 * the whole table one entity). Tables that reach no entity (lookup tables, products, staff) keep row-level
 * protection: each of their rows is its own unit.
 *
 * Contribution bounding: an entity keeps at most `maxRowsPerEntity` rows of each owned table (chosen by a keyed
 * hash of the row, so the choice depends on that entity's rows only), which is what bounds the sensitivity of
 * every statistic and of DP-SGD at entity level.
 */
import { createHmac } from 'node:crypto';
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import { findTable, tableKey } from '../../schema/model.js';
import type { Row, Value } from '../../schema/values.js';
import { valueKey } from '../metadata.js';

export interface OwnedTable {
  table: TableRef;
  /** Most rows of this table one entity keeps (the entity table: 1). */
  maxRows: number;
  /** The FK tying a row to its entity through its parent; null for the entity table itself. */
  via: ForeignKey | null;
  /** The owned table `via` references; null for the entity table. */
  parent: TableRef | null;
}

export interface EntityOwnership {
  /** The entity table. */
  root: TableRef;
  /** Owned tables, the entity table first, every table after the parent its ownership FK references. */
  owned: OwnedTable[];
  /** The default bound on rows per entity of an owned table. */
  maxRowsPerEntity: number;
}

function isSelfReference(table: TableRef, fk: ForeignKey): boolean {
  return tableKey(fk.references) === tableKey(table);
}

/** Resolves `customer` or `schema.customer` to one table, or explains what to write instead. */
export function resolveEntityTable(schema: DatabaseSchema, name: string): Table {
  const exact = schema.tables.filter((t) => tableKey(t) === name);
  const bare = exact.length > 0 ? exact : schema.tables.filter((t) => t.name === name);
  if (bare.length === 1) return bare[0]!;
  if (bare.length > 1) {
    throw new SynthError('CONFIG_INVALID', `privacy.entity '${name}' names ${bare.length} tables (${bare.map(tableKey).join(', ')}).`, {
      hint: `Write it with its schema, e.g. entity: '${tableKey(bare[0]!)}'.`,
      path: 'privacy.entity',
    });
  }
  const names = schema.tables.map((t) => t.name).sort();
  throw new SynthError('CONFIG_INVALID', `privacy.entity '${name}' is not a table of the source.`, {
    hint: `Name the table whose rows are the people to protect; the source has: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`,
    path: 'privacy.entity',
  });
}

/** The tables the entity owns, from the schema alone (nothing about the data is used). */
export function entityOwnership(
  schema: DatabaseSchema,
  plan: HydrationPlan,
  entity: string,
  maxRowsPerEntity: number,
  tableBound: (t: TableRef) => number | undefined = () => undefined,
): EntityOwnership {
  const root = resolveEntityTable(schema, entity);
  const owned: OwnedTable[] = [{ table: { schema: root.schema, name: root.name }, maxRows: 1, via: null, parent: null }];
  const ownedKeys = new Set([tableKey(root)]);
  const primary = new Map(plan.steps.map((s) => [tableKey(s.table), s.primaryParent]));
  // Repeated passes in plan order: a table joins once one of its FKs points at an owned table.
  for (let changed = true; changed; ) {
    changed = false;
    for (const step of plan.steps) {
      const key = tableKey(step.table);
      if (ownedKeys.has(key)) continue;
      const table = findTable(schema, step.table);
      if (!table) continue;
      const candidates = table.foreignKeys.filter((f) => !isSelfReference(table, f) && ownedKeys.has(tableKey(f.references)));
      if (candidates.length === 0) continue;
      const via = candidates.find((f) => f.name === primary.get(key)) ?? candidates[0]!;
      owned.push({
        table: { schema: table.schema, name: table.name },
        maxRows: tableBound(table) ?? maxRowsPerEntity,
        via,
        parent: { schema: via.references.schema, name: via.references.name },
      });
      ownedKeys.add(key);
      changed = true;
    }
  }
  return { root: owned[0]!.table, owned, maxRowsPerEntity };
}

export function ownedTable(ownership: EntityOwnership, t: TableRef): OwnedTable | undefined {
  return ownership.owned.find((o) => tableKey(o.table) === tableKey(t));
}

/** Rows of `t` one entity can add or remove: 1 for the entity table and for tables it does not own. */
export function contributionBound(ownership: EntityOwnership | null, t: TableRef): number {
  if (!ownership) return 1;
  return ownedTable(ownership, t)?.maxRows ?? 1;
}

/** The FK that ties an owned table's rows to their entity; null for the entity table and tables it does not own. */
export function ownershipFk(ownership: EntityOwnership, t: TableRef): ForeignKey | null {
  return ownedTable(ownership, t)?.via ?? null;
}

/**
 * L1 sensitivity of the child-count histogram of `fk` (child table `child`) at entity level. Through the ownership
 * FK an entity's children hang under its own parents and leave with them: each of its m_p parent rows leaves one
 * bin. Through any other FK each of its m_c child rows moves a parent between two bins (2·m_c), plus its own parent
 * rows' bins (m_p) when the parent table is owned. Row level: 2 (3 for a self-reference).
 */
export function childCountSensitivity(ownership: EntityOwnership | null, child: TableRef, fk: ForeignKey): number {
  // A self-referencing row is child and parent at once: removing it moves its parent between bins and leaves its own.
  if (!ownership) return isSelfReference(child, fk) ? 3 : 2;
  const mp = ownedTable(ownership, fk.references) ? contributionBound(ownership, fk.references) : 0;
  if (ownershipFk(ownership, child)?.name === fk.name) return mp;
  const mc = ownedTable(ownership, child) ? contributionBound(ownership, child) : 0;
  return Math.max(2, 2 * mc + mp);
}

/**
 * Whether the child-count histogram of `fk` must be counted on the bounded samples rather than over the whole table:
 * when either side is an owned table below the entity table, whose unbounded families the whole table still holds.
 */
export function histogramFromSamples(ownership: EntityOwnership | null, child: TableRef, fk: ForeignKey): boolean {
  if (!ownership) return false;
  const below = (t: TableRef) => ownedTable(ownership, t)?.via != null;
  return below(child) || below(fk.references);
}

/** A stable text form of a key or row, for maps and hashing (one `valueKey` per value). */
export function valuesKey(values: readonly Value[]): string {
  return values.map(valueKey).join('\u0000');
}

/**
 * Keeps at most `max` rows per entity. Which rows an entity keeps is decided by a keyed hash of each row's own
 * values, so it depends on that entity's rows only (and the secret `salt`), never on other entities or on the
 * order rows were read in. Rows stream in (`add`); memory stays within about 2·max rows per entity however large a
 * family is.
 */
export class ContributionBound {
  private readonly byEntity = new Map<number, Array<{ i: number; row: Row; rank: string }>>();
  private added = 0;

  constructor(
    private readonly max: number,
    private readonly salt: string,
  ) {}

  /** Rows offered so far (entity < 0: the row belongs to no entity and is not kept). */
  get offered(): number {
    return this.added;
  }

  add(row: Row, entity: number): void {
    const i = this.added++;
    if (entity < 0) return;
    const rank = createHmac('sha256', this.salt).update(valuesKey(row)).digest('hex');
    let list = this.byEntity.get(entity);
    if (!list) this.byEntity.set(entity, (list = []));
    list.push({ i, row, rank });
    if (list.length >= 2 * this.max) this.byEntity.set(entity, this.lowest(list));
  }

  /** The kept rows in the order they were offered, with their entity and their position among the offered rows. */
  kept(): Array<{ i: number; row: Row; entity: number }> {
    const out: Array<{ i: number; row: Row; entity: number }> = [];
    for (const [entity, list] of this.byEntity) for (const x of this.lowest(list)) out.push({ i: x.i, row: x.row, entity });
    return out.sort((a, b) => a.i - b.i);
  }

  private lowest<T extends { rank: string }>(list: T[]): T[] {
    if (list.length <= this.max) return list;
    return [...list].sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0)).slice(0, this.max);
  }
}
