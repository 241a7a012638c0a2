/** Reads the catalogs of a PostgreSQL database into the dialect-neutral schema model. */
import type {
  CheckConstraint,
  Column,
  DatabaseSchema,
  EnumType,
  ForeignKey,
  Partitioning,
  ReferentialAction,
  Table,
  UniqueConstraint,
} from '../../schema/model.js';
import { qi, qn } from './postgres-quote.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { neutralType, type PgTypeFacts } from './postgres-types.js';
import { structuredTypes } from './postgres-structured.js';
import { foreignTypeNeeds, foreignTypesUsed } from './postgres-foreign-types.js';
import { externalObjectsOf, otherObjectsOf } from './postgres-objects.js';
import { databaseSettingsOf } from './postgres-database-settings.js';

/** Schemas synth itself creates; never introspected as user data. */
export const SYNTH_SCHEMA_PATTERN = /^synth_(shadow|backup|swap)_/;

interface ColumnRow {
  relid: number;
  attnum: number;
  attname: string;
  formatted: string;
  attnotnull: boolean;
  attidentity: string;
  attgenerated: string;
  attndims: number;
  default_expr: string | null;
  collation: string | null;
  comment: string | null;
  domain_name: string | null;
  base_typname: string;
  base_typtype: string;
  base_typmod: number;
  base_oid: number;
  elem_typname: string | null;
  elem_typtype: string | null;
  elem_oid: number | null;
  elem_formatted: string | null;
  serial_seq: string | null;
}

const ACTIONS: Record<string, ReferentialAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

