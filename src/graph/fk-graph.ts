/**
 * The foreign-key graph: one node per table, one edge per foreign key from the referenced (parent) table to
 * the referencing (child) table, so a topological order lists parents first.
 */
import { Graph, alg } from '@dagrejs/graphlib';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';

export interface FkEdge {
  child: TableRef;
  parent: TableRef;
  foreignKey: ForeignKey;
  /** Every FK column is nullable, so the edge can be loaded as NULL first. */
  nullable: boolean;
  selfReference: boolean;
}

export type FkGraph = Graph<unknown, Table, FkEdge>;

/** Edge name: unique per child table and FK name, so a multigraph keeps parallel FKs apart. */
export function edgeName(child: TableRef, foreignKey: string): string {
  return `${tableKey(child)}#${foreignKey}`;
}

export function isNullableForeignKey(table: Table, fk: ForeignKey): boolean {
  return fk.columns.every((c) => findColumn(table, c)?.nullable ?? false);
}

export function buildFkGraph(schema: DatabaseSchema): FkGraph {
  const graph: FkGraph = new Graph<unknown, Table, FkEdge>({ directed: true, multigraph: true });
  const tables = [...schema.tables].sort((a, b) => tableKey(a).localeCompare(tableKey(b)));
  for (const t of tables) graph.setNode(tableKey(t), t);
  for (const t of tables) {
    for (const fk of t.foreignKeys) {
      const parentKey = tableKey(fk.references);
      // FKs into tables outside the introspected set cannot be planned; the generator treats them as absent.
      if (!graph.hasNode(parentKey)) continue;
      const edge: FkEdge = {
        child: { schema: t.schema, name: t.name },
        parent: { schema: fk.references.schema, name: fk.references.name },
        foreignKey: fk,
        nullable: isNullableForeignKey(t, fk),
        selfReference: parentKey === tableKey(t),
      };
      graph.setEdge(parentKey, tableKey(t), edge, edgeName(t, fk.name));
    }
  }
  return graph;
}

/** Strongly connected components (Tarjan), each sorted by table key, components sorted by their first key. */
export function stronglyConnected(graph: FkGraph): string[][] {
  return alg
    .tarjan(graph as unknown as Graph)
    .map((c) => [...c].sort())
    .sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}
