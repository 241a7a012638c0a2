/**
 * The hydration plan: the order tables are generated and loaded in, and how FK cycles are broken.
 */
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';
import { buildFkGraph, edgeName, stronglyConnected, type FkEdge, type FkGraph } from './fk-graph.js';

export interface DeferredForeignKey {
  table: TableRef;
  foreignKey: string;
  strategy: 'null-then-update' | 'constraint-after-load';
  reason: string;
}

export interface TableStep {
  table: TableRef;
  step: number;
  level: number;
  /** FK name used for conditioning, or null. */
  primaryParent: string | null;
  selfReferences: string[];
  deferred: DeferredForeignKey[];
}

export interface HydrationPlan {
  steps: TableStep[];
  cycles: TableRef[][];
  deferred: DeferredForeignKey[];
}

function refOf(key: string, schema: DatabaseSchema): TableRef {
  const t = schema.tables.find((x) => tableKey(x) === key);
  if (!t) throw new Error(`unknown table ${key}`);
  return { schema: t.schema, name: t.name };
}

function edgeLabel(e: FkEdge): string {
  return edgeName(e.child, e.foreignKey.name);
}

/** Non-trivial SCCs of the graph restricted to the kept (non-self, non-deferred) edges. */
function cyclicComponents(keys: string[], edges: FkEdge[]): string[][] {
  // Small local Tarjan over the kept edges; graphs here are schema-sized.
  const succ = new Map<string, string[]>();
  for (const k of keys) succ.set(k, []);
  for (const e of edges) succ.get(tableKey(e.parent))?.push(tableKey(e.child));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of succ.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const k of [...keys].sort()) if (!idx.has(k)) visit(k);
  return out;
}

function chooseEdgeToBreak(candidates: FkEdge[], schema: DatabaseSchema): FkEdge {
  // A nullable FK first (it loads as NULL and is filled by UPDATE, so the constraint can stay immediate);
  // then fewer NOT NULL columns; ties by name so the plan never depends on input order.
  const scored = candidates.map((e) => {
    const t = schema.tables.find((x) => tableKey(x) === tableKey(e.child));
    const notNullCols = t ? e.foreignKey.columns.filter((c) => !(findColumn(t, c)?.nullable ?? false)).length : 0;
    return { e, nullable: e.nullable ? 0 : 1, notNullCols, label: edgeLabel(e) };
  });
  scored.sort((a, b) => a.nullable - b.nullable || a.notNullCols - b.notNullCols || a.label.localeCompare(b.label));
  return scored[0]!.e;
}

function allEdges(graph: FkGraph): FkEdge[] {
  return graph
    .edges()
    .map((e) => graph.edge(e))
    .sort((a, b) => edgeLabel(a).localeCompare(edgeLabel(b)));
}

export function buildPlan(schema: DatabaseSchema): HydrationPlan {
  const graph = buildFkGraph(schema);
  const keys = graph.nodes().sort();
  const edges = allEdges(graph);
  const cycles = stronglyConnected(graph)
    .filter((c) => c.length > 1)
    .map((c) => c.map((k) => refOf(k, schema)));

  const deferredEdges = new Set<string>();
  const deferred: DeferredForeignKey[] = [];
  for (;;) {
    const kept = edges.filter((e) => !e.selfReference && !deferredEdges.has(edgeLabel(e)));
    const comps = cyclicComponents(keys, kept);
    if (comps.length === 0) break;
    const comp = new Set(comps[0]);
    const inside = kept.filter((e) => comp.has(tableKey(e.parent)) && comp.has(tableKey(e.child)));
    const e = chooseEdgeToBreak(inside, schema);
    deferredEdges.add(edgeLabel(e));
    const cycleText = [...comp].join(' ↔ ');
    deferred.push({
      table: e.child,
      foreignKey: e.foreignKey.name,
      strategy: e.nullable ? 'null-then-update' : 'constraint-after-load',
      reason: e.nullable
        ? `breaks the cycle ${cycleText}: ${e.foreignKey.columns.join(', ')} loaded as NULL, filled by UPDATE once ${tableKey(e.parent)} is loaded`
        : `breaks the cycle ${cycleText}: every FK of the cycle is NOT NULL, so values are assigned by key index up front and the constraint is added after the load`,
    });
  }

  // Kahn's algorithm with levels; ties by table key keep the order deterministic.
  const kept = edges.filter((e) => !e.selfReference && !deferredEdges.has(edgeLabel(e)));
  const parentsOf = new Map<string, Set<string>>();
  for (const k of keys) parentsOf.set(k, new Set());
  for (const e of kept) parentsOf.get(tableKey(e.child))!.add(tableKey(e.parent));
  const level = new Map<string, number>();
  const remaining = new Set(keys);
  while (remaining.size > 0) {
    const ready = [...remaining].filter((k) => [...parentsOf.get(k)!].every((p) => level.has(p)));
    if (ready.length === 0) throw new Error('internal: FK graph still cyclic after breaking cycles');
    for (const k of ready) {
      const lv = Math.max(-1, ...[...parentsOf.get(k)!].map((p) => level.get(p)!)) + 1;
      level.set(k, lv);
      remaining.delete(k);
    }
  }
  const ordered = [...keys].sort((a, b) => level.get(a)! - level.get(b)! || a.localeCompare(b));

  const steps: TableStep[] = ordered.map((k, i) => {
    const table = schema.tables.find((t) => tableKey(t) === k)!;
    const own = edges.filter((e) => tableKey(e.child) === k);
    const selfReferences = own.filter((e) => e.selfReference).map((e) => e.foreignKey.name);
    const myDeferred = deferred.filter((d) => tableKey(d.table) === k);
    const candidates = table.foreignKeys.filter((fk) =>
      own.some((e) => e.foreignKey.name === fk.name && !e.selfReference && !deferredEdges.has(edgeLabel(e))),
    );
    return {
      table: { schema: table.schema, name: table.name },
      step: i + 1,
      level: level.get(k)!,
      primaryParent: pickPrimaryParent(table, candidates.map((fk) => fk.name)),
      selfReferences,
      deferred: myDeferred,
    };
  });
  return { steps, cycles, deferred };
}

/** The NOT NULL FK declared first wins: a mandatory parent says most about a row; else the first declared. */
function pickPrimaryParent(table: Table, fkNames: string[]): string | null {
  const fks = table.foreignKeys.filter((fk) => fkNames.includes(fk.name));
  const notNull = fks.find((fk) => fk.columns.every((c) => !(findColumn(table, c)?.nullable ?? true)));
  return (notNull ?? fks[0])?.name ?? null;
}