export async function introspectPostgres(session: PgSession, options: { schemas?: string[] } = {}): Promise<DatabaseSchema> {
  // search_path = pg_catalog makes every server-printed definition (views, types, indexes) schema-qualified.
  return inTransaction(
    session,
    async (s) => {
      await s.query(`SET LOCAL search_path = pg_catalog`);
      return introspectIn(s, options);
    },
    'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

async function introspectIn(s: PgSession, options: { schemas?: string[] }): Promise<DatabaseSchema> {
  const version = (await s.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '';
  const postgis =
    (await s.query(`SELECT 1 FROM pg_extension WHERE extname = 'postgis'`)).rows.length > 0;
  let schemas: string[];
  if (options.schemas && options.schemas.length > 0) {
    schemas = options.schemas;
  } else {
    const rows = await s.query<{ nspname: string }>(
      `SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
        ORDER BY n.nspname`,
    );
    schemas = rows.rows.map((r) => r.nspname).filter((n) => !SYNTH_SCHEMA_PATTERN.test(n));
  }

  const extOwned = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')`;
  const tableRows = (
    await s.query<{ oid: number; nspname: string; relname: string; relkind: string; reltuples: number; comment: string | null; reloptions: string[] | null }>(
      `SELECT c.oid::int AS oid, n.nspname, c.relname, c.relkind::text AS relkind, c.reloptions::text[] AS reloptions,
              CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(p.reltuples, 0)), 0) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid)
                   ELSE greatest(c.reltuples, 0) END::float8 AS reltuples,
              obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1) AND ${extOwned}
        ORDER BY n.nspname, c.relname`,
      [schemas],
    )
  ).rows;
  const oids = tableRows.map((t) => t.oid);

  // Enums of the introspected schemas, plus any enum a column uses from elsewhere.
  const enumRows = (
    await s.query<{ oid: number; nspname: string; typname: string; labels: string[] }>(
      `SELECT t.oid::int AS oid, n.nspname, t.typname,
              array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
        GROUP BY t.oid, n.nspname, t.typname ORDER BY n.nspname, t.typname`,
    )
  ).rows;
  const enumsByOid = new Map(enumRows.map((e) => [e.oid, e]));
  const structured = await structuredTypes(s, enumsByOid, postgis);

  const columnRows = (
    await s.query<ColumnRow>(
      `SELECT a.attrelid::int AS relid, a.attnum::int AS attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS formatted,
              a.attnotnull, a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated, a.attndims::int AS attndims,
              pg_get_expr(ad.adbin, ad.adrelid) AS default_expr,
              CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                   THEN (SELECT CASE WHEN cn.nspname <> 'pg_catalog' THEN quote_ident(cn.nspname) || '.' ELSE '' END || quote_ident(co.collname)
                           FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,
              col_description(a.attrelid, a.attnum) AS comment,
              CASE WHEN t.typtype = 'd' THEN format_type(t.oid, NULL) END AS domain_name,
              bt.typname AS base_typname, bt.typtype::text AS base_typtype,
              (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END)::int AS base_typmod,
              bt.oid::int AS base_oid,
              et.typname AS elem_typname, et.typtype::text AS elem_typtype, et.oid::int AS elem_oid,
              CASE WHEN et.oid IS NOT NULL THEN format_type(et.oid, CASE WHEN et0.typtype = 'd' THEN et0.typtypmod WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) END AS elem_formatted,
              pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS serial_seq
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
         LEFT JOIN pg_type et0 ON et0.oid = bt.typelem AND bt.typcategory = 'A'
         -- An array of a domain is generated as an array of the domain's base type.
         LEFT JOIN pg_type et ON et.oid = CASE WHEN et0.typtype = 'd' THEN et0.typbasetype ELSE et0.oid END
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attrelid, a.attnum`,
      [oids],
    )
  ).rows;

  const conRows = (
    await s.query<{
      oid: number;
      conrelid: number;
      conname: string;
      contype: string;
      conkey: number[] | null;
      confrelid: number;
      confkey: number[] | null;
      confupdtype: string;
      confdeltype: string;
      condeferrable: boolean;
      condeferred: boolean;
      def: string;
      nulls_not_distinct: boolean | null;
      ref_schema: string | null;
      ref_table: string | null;
    }>(
      `SELECT co.oid::int AS oid, co.conrelid::int AS conrelid, co.conname, co.contype::text AS contype,
              co.conkey::int[] AS conkey, co.confrelid::int AS confrelid, co.confkey::int[] AS confkey,
              co.confupdtype::text AS confupdtype, co.confdeltype::text AS confdeltype, co.condeferrable, co.condeferred,
              pg_get_constraintdef(co.oid) AS def,
              (SELECT i.indnullsnotdistinct FROM pg_index i WHERE i.indexrelid = co.conindid) AS nulls_not_distinct,
              rn.nspname AS ref_schema, rc.relname AS ref_table
         FROM pg_constraint co
         LEFT JOIN pg_class rc ON rc.oid = co.confrelid
         LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE co.conrelid = ANY($1::oid[]) AND co.contype IN ('p', 'u', 'f', 'c', 'x')
        ORDER BY co.conrelid, co.conname`,
      [oids],
    )
  ).rows;

  // Attribute names of referenced tables too (they may live outside the introspected schemas).
  const refOids = [...new Set(conRows.filter((c) => c.contype === 'f').map((c) => c.confrelid))];
  const attNames = new Map<string, string>();
  for (const r of (
    await s.query<{ relid: number; attnum: number; attname: string }>(
      `SELECT attrelid::int AS relid, attnum::int AS attnum, attname FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0`,
      [[...new Set([...oids, ...refOids])]],
    )
  ).rows) {
    attNames.set(`${r.relid}:${r.attnum}`, r.attname);
  }
  const colName = (rel: number, num: number): string => attNames.get(`${rel}:${num}`) ?? `#${num}`;

  const indexRows = (
    await s.query<{
      indrelid: number;
      name: string;
      indisunique: boolean;
      indkey: number[];
      predicate: string | null;
      def: string;
      nulls_not_distinct: boolean;
      backs_constraint: boolean;
    }>(
      `SELECT i.indrelid::int AS indrelid, ic.relname AS name, i.indisunique, i.indkey::int[] AS indkey,
              pg_get_expr(i.indpred, i.indrelid) AS predicate, pg_get_indexdef(i.indexrelid) AS def,
              i.indnullsnotdistinct AS nulls_not_distinct,
              EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x')) AS backs_constraint
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = ANY($1::oid[]) ORDER BY i.indrelid, ic.relname`,
      [oids],
    )
  ).rows;

  const partRows = (
    await s.query<{ partrelid: number; strategy: string; keydef: string }>(
      `SELECT partrelid::int AS partrelid, partstrat::text AS strategy, pg_get_partkeydef(partrelid) AS keydef
         FROM pg_partitioned_table WHERE partrelid = ANY($1::oid[])`,
      [oids],
    )
  ).rows;
  const partChildren = (
    await s.query<{ parent: number; nspname: string; relname: string; bound: string }>(
      `SELECT i.inhparent::int AS parent, n.nspname, c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = ANY($1::oid[]) AND c.relispartition ORDER BY c.oid`,
      [oids],
    )
  ).rows;

  // Domain CHECKs, keyed by the domain type.
  const domainChecks = (
    await s.query<{ domain_name: string; conname: string; def: string; nspname: string; typname: string }>(
      `SELECT format_type(t.oid, NULL) AS domain_name, co.conname, pg_get_constraintdef(co.oid) AS def, n.nspname, t.typname
         FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE co.contype = 'c' ORDER BY co.conname`,
    )
  ).rows;

  const tables: Table[] = [];
  const byOid = new Map<number, Table>();
  const usedEnums = new Set<number>();
  for (const tr of tableRows) {
    const table: Table = {
      schema: tr.nspname,
      name: tr.relname,
      columns: [],
      primaryKey: null,
      uniques: [],
      foreignKeys: [],
      checks: [],
      indexes: [],
      partitioning: null,
      comment: tr.comment,
      ...(tr.reloptions && tr.reloptions.length > 0 ? { storage: `WITH (${tr.reloptions.join(', ')})` } : {}),
      estimatedRows: Math.round(tr.reltuples),
    };
    tables.push(table);
    byOid.set(tr.oid, table);
  }

  for (const c of columnRows) {
    const table = byOid.get(c.relid);
    if (!table) continue;
    const enumOf = (oid: number | null) => (oid === null ? undefined : enumsByOid.get(oid));
    const baseEnum = enumOf(c.base_oid);
    const elemEnum = enumOf(c.elem_oid);
    if (baseEnum) usedEnums.add(baseEnum.oid);
    if (elemEnum) usedEnums.add(elemEnum.oid);
    const facts: PgTypeFacts = {
      typname: c.base_typname,
      typtype: c.base_typtype,
      typmod: c.base_typmod,
      formatted: c.formatted,
      postgis,
      ...(baseEnum ? { enumName: `${baseEnum.nspname}.${baseEnum.typname}`, enumValues: baseEnum.labels } : {}),
      ...(structured.has(c.base_oid) ? { structured: structured.get(c.base_oid)! } : {}),
    };
    if (c.elem_typname !== null && c.elem_typtype !== null) {
      facts.element = {
        typname: c.elem_typname,
        typtype: c.elem_typtype,
        typmod: c.base_typmod,
        formatted: c.elem_formatted ?? c.elem_typname,
        postgis,
        ...(elemEnum ? { enumName: `${elemEnum.nspname}.${elemEnum.typname}`, enumValues: elemEnum.labels } : {}),
        ...(c.elem_oid !== null && structured.has(c.elem_oid) ? { structured: structured.get(c.elem_oid)! } : {}),
      };
      facts.dimensions = c.attndims;
    }
    const autoIncrement: Column['autoIncrement'] =
      c.attidentity === 'a' ? 'identity-always' : c.attidentity === 'd' ? 'identity-default' : c.serial_seq ? 'serial' : null;
    const isGenerated = c.attgenerated === 's';
    table.columns.push({
      name: c.attname,
      type: neutralType(facts),
      nativeType: c.domain_name ?? c.formatted,
      nullable: !c.attnotnull,
      // nextval() defaults stay: the sequence is recreated by name (OtherObject 'sequence'), owned or not.
      default: isGenerated ? null : c.default_expr,
      autoIncrement,
      generated: isGenerated && c.default_expr !== null ? { expression: c.default_expr, stored: true } : null,
      domain: c.domain_name,
      collation: c.collation,
      comment: c.comment,
    });
    if (c.domain_name !== null) {
      for (const dc of domainChecks.filter((d) => d.domain_name === c.domain_name)) {
        table.checks.push({
          name: dc.conname,
          expression: stripCheck(dc.def).replace(/\bVALUE\b/g, qi(c.attname)),
          columns: [c.attname],
          origin: 'domain',
        });
      }
    }
  }

  for (const co of conRows) {
    const table = byOid.get(co.conrelid);
    if (!table) continue;
    const cols = (co.conkey ?? []).map((n) => colName(co.conrelid, n));
    if (co.contype === 'p') table.primaryKey = { name: co.conname, columns: cols };
    else if (co.contype === 'u')
      table.uniques.push({ name: co.conname, columns: cols, origin: 'constraint', predicate: null, nullsDistinct: !co.nulls_not_distinct });
    else if (co.contype === 'f') {
      const fk: ForeignKey = {
        name: co.conname,
        columns: cols,
        references: {
          schema: co.ref_schema ?? '',
          name: co.ref_table ?? '',
          columns: (co.confkey ?? []).map((n) => colName(co.confrelid, n)),
        },
        onDelete: ACTIONS[co.confdeltype] ?? 'NO ACTION',
        onUpdate: ACTIONS[co.confupdtype] ?? 'NO ACTION',
        deferrable: co.condeferrable,
        ...(co.condeferred ? { initiallyDeferred: true } : {}),
        ...(/\sNOT VALID$/.test(co.def) ? { notValid: true } : {}),
      };
      table.foreignKeys.push(fk);
    } else if (co.contype === 'x') {
      // Exclusion constraints have no place in the neutral model; they are recreated from their definition.
      table.indexes.push({ name: co.conname, definition: `ALTER TABLE ${qn(table.schema, table.name)} ADD CONSTRAINT ${qi(co.conname)} ${co.def}` });
    } else if (co.contype === 'c') {
      const check: CheckConstraint = { name: co.conname, expression: stripCheck(co.def), columns: cols, origin: 'table', ...(/\sNOT VALID$/.test(co.def) ? { notValid: true } : {}) };
      table.checks.push(check);
    }
  }

  for (const ix of indexRows) {
    const table = byOid.get(ix.indrelid);
    if (!table || ix.backs_constraint) continue;
    const hasExpression = ix.indkey.some((k) => k === 0);
    if (ix.indisunique && !hasExpression) {
      const u: UniqueConstraint = {
        name: ix.name,
        columns: ix.indkey.map((n) => colName(ix.indrelid, n)),
        origin: 'index',
        predicate: ix.predicate,
        nullsDistinct: !ix.nulls_not_distinct,
      };
      table.uniques.push(u);
    } else {
      // Expression unique indexes cannot be modelled as column sets; they are recreated from their definition.
      table.indexes.push({ name: ix.name, definition: ix.def });
    }
  }

  for (const p of partRows) {
    const table = byOid.get(p.partrelid);
    if (!table) continue;
    const m = /^\w+\s*\((.*)\)$/s.exec(p.keydef);
    const partitioning: Partitioning = {
      strategy: p.strategy === 'r' ? 'range' : p.strategy === 'l' ? 'list' : 'hash',
      key: m?.[1] ?? p.keydef,
      partitions: partChildren.filter((c) => c.parent === p.partrelid).map((c) => ({ name: c.relname, schema: c.nspname, bound: c.bound })),
    };
    table.partitioning = partitioning;
  }

  // Indexes made on one partition only (pagila's payment_p2022_01_customer_id_idx) belong to no table of the model:
  // they travel with the parent, their definition naming the partition.
  if (partRows.length > 0) {
    const partIndexes = (
      await s.query<{ parent: number; name: string; def: string }>(
        `SELECT i.inhparent::int AS parent, ic.relname AS name, pg_get_indexdef(x.indexrelid) AS def
           FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhrelid AND pc.relispartition
           JOIN pg_index x ON x.indrelid = i.inhrelid JOIN pg_class ic ON ic.oid = x.indexrelid
          WHERE i.inhparent = ANY($1::oid[])
            AND NOT EXISTS (SELECT 1 FROM pg_inherits ii WHERE ii.inhrelid = x.indexrelid)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid)
          ORDER BY ic.oid`,
        [partRows.map((p) => p.partrelid)],
      )
    ).rows;
    for (const ix of partIndexes) byOid.get(ix.parent)?.indexes.push({ name: ix.name, definition: ix.def });
  }

  // FKs declared on a single partition (not inherited from the parent) would be lost with the partition, which is
  // not a table of the model: they are kept on the parent table, marked with the partition they belong to.
  if (partRows.length > 0) {
    const partFks = (
      await s.query<{
        parent: number; part_schema: string; part_name: string; conname: string; cols: string[]; ref_cols: string[];
        ref_schema: string; ref_table: string; confupdtype: string; confdeltype: string; condeferrable: boolean;
      }>(
        `SELECT i.inhparent::int AS parent, pn.nspname AS part_schema, pc.relname AS part_name, co.conname,
                ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(num, ord)
                        JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.num ORDER BY k.ord) AS cols,
                ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(num, ord)
                        JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num ORDER BY k.ord) AS ref_cols,
                rn.nspname AS ref_schema, rc.relname AS ref_table,
                co.confupdtype::text AS confupdtype, co.confdeltype::text AS confdeltype, co.condeferrable
           FROM pg_constraint co
           JOIN pg_inherits i ON i.inhrelid = co.conrelid
           JOIN pg_class pc ON pc.oid = co.conrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
           JOIN pg_class rc ON rc.oid = co.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
          WHERE i.inhparent = ANY($1::oid[]) AND pc.relispartition AND co.contype = 'f' AND co.conparentid = 0
          ORDER BY co.conname`,
        [partRows.map((p) => p.partrelid)],
      )
    ).rows;
    for (const r of partFks) {
      const table = byOid.get(r.parent);
      if (!table || table.foreignKeys.some((f) => f.name === r.conname)) continue;
      table.foreignKeys.push({
        name: r.conname,
        columns: r.cols,
        references: { schema: r.ref_schema, name: r.ref_table, columns: r.ref_cols },
        onDelete: ACTIONS[r.confdeltype] ?? 'NO ACTION',
        onUpdate: ACTIONS[r.confupdtype] ?? 'NO ACTION',
        deferrable: r.condeferrable,
        onPartition: { schema: r.part_schema, name: r.part_name },
      });
    }
  }

  // An enum a copied column reaches only through a composite of another schema comes along too.
  for (const oid of await foreignTypesUsed(s, schemas, oids)) usedEnums.add(oid);
  const enums: EnumType[] = enumRows
    .filter((e) => schemas.includes(e.nspname) || usedEnums.has(e.oid))
    .map((e) => ({ schema: e.nspname, name: e.typname, values: e.labels }));

  const otherObjects = await otherObjectsOf(s, schemas, oids);
  const requires = [...(await externalObjectsOf(s, schemas)), ...(await foreignTypeNeeds(s, schemas, oids))];
  return {
    dialect: 'postgres', serverVersion: version.split(' ')[0] ?? version, schemas, tables, enums, otherObjects,
    ...(requires.length > 0 ? { requires } : {}),
    databaseSettings: await databaseSettingsOf(s),
  };
}

function stripCheck(def: string): string {
  let e = def.replace(/\s+NOT VALID$/i, '').replace(/^CHECK\s*/i, '');
  // pg_get_constraintdef wraps the expression in parentheses (the CHECK's and the deparser's); keep the bare expression.
  while (e.startsWith('(') && e.endsWith(')') && balanced(e.slice(1, -1))) e = e.slice(1, -1);
  return e;
}

function balanced(s: string): boolean {
  let depth = 0;
  let quote = false;
  for (const ch of s) {
    if (ch === "'") quote = !quote;
    if (quote) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
