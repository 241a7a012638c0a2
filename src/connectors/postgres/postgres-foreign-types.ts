/**
 * Domains, composite and range types that live outside `schemas` but that copied columns use (issue 13). They are
 * recreated in their schema's shadow, which the swap then puts in place of that schema; whatever else they need from
 * that schema (a range's subtype_diff function, a function a domain CHECK calls) is not copied, so such a type is
 * refused before anything is written.
 */
import type { DatabaseSchema, ExternalObject, NeutralType } from '../../schema/model.js';
import { SynthError } from '../../errors.js';
import type { Layout } from './postgres-ddl.js';
import { pgIdentSpelling } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';

const notExtensionMember = (cls: string, col: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${cls}'::regclass AND e.objid = ${col} AND e.deptype = 'e')`;

/**
 * Oids of the domains, composite, range and enum types outside `schemas` that the columns of `tableOids` use, directly
 * or through another type (a domain's base, an array's element, a composite's attributes, a range's subtype).
 */
export async function foreignTypesUsed(s: PgSession, schemas: string[], tableOids: number[]): Promise<number[]> {
  const rows = await s.query<{ oid: number }>(
    `WITH RECURSIVE used(oid) AS (
       SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
       UNION
       SELECT x.oid FROM used u JOIN pg_type t ON t.oid = u.oid CROSS JOIN LATERAL (
         SELECT t.typbasetype WHERE t.typtype = 'd'
         UNION ALL SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
         UNION ALL SELECT a.atttypid FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    WHERE c.oid = t.typrelid AND c.relkind = 'c'
         UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid
         UNION ALL SELECT r.rngtypid FROM pg_range r WHERE t.typtype = 'm' AND r.rngmultitypid = t.oid
       ) x(oid)
     )
     SELECT DISTINCT t.oid::int AS oid FROM used u JOIN pg_type t ON t.oid = u.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname <> ALL($2) AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ${notExtensionMember('pg_type', 't.oid')}
        AND (t.typtype IN ('d', 'r', 'e') OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
      ORDER BY 1`,
    [tableOids, schemas],
  );
  return rows.rows.map((r) => r.oid);
}

/**
 * Functions, operators and collations outside `schemas` and the system that those types (or their domain CHECKs and
 * defaults) use; `usedBy` names the type. Types among them are recreated themselves and not listed.
 */
export async function foreignTypeNeeds(s: PgSession, schemas: string[], tableOids: number[]): Promise<ExternalObject[]> {
  const foreign = await foreignTypesUsed(s, schemas, tableOids);
  if (foreign.length === 0) return [];
  const rows = await s.query<{ type: string; identity: string; schema: string; used_by: string }>(
    `SELECT DISTINCT o.type, o.identity, rn.nspname AS schema, 'type ' || format_type(t.oid, NULL) AS used_by
       FROM pg_type t
       JOIN pg_depend d ON (d.classid = 'pg_type'::regclass AND d.objid = t.oid)
                        OR (d.classid = 'pg_constraint'::regclass AND d.objid IN (SELECT oid FROM pg_constraint WHERE contypid = t.oid))
       JOIN pg_namespace rn ON rn.oid = CASE d.refclassid
         WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.refobjid)
         WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = d.refobjid)
         WHEN 'pg_collation'::regclass THEN (SELECT collnamespace FROM pg_collation WHERE oid = d.refobjid)
       END,
       LATERAL pg_identify_object(d.refclassid, d.refobjid, 0) o
      WHERE t.oid = ANY($1::oid[]) AND d.deptype = 'n' AND rn.nspname <> ALL($2)
        AND rn.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.refclassid AND e.objid = d.refobjid AND e.deptype = 'e')
      ORDER BY 2, 4`,
    [foreign, schemas],
  );
  return rows.rows.map((r) => ({ type: r.type, identity: r.identity, schema: r.schema, usedBy: r.used_by }));
}

/** The first copied column whose type is `type` (schema-qualified), or holds it as an array element or a part. */
function columnUsing(schema: DatabaseSchema, type: string): string | null {
  const [nsp, name] = type.split('.') as [string, string];
  const spellings = [type, `${pgIdentSpelling(nsp)}.${pgIdentSpelling(name)}`];
  const holds = (t: NeutralType): boolean =>
    t.kind === 'array' ? holds(t.element) : t.kind === 'json' && t.structured ? spellings.includes(t.structured.name) : false;
  for (const table of schema.tables) {
    for (const col of table.columns) {
      if (spellings.includes(col.nativeType.replace(/(\[\])+$/, '')) || (col.domain && spellings.includes(col.domain)) || holds(col.type)) {
        return `${table.schema}.${table.name}.${col.name}`;
      }
    }
  }
  return null;
}

/**
 * A type from a schema that is shadowed only for its types cannot take along what else it uses from that schema: the
 * swap would leave that behind in the backup. Refused before anything is written, naming the type, a column using it
 * and what it needs.
 */
export function refuseStrandedTypeNeeds(schema: DatabaseSchema, layout: Layout): void {
  const stranded = (schema.requires ?? []).filter((r) => r.usedBy.startsWith('type ') && layout.live.has(r.schema) && !schema.schemas.includes(r.schema));
  if (stranded.length === 0) return;
  const lines = stranded.map((r) => {
    const type = r.usedBy.slice('type '.length);
    const column = columnUsing(schema, type);
    return `${r.usedBy}${column ? ` (of column ${column})` : ''} needs ${r.type} ${r.identity}`;
  });
  const schemasToAdd = [...new Set(stranded.map((r) => r.schema))];
  throw new SynthError('LOAD_FAILED', `Types from schema(s) synth does not copy use objects that would be left behind: ${lines.join('; ')}`, {
    hint: `Nothing was written. Add ${schemasToAdd.join(', ')} to \`schemas\` so synth copies ${schemasToAdd.length === 1 ? 'that schema' : 'those schemas'} whole, then run again.`,
  });
}
