/**
 * Composite and range types as neutral `json` columns with a `structured` description: their attributes (or
 * subtype) are resolved here once, so generation can learn them part by part and the writer can spell the
 * PostgreSQL literal (`(1.5,2.5)`, `[1,5)`) back.
 */
import type { StructuredType } from '../../schema/model.js';
import type { PgSession } from './postgres-session.js';
import { neutralType, type PgTypeFacts } from './postgres-types.js';

interface TypeRow {
  oid: number;
  typname: string;
  typtype: string;
  base_oid: number;
  base_typname: string;
  base_typtype: string;
  typtypmod: number;
  elem_oid: number | null;
}

interface Part {
  owner: number;
  name: string;
  typeOid: number;
  typmod: number;
  formatted: string;
}

export interface EnumFacts {
  nspname: string;
  typname: string;
  labels: string[];
}

/** Every standalone composite type and range type of the database, keyed by type oid. */
export async function structuredTypes(s: PgSession, enums: Map<number, EnumFacts>, postgis: boolean): Promise<Map<number, StructuredType>> {
  const composite = (
    await s.query<Part & { type_name: string }>(
      `SELECT t.oid::int AS owner, format_type(t.oid, NULL) AS type_name, a.attname AS name, a.atttypid::int AS "typeOid",
              a.atttypmod::int AS typmod, format_type(a.atttypid, a.atttypmod) AS formatted
         FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY t.oid, a.attnum`,
    )
  ).rows;
  const ranges = (
    await s.query<{ oid: number; type_name: string; subtype: number; formatted: string }>(
      `SELECT r.rngtypid::int AS oid, format_type(r.rngtypid, NULL) AS type_name, r.rngsubtype::int AS subtype,
              format_type(r.rngsubtype, NULL) AS formatted
         FROM pg_range r`,
    )
  ).rows;
  const partOids = [...new Set([...composite.map((p) => p.typeOid), ...ranges.map((r) => r.subtype)])];
  const types = new Map<number, TypeRow>();
  for (const r of (
    await s.query<TypeRow>(
      `SELECT t.oid::int AS oid, t.typname, t.typtype::text AS typtype, bt.oid::int AS base_oid, bt.typname AS base_typname,
              bt.typtype::text AS base_typtype, t.typtypmod::int AS typtypmod,
              CASE WHEN bt.typcategory = 'A' THEN bt.typelem::int END AS elem_oid
         FROM pg_type t JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
        WHERE t.oid = ANY($1::oid[]) OR t.oid IN (SELECT bt2.typelem FROM pg_type bt2 WHERE bt2.oid = ANY($1::oid[]))`,
      [partOids],
    )
  ).rows) {
    types.set(r.oid, r);
  }

  const out = new Map<number, StructuredType>();
  const names = new Map<number, string>();
  const attrs = new Map<number, Part[]>();
  for (const p of composite) {
    names.set(p.owner, p.type_name);
    attrs.set(p.owner, [...(attrs.get(p.owner) ?? []), p]);
  }
  const rangeOf = new Map(ranges.map((r) => [r.oid, r]));
  // Nested composites resolve depth-first; a type that (indirectly) contains itself stays unresolved.
  const resolving = new Set<number>();
  const facts = (oid: number, typmod: number, formatted: string): PgTypeFacts => {
    const t = types.get(oid);
    if (!t) return { typname: formatted, typtype: 'b', typmod, formatted, postgis };
    const mod = t.typtype === 'd' ? t.typtypmod : typmod;
    const en = enums.get(t.base_oid);
    const f: PgTypeFacts = {
      typname: t.base_typname,
      typtype: t.base_typtype,
      typmod: mod,
      formatted,
      postgis,
      ...(en ? { enumName: `${en.nspname}.${en.typname}`, enumValues: en.labels } : {}),
    };
    const nested = resolve(t.base_oid);
    if (nested) f.structured = nested;
    if (t.elem_oid !== null) f.element = facts(t.elem_oid, mod, formatted.replace(/\[\]$/, ''));
    return f;
  };
  const resolve = (oid: number): StructuredType | undefined => {
    if (out.has(oid)) return out.get(oid);
    if (resolving.has(oid)) return undefined;
    resolving.add(oid);
    let st: StructuredType | undefined;
    const parts = attrs.get(oid);
    const range = rangeOf.get(oid);
    if (parts) {
      st = { form: 'composite', name: names.get(oid)!, attributes: parts.map((p) => ({ name: p.name, type: neutralType(facts(p.typeOid, p.typmod, p.formatted)) })) };
    } else if (range) {
      st = { form: 'range', name: range.type_name, subtype: neutralType(facts(range.subtype, -1, range.formatted)) };
    }
    resolving.delete(oid);
    if (st) out.set(oid, st);
    return st;
  };
  for (const oid of [...attrs.keys(), ...rangeOf.keys()]) resolve(oid);
  return out;
}
