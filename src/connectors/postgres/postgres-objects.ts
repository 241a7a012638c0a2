/**
 * Schema objects other than tables, read so the target can be a drop-in copy of the source (issue 13): each
 * becomes an `OtherObject` whose definition is server-printed, schema-qualified SQL (the caller sets
 * `search_path = pg_catalog`), so `toShadowSql` can relocate it into a shadow schema.
 */
import type { ExternalObject, OtherObject } from '../../schema/model.js';
import { lit, pgIdentSpelling, qi, qn } from './postgres-quote.js';
import { foreignTypesUsed } from './postgres-foreign-types.js';
import type { PgSession } from './postgres-session.js';

/**
 * An object's name as the parity check compares it: without its own schema qualifier, which differs between the
 * source and the shadow the object is introspected from again.
 */
function unqualified(name: string, schema: string): string {
  return name.split(`${pgIdentSpelling(schema)}.`).join('').split(`${qi(schema)}.`).join('');
}

const extOwned = (cls: string, col: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = ${col} AND d.classid = '${cls}'::regclass AND d.deptype = 'e')`;

export async function otherObjectsOf(s: PgSession, schemas: string[], tableOids: number[]): Promise<OtherObject[]> {
  const versionNum = Number((await s.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v ?? 0);
  const foreign = await foreignTypesUsed(s, schemas, tableOids);
  return [
    ...(await extensions(s, schemas)),
    ...(await collations(s, schemas)),
    ...(await textSearch(s, schemas)),
    ...(await structuredTypeObjects(s, schemas, versionNum, foreign)),
    ...(await viewsOf(s, schemas)),
    ...(await routines(s, schemas)),
    ...(await aggregates(s, schemas)),
    ...(await operators(s, schemas)),
    ...(await casts(s, schemas)),
    ...(await triggers(s, tableOids, schemas)),
    ...(await domains(s, schemas, foreign)),
    ...(await sequences(s, schemas)),
    ...(await policies(s, tableOids)),
    ...(await rulesAndStatistics(s, schemas)),
    ...(await comments(s, schemas, tableOids)),
  ];
}

/** Extensions in the copied schemas, and those whose types or operator classes the copied tables and indexes use. */
async function extensions(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{ extname: string; nspname: string }>(
    `SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname <> 'plpgsql' AND (n.nspname = ANY($1) OR EXISTS (
        SELECT 1 FROM pg_depend m JOIN pg_depend d ON d.refclassid = m.classid AND d.refobjid = m.objid
          JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass JOIN pg_namespace cn ON cn.oid = c.relnamespace
         WHERE m.refclassid = 'pg_extension'::regclass AND m.refobjid = e.oid AND m.deptype = 'e' AND cn.nspname = ANY($1)))
      ORDER BY e.extname`,
    [schemas],
  );
  const members = await s.query<{ extname: string; names: string[] }>(
    `SELECT e.extname, array_agg(DISTINCT x.name) AS names FROM pg_extension e
       JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
       JOIN LATERAL (
         SELECT n.nspname || '.' || t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid
         UNION ALL SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid
         UNION ALL SELECT n.nspname || '.' || o.oprname FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE d.classid = 'pg_operator'::regclass AND o.oid = d.objid
         UNION ALL SELECT n.nspname || '.' || c.opcname FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace WHERE d.classid = 'pg_opclass'::regclass AND c.oid = d.objid
         UNION ALL SELECT n.nspname || '.' || f.opfname FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace WHERE d.classid = 'pg_opfamily'::regclass AND f.oid = d.objid
       ) x ON true
      WHERE e.extname = ANY($1) GROUP BY e.extname`,
    [rows.rows.map((e) => e.extname)],
  );
  const byName = new Map(members.rows.map((m) => [m.extname, m.names]));
  return rows.rows.map((e) => ({
    schema: e.nspname,
    name: e.extname,
    kind: 'extension' as const,
    definition: `CREATE EXTENSION IF NOT EXISTS ${qi(e.extname)} WITH SCHEMA ${qi(e.nspname)}`,
    members: (byName.get(e.extname) ?? []).filter((n) => n.startsWith(`${e.nspname}.`)).sort(),
  }));
}

/**
 * User collations (an ICU `und-u-ks-level2` that makes a column case-insensitive, say). There is no
 * pg_get_collationdef: the catalog's columns differ between versions (colliculocale in 15–16, colllocale from 17,
 * collicurules from 16), so the row is read as json and only the fields the server has are used.
 */
async function collations(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{ nspname: string; collname: string; c: Record<string, string | boolean | null> }>(
    `SELECT n.nspname, c.collname, to_jsonb(c.*) AS c FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_collation', 'c.oid')} ORDER BY c.oid`,
    [schemas],
  );
  return rows.rows.map(({ nspname, collname, c }) => {
    const text = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : null);
    const opts: string[] = [];
    if (c.collprovider === 'i') {
      opts.push('provider = icu', `locale = ${lit(text('colllocale') ?? text('colliculocale') ?? text('collcollate') ?? '')}`);
      if (text('collicurules') !== null) opts.push(`rules = ${lit(text('collicurules')!)}`);
    } else {
      opts.push(`provider = ${c.collprovider === 'b' ? 'builtin' : 'libc'}`);
      if (c.collprovider === 'b') opts.push(`locale = ${lit(text('colllocale') ?? '')}`);
      else opts.push(`lc_collate = ${lit(text('collcollate') ?? '')}`, `lc_ctype = ${lit(text('collctype') ?? '')}`);
    }
    if (c.collisdeterministic === false) opts.push('deterministic = false');
    return { schema: nspname, name: collname, kind: 'collation' as const, definition: `CREATE COLLATION ${qn(nspname, collname)} (${opts.join(', ')})` };
  });
}

/**
 * Text-search dictionaries and configurations (`CREATE TEXT SEARCH CONFIGURATION … (COPY = english)` and its
 * ALTER MAPPINGs), which a tsvector column or a `to_tsvector('cfg', …)` index names. A configuration is written as
 * its parser plus one ADD MAPPING per run of token types with the same dictionaries, the way pg_dump writes it, so
 * the copy maps every token type as the source does whatever it was copied from. A parser or template of the
 * schemas that no extension owns (a parser made of pg_catalog's prsd_* functions, a template over dsimple_lexize) is
 * copied too, naming the same support functions: without it the configurations and dictionaries that use it, and
 * every column and index that names those, could not be created. Its functions are C functions, so they are
 * pg_catalog's, an extension's or copied with the other functions; creating one needs a superuser on the target.
 */
async function textSearch(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const fn = (col: string) =>
    `(SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.proname) FROM pg_proc f JOIN pg_namespace fn ON fn.oid = f.pronamespace WHERE f.oid = ${col})`;
  const parsers = await s.query<{ nspname: string; prsname: string; start: string; gettoken: string; end: string; lextypes: string; headline: string | null }>(
    `SELECT n.nspname, p.prsname, ${fn('p.prsstart')} AS start, ${fn('p.prstoken')} AS gettoken, ${fn('p.prsend')} AS "end",
            ${fn('p.prslextype')} AS lextypes, ${fn('p.prsheadline')} AS headline
       FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_ts_parser', 'p.oid')} ORDER BY p.oid`,
    [schemas],
  );
  const templates = await s.query<{ nspname: string; tmplname: string; init: string | null; lexize: string }>(
    `SELECT n.nspname, t.tmplname, ${fn('t.tmplinit')} AS init, ${fn('t.tmpllexize')} AS lexize
       FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_ts_template', 't.oid')} ORDER BY t.oid`,
    [schemas],
  );
  const dicts = await s.query<{ nspname: string; dictname: string; template: string; options: string | null }>(
    `SELECT n.nspname, x.dictname, quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) AS template, x.dictinitoption AS options
       FROM pg_ts_dict x JOIN pg_namespace n ON n.oid = x.dictnamespace
       JOIN pg_ts_template t ON t.oid = x.dicttemplate JOIN pg_namespace tn ON tn.oid = t.tmplnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_ts_dict', 'x.oid')} ORDER BY x.oid`,
    [schemas],
  );
  const configs = await s.query<{ nspname: string; cfgname: string; parser: string; mappings: Array<{ token: string; dicts: string }> | null }>(
    `SELECT n.nspname, c.cfgname, quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) AS parser,
            (SELECT json_agg(json_build_object('token', m.token, 'dicts', m.dicts) ORDER BY m.tokid)
               FROM (SELECT tt.tokid, tt.alias AS token,
                            string_agg(quote_ident(dn.nspname) || '.' || quote_ident(d.dictname), ', ' ORDER BY mp.mapseqno) AS dicts
                       FROM ts_token_type(c.cfgparser) tt JOIN pg_ts_config_map mp ON mp.mapcfg = c.oid AND mp.maptokentype = tt.tokid
                       JOIN pg_ts_dict d ON d.oid = mp.mapdict JOIN pg_namespace dn ON dn.oid = d.dictnamespace
                      GROUP BY tt.tokid, tt.alias) m) AS mappings
       FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
       JOIN pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_namespace pn ON pn.oid = p.prsnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_ts_config', 'c.oid')} ORDER BY c.oid`,
    [schemas],
  );
  const out: OtherObject[] = [
    ...parsers.rows.map((p) => ({
      schema: p.nspname,
      name: p.prsname,
      kind: 'text search parser' as const,
      definition: `CREATE TEXT SEARCH PARSER ${qn(p.nspname, p.prsname)} (START = ${p.start}, GETTOKEN = ${p.gettoken}, END = ${p.end}, LEXTYPES = ${p.lextypes}${p.headline ? `, HEADLINE = ${p.headline}` : ''})`,
    })),
    ...templates.rows.map((t) => ({
      schema: t.nspname,
      name: t.tmplname,
      kind: 'text search template' as const,
      definition: `CREATE TEXT SEARCH TEMPLATE ${qn(t.nspname, t.tmplname)} (${t.init ? `INIT = ${t.init}, ` : ''}LEXIZE = ${t.lexize})`,
    })),
  ];
  out.push(...dicts.rows.map((d) => ({
    schema: d.nspname,
    name: d.dictname,
    kind: 'text search dictionary' as const,
    definition: `CREATE TEXT SEARCH DICTIONARY ${qn(d.nspname, d.dictname)} (TEMPLATE = ${d.template}${d.options ? `, ${d.options}` : ''})`,
  })));
  for (const c of configs.rows) {
    const name = qn(c.nspname, c.cfgname);
    const statements = [`CREATE TEXT SEARCH CONFIGURATION ${name} (PARSER = ${c.parser})`];
    // Consecutive token types with the same dictionaries share one statement, as in pg_dump.
    let run: { tokens: string[]; dicts: string } | null = null;
    const flush = () => {
      if (run) statements.push(`ALTER TEXT SEARCH CONFIGURATION ${name} ADD MAPPING FOR ${run.tokens.join(', ')} WITH ${run.dicts}`);
    };
    for (const m of c.mappings ?? []) {
      if (run && run.dicts === m.dicts) run.tokens.push(m.token);
      else {
        flush();
        run = { tokens: [m.token], dicts: m.dicts };
      }
    }
    flush();
    out.push({ schema: c.nspname, name: c.cfgname, kind: 'text search configuration', definition: statements.join(';\n') });
  }
  return out;
}

async function structuredTypeObjects(s: PgSession, schemas: string[], versionNum: number, foreign: number[]): Promise<OtherObject[]> {
  const out: OtherObject[] = [];
  const composites = await s.query<{ nspname: string; typname: string; attrs: string }>(
    `SELECT n.nspname, t.typname,
            string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
              || CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                      THEN ' COLLATE ' || (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END,
              ', ' ORDER BY a.attnum) AS attrs
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped JOIN pg_type at ON at.oid = a.atttypid
      WHERE (n.nspname = ANY($1) OR t.oid = ANY($2::oid[])) AND ${extOwned('pg_type', 't.oid')}
      GROUP BY t.oid, n.nspname, t.typname ORDER BY t.oid`,
    [schemas, foreign],
  );
  for (const c of composites.rows) {
    out.push({ schema: c.nspname, name: c.typname, kind: 'composite type', definition: `CREATE TYPE ${qn(c.nspname, c.typname)} AS (${c.attrs})` });
  }
  const multirange = versionNum >= 140000 ? `format_type(r.rngmultitypid, NULL)` : 'NULL';
  const ranges = await s.query<{
    nspname: string; typname: string; subtype: string; opclass: string | null; collation: string | null;
    canonical: string | null; diff: string | null; multirange: string | null;
  }>(
    `SELECT n.nspname, t.typname, format_type(r.rngsubtype, NULL) AS subtype,
            CASE WHEN NOT oc.opcdefault THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END AS opclass,
            CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                 THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation) END AS collation,
            NULLIF(r.rngcanonical, 0)::regproc::text AS canonical, NULLIF(r.rngsubdiff, 0)::regproc::text AS diff,
            ${multirange} AS multirange
       FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_type st ON st.oid = r.rngsubtype
       JOIN pg_opclass oc ON oc.oid = r.rngsubopc JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
      WHERE (n.nspname = ANY($1) OR t.oid = ANY($2::oid[])) AND ${extOwned('pg_type', 't.oid')} ORDER BY t.oid`,
    [schemas, foreign],
  );
  for (const r of ranges.rows) {
    const opts = [`SUBTYPE = ${r.subtype}`];
    if (r.opclass) opts.push(`SUBTYPE_OPCLASS = ${r.opclass}`);
    if (r.collation) opts.push(`COLLATION = ${r.collation}`);
    if (r.canonical) opts.push(`CANONICAL = ${r.canonical}`);
    if (r.diff) opts.push(`SUBTYPE_DIFF = ${r.diff}`);
    if (r.multirange) opts.push(`MULTIRANGE_TYPE_NAME = ${r.multirange}`);
    out.push({ schema: r.nspname, name: r.typname, kind: 'range type', definition: `CREATE TYPE ${qn(r.nspname, r.typname)} AS RANGE (${opts.join(', ')})` });
  }
  return out;
}

async function viewsOf(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const out: OtherObject[] = [];
  const views = await s.query<{ nspname: string; relname: string; relkind: string; def: string }>(
    `SELECT n.nspname, c.relname, c.relkind::text AS relkind, pg_get_viewdef(c.oid) AS def
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1) AND ${extOwned('pg_class', 'c.oid')}
      ORDER BY c.oid`,
    [schemas],
  );
  for (const v of views.rows) {
    const kind = v.relkind === 'm' ? 'materialized view' : 'view';
    const body = v.def.trim().replace(/;$/, '');
    out.push({
      schema: v.nspname,
      name: v.relname,
      kind,
      definition: `CREATE ${kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'} ${qn(v.nspname, v.relname)} AS ${body}`,
    });
  }
  const indexes = await s.query<{ nspname: string; relname: string; indexname: string; def: string }>(
    `SELECT n.nspname, c.relname, ic.relname AS indexname, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid AND c.relkind = 'm' JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE n.nspname = ANY($1) ORDER BY ic.oid`,
    [schemas],
  );
  for (const ix of indexes.rows) out.push({ schema: ix.nspname, name: ix.indexname, kind: 'index', definition: ix.def, table: ix.relname });
  return out;
}

async function routines(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const funcs = await s.query<{ nspname: string; proname: string; prokind: string; def: string }>(
    `SELECT n.nspname, p.proname, p.prokind::text AS prokind, pg_get_functiondef(p.oid) AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND ${extOwned('pg_proc', 'p.oid')}
        -- Constructors a range type makes for itself come back with the type.
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
      ORDER BY p.oid`,
    [schemas],
  );
  return funcs.rows.map((f) => ({ schema: f.nspname, name: f.proname, kind: f.prokind === 'p' ? 'procedure' : 'function', definition: f.def }));
}

async function aggregates(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{
    nspname: string; proname: string; args: string; kind: string; sfunc: string; stype: string; sspace: number;
    finalfunc: string | null; finalextra: boolean; finalmodify: string; combinefunc: string | null; serialfunc: string | null;
    deserialfunc: string | null; initcond: string | null; msfunc: string | null; minvfunc: string | null; mstype: string | null;
    mfinalfunc: string | null; minitcond: string | null; sortop: string | null; parallel: string;
  }>(
    `SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS args, a.aggkind::text AS kind,
            a.aggtransfn::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype, a.aggtransspace AS sspace,
            NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra AS finalextra, a.aggfinalmodify::text AS finalmodify,
            NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc, NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc,
            NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc, a.agginitval AS initcond,
            NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
            CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
            NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggminitval AS minitcond,
            CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END AS sortop, p.proparallel::text AS parallel
       FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_proc', 'p.oid')} ORDER BY p.oid`,
    [schemas],
  );
  return rows.rows.map((a) => {
    // Ordered-set and hypothetical aggregates need the direct-argument syntax; rare enough to report instead.
    if (a.kind !== 'n') return { schema: a.nspname, name: a.proname, kind: 'aggregate' as const, definition: null };
    const opts = [`SFUNC = ${a.sfunc}`, `STYPE = ${a.stype}`];
    if (a.sspace > 0) opts.push(`SSPACE = ${a.sspace}`);
    if (a.finalfunc) opts.push(`FINALFUNC = ${a.finalfunc}`);
    if (a.finalfunc && a.finalextra) opts.push('FINALFUNC_EXTRA');
    if (a.finalfunc && a.finalmodify !== 'r') opts.push(`FINALFUNC_MODIFY = ${a.finalmodify === 's' ? 'SHAREABLE' : 'READ_WRITE'}`);
    if (a.combinefunc) opts.push(`COMBINEFUNC = ${a.combinefunc}`);
    if (a.serialfunc) opts.push(`SERIALFUNC = ${a.serialfunc}`);
    if (a.deserialfunc) opts.push(`DESERIALFUNC = ${a.deserialfunc}`);
    if (a.initcond !== null) opts.push(`INITCOND = ${lit(a.initcond)}`);
    if (a.msfunc) opts.push(`MSFUNC = ${a.msfunc}`, `MINVFUNC = ${a.minvfunc}`, `MSTYPE = ${a.mstype}`);
    if (a.mfinalfunc) opts.push(`MFINALFUNC = ${a.mfinalfunc}`);
    if (a.minitcond !== null) opts.push(`MINITCOND = ${lit(a.minitcond)}`);
    if (a.sortop) opts.push(`SORTOP = ${a.sortop.replace(/\(.*$/, '')}`);
    if (a.parallel !== 'u') opts.push(`PARALLEL = ${a.parallel === 's' ? 'SAFE' : 'RESTRICTED'}`);
    return { schema: a.nspname, name: a.proname, kind: 'aggregate' as const, definition: `CREATE AGGREGATE ${qn(a.nspname, a.proname)}(${a.args}) (${opts.join(', ')})` };
  });
}

/** `OPERATOR(schema.op)` for an operator oid, as CREATE OPERATOR's COMMUTATOR/NEGATOR take it. */
const operatorRef = (col: string): string =>
  `CASE WHEN ${col} <> 0 THEN (SELECT 'OPERATOR(' || quote_ident(rn.nspname) || '.' || r.oprname || ')' FROM pg_operator r JOIN pg_namespace rn ON rn.oid = r.oprnamespace WHERE r.oid = ${col}) END`;

async function operators(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{
    nspname: string; oprname: string; left: string | null; right: string | null; func: string; commutator: string | null;
    negator: string | null; restrict: string | null; join: string | null; hashes: boolean; merges: boolean;
  }>(
    `SELECT n.nspname, o.oprname, CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS left,
            CASE WHEN o.oprright <> 0 THEN format_type(o.oprright, NULL) END AS right, o.oprcode::text AS func,
            ${operatorRef('o.oprcom')} AS commutator, ${operatorRef('o.oprnegate')} AS negator,
            NULLIF(o.oprrest, 0)::regproc::text AS restrict, NULLIF(o.oprjoin, 0)::regproc::text AS join,
            o.oprcanhash AS hashes, o.oprcanmerge AS merges
       FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
      WHERE n.nspname = ANY($1) AND ${extOwned('pg_operator', 'o.oid')} ORDER BY o.oid`,
    [schemas],
  );
  return rows.rows.map((o) => {
    const opts = [`FUNCTION = ${o.func}`];
    if (o.left) opts.push(`LEFTARG = ${o.left}`);
    if (o.right) opts.push(`RIGHTARG = ${o.right}`);
    if (o.commutator) opts.push(`COMMUTATOR = ${o.commutator}`);
    if (o.negator) opts.push(`NEGATOR = ${o.negator}`);
    if (o.restrict) opts.push(`RESTRICT = ${o.restrict}`);
    if (o.join) opts.push(`JOIN = ${o.join}`);
    if (o.hashes) opts.push('HASHES');
    if (o.merges) opts.push('MERGES');
    return {
      schema: o.nspname,
      name: unqualified(`${o.oprname}(${o.left ?? 'NONE'},${o.right ?? 'NONE'})`, o.nspname),
      kind: 'operator' as const,
      definition: `CREATE OPERATOR ${qi(o.nspname)}.${o.oprname} (${opts.join(', ')})`,
    };
  });
}

/** User casts that involve a type or function of the copied schemas (casts themselves belong to no schema). */
async function casts(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{ nspname: string; source: string; target: string; func: string | null; method: string; context: string }>(
    `SELECT coalesce(CASE WHEN sn.nspname = ANY($1) THEN sn.nspname END, CASE WHEN tn.nspname = ANY($1) THEN tn.nspname END, fn.nspname) AS nspname,
            format_type(c.castsource, NULL) AS source, format_type(c.casttarget, NULL) AS target,
            CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END AS func, c.castmethod::text AS method, c.castcontext::text AS context
       FROM pg_cast c
       JOIN pg_type st ON st.oid = c.castsource JOIN pg_namespace sn ON sn.oid = st.typnamespace
       JOIN pg_type tt ON tt.oid = c.casttarget JOIN pg_namespace tn ON tn.oid = tt.typnamespace
       LEFT JOIN pg_proc p ON p.oid = c.castfunc LEFT JOIN pg_namespace fn ON fn.oid = p.pronamespace
      WHERE (sn.nspname = ANY($1) OR tn.nspname = ANY($1) OR fn.nspname = ANY($1))
        -- Casts a type makes for itself (a range's multirange constructors) come back with the type.
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_cast'::regclass AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
      ORDER BY c.oid`,
    [schemas],
  );
  return rows.rows.map((c) => {
    const how = c.method === 'f' ? `WITH FUNCTION ${c.func}` : c.method === 'i' ? 'WITH INOUT' : 'WITHOUT FUNCTION';
    const context = c.context === 'a' ? ' AS ASSIGNMENT' : c.context === 'i' ? ' AS IMPLICIT' : '';
    return { schema: c.nspname, name: unqualified(`(${c.source} AS ${c.target})`, c.nspname), kind: 'cast' as const, definition: `CREATE CAST (${c.source} AS ${c.target}) ${how}${context}` };
  });
}

/** Triggers of the copied tables, and INSTEAD OF triggers of the views of the copied schemas. */
async function triggers(s: PgSession, tableOids: number[], schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{ nspname: string; relname: string; tgname: string; def: string; enabled: string }>(
    `SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) AS def, t.tgenabled::text AS enabled
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (t.tgrelid = ANY($1::oid[]) OR (c.relkind = 'v' AND n.nspname = ANY($2))) AND NOT t.tgisinternal AND t.tgparentid = 0
      ORDER BY t.oid`,
    [tableOids, schemas],
  );
  return rows.rows.map((t) => {
    // A disabled trigger stays disabled in the copy.
    const disable = t.enabled === 'D' ? `;\nALTER TABLE ${qn(t.nspname, t.relname)} DISABLE TRIGGER ${qi(t.tgname)}` : '';
    return { schema: t.nspname, name: t.tgname, kind: 'trigger' as const, definition: t.def + disable, table: t.relname };
  });
}

async function domains(s: PgSession, schemas: string[], foreign: number[]): Promise<OtherObject[]> {
  const rows = await s.query<{
    nspname: string; typname: string; base: string; notnull: boolean; def: string | null; collation: string | null; nested: string | null;
  }>(
    `SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull AS notnull, t.typdefault AS def,
            CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                 THEN (SELECT CASE WHEN cn.nspname <> 'pg_catalog' THEN quote_ident(cn.nspname) || '.' ELSE '' END || quote_ident(co.collname)
                         FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collation,
            CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'c' WHERE a.atttypid = t.oid AND NOT a.attisdropped)
                   OR EXISTS (SELECT 1 FROM pg_range r WHERE r.rngsubtype = t.oid)
                   OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.atttypid = t.typarray AND NOT a.attisdropped)
                 THEN (SELECT string_agg(' CONSTRAINT ' || quote_ident(co.conname) || ' ' || pg_get_constraintdef(co.oid), '' ORDER BY co.conname)
                         FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c') END AS nested
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_type bt ON bt.oid = t.typbasetype
      WHERE t.typtype = 'd' AND (n.nspname = ANY($1) OR t.oid = ANY($2::oid[])) AND ${extOwned('pg_type', 't.oid')} ORDER BY t.oid`,
    [schemas, foreign],
  );
  return rows.rows.map((d) => {
    // Created without its CHECKs (those come after the data, with the table constraints), unless a composite, a range
    // or an array of it is used: PostgreSQL refuses ALTER DOMAIN … ADD CONSTRAINT once a table column holds such a type.
    let def = `CREATE DOMAIN ${qn(d.nspname, d.typname)} AS ${d.base}`;
    if (d.collation) def += ` COLLATE ${d.collation}`;
    if (d.def !== null) def += ` DEFAULT ${d.def}`;
    if (d.nested) def += d.nested;
    return { schema: d.nspname, name: d.typname, kind: 'domain' as const, definition: def };
  });
}

/**
 * Every sequence with its parameters, and `OWNED BY` where a column owns it, so serial columns and free-standing
 * sequences behind `nextval()` defaults are recreated alike; an identity column's sequence only gets its parameters.
 */
async function sequences(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rows = await s.query<{
    nspname: string; relname: string; type: string; start: string; inc: string; min: string; max: string; cache: string; cycle: boolean;
    owner_schema: string | null; owner_table: string | null; owner_column: string | null; identity: boolean;
  }>(
    `SELECT n.nspname, c.relname, format_type(q.seqtypid, NULL) AS type, q.seqstart::text AS start, q.seqincrement::text AS inc,
            q.seqmin::text AS min, q.seqmax::text AS max, q.seqcache::text AS cache, q.seqcycle AS cycle,
            own.nspname AS owner_schema, own.relname AS owner_table, own.attname AS owner_column, coalesce(own.deptype = 'i', false) AS identity
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence q ON q.seqrelid = c.oid
       LEFT JOIN LATERAL (
         SELECT tn.nspname, t.relname, a.attname, d.deptype FROM pg_depend d
           JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
           JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          LIMIT 1) own ON true
      WHERE c.relkind = 'S' AND n.nspname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')
      ORDER BY c.oid`,
    [schemas],
  );
  return rows.rows.map((q) => {
    if (q.identity && q.owner_schema && q.owner_table && q.owner_column) {
      // The identity column creates its sequence; only its parameters are set.
      const def = `ALTER TABLE ${qn(q.owner_schema, q.owner_table)} ALTER COLUMN ${qi(q.owner_column)} SET INCREMENT BY ${q.inc} SET MINVALUE ${q.min} SET MAXVALUE ${q.max} SET START WITH ${q.start} SET CACHE ${q.cache} SET ${q.cycle ? 'CYCLE' : 'NO CYCLE'}`;
      return { schema: q.nspname, name: q.relname, kind: 'sequence' as const, definition: def, table: q.owner_table };
    }
    let def = `CREATE SEQUENCE ${qn(q.nspname, q.relname)} AS ${q.type} INCREMENT BY ${q.inc} MINVALUE ${q.min} MAXVALUE ${q.max} START WITH ${q.start} CACHE ${q.cache}${q.cycle ? ' CYCLE' : ''}`;
    if (q.owner_table && q.owner_schema && q.owner_column) def += `;\nALTER SEQUENCE ${qn(q.nspname, q.relname)} OWNED BY ${qn(q.owner_schema, q.owner_table)}.${qi(q.owner_column)}`;
    return { schema: q.nspname, name: q.relname, kind: 'sequence' as const, definition: def, ...(q.owner_table ? { table: q.owner_table } : {}) };
  });
}

/** Row-level security: whether each table enables (and forces) it, and its policies. */
async function policies(s: PgSession, tableOids: number[]): Promise<OtherObject[]> {
  const out: OtherObject[] = [];
  const rls = await s.query<{ nspname: string; relname: string; forced: boolean }>(
    `SELECT n.nspname, c.relname, c.relforcerowsecurity AS forced FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND c.relrowsecurity ORDER BY c.oid`,
    [tableOids],
  );
  for (const r of rls.rows) {
    const t = qn(r.nspname, r.relname);
    const def = `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY${r.forced ? `;\nALTER TABLE ${t} FORCE ROW LEVEL SECURITY` : ''}`;
    out.push({ schema: r.nspname, name: r.relname, kind: 'row security', definition: def, table: r.relname });
  }
  const pols = await s.query<{ nspname: string; relname: string; polname: string; permissive: boolean; cmd: string; roles: string; qual: string | null; check: string | null }>(
    `SELECT n.nspname, c.relname, p.polname, p.polpermissive AS permissive, p.polcmd::text AS cmd,
            (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE (SELECT quote_ident(a.rolname) FROM pg_roles a WHERE a.oid = r) END, ', ') FROM unnest(p.polroles) r) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE p.polrelid = ANY($1::oid[]) ORDER BY p.oid`,
    [tableOids],
  );
  const commands: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };
  for (const p of pols.rows) {
    let def = `CREATE POLICY ${qi(p.polname)} ON ${qn(p.nspname, p.relname)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${commands[p.cmd] ?? 'ALL'} TO ${p.roles}`;
    if (p.qual !== null) def += ` USING (${p.qual})`;
    if (p.check !== null) def += ` WITH CHECK (${p.check})`;
    out.push({ schema: p.nspname, name: p.polname, kind: 'policy', definition: def, table: p.relname });
  }
  return out;
}

/** Rewrite rules of tables and views (a view's own `_RETURN` rule is the view) and extended statistics objects. */
async function rulesAndStatistics(s: PgSession, schemas: string[]): Promise<OtherObject[]> {
  const rules = await s.query<{ nspname: string; relname: string; rulename: string; def: string }>(
    `SELECT n.nspname, c.relname, r.rulename, pg_get_ruledef(r.oid) AS def
       FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND r.rulename <> '_RETURN' AND ${extOwned('pg_class', 'c.oid')} ORDER BY r.oid`,
    [schemas],
  );
  const stats = await s.query<{ nspname: string; stxname: string; def: string }>(
    `SELECT n.nspname, x.stxname, pg_get_statisticsobjdef(x.oid) AS def
       FROM pg_statistic_ext x JOIN pg_namespace n ON n.oid = x.stxnamespace WHERE n.nspname = ANY($1) ORDER BY x.oid`,
    [schemas],
  );
  return [
    ...rules.rows.map((r) => ({ schema: r.nspname, name: r.rulename, kind: 'rule' as const, definition: r.def.trim().replace(/;$/, ''), table: r.relname })),
    ...stats.rows.map((x) => ({ schema: x.nspname, name: x.stxname, kind: 'statistics' as const, definition: x.def })),
  ];
}

/** The COMMENT ON keyword for what pg_identify_object calls the object, or null when synth does not copy it. */
const COMMENT_TARGETS: Record<string, string> = {
  rule: 'RULE', 'statistics object': 'STATISTICS', function: 'FUNCTION', procedure: 'PROCEDURE', aggregate: 'AGGREGATE', view: 'VIEW', 'materialized view': 'MATERIALIZED VIEW',
  index: 'INDEX', sequence: 'SEQUENCE', type: 'TYPE', 'composite type': 'TYPE', domain: 'DOMAIN', 'table constraint': 'CONSTRAINT',
  trigger: 'TRIGGER', policy: 'POLICY', operator: 'OPERATOR', cast: 'CAST', 'table column': 'COLUMN', 'view column': 'COLUMN',
  'materialized view column': 'COLUMN', 'composite type column': 'COLUMN', table: 'TABLE', 'domain constraint': 'CONSTRAINT',
  collation: 'COLLATION', 'text search configuration': 'TEXT SEARCH CONFIGURATION', 'text search dictionary': 'TEXT SEARCH DICTIONARY',
  'text search parser': 'TEXT SEARCH PARSER', 'text search template': 'TEXT SEARCH TEMPLATE',
};

/** Comments on everything but the model's tables and their columns (those are `Table.comment` / `Column.comment`). */
async function comments(s: PgSession, schemas: string[], tableOids: number[]): Promise<OtherObject[]> {
  const rows = await s.query<{ type: string; identity: string; nspname: string | null; description: string }>(
    `SELECT o.type, o.identity, d.description,
            coalesce(o.schema, CASE d.classoid
              WHEN 'pg_trigger'::regclass THEN (SELECT n.nspname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.oid = d.objoid)
              WHEN 'pg_rewrite'::regclass THEN (SELECT n.nspname FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.oid = d.objoid)
              WHEN 'pg_policy'::regclass THEN (SELECT n.nspname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.oid = d.objoid)
              WHEN 'pg_cast'::regclass THEN (SELECT n.nspname FROM pg_cast k JOIN pg_type t ON t.oid IN (k.castsource, k.casttarget) JOIN pg_namespace n ON n.oid = t.typnamespace WHERE k.oid = d.objoid AND n.nspname = ANY($1) LIMIT 1)
            END) AS nspname
       FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
      WHERE d.classoid <> 'pg_namespace'::regclass AND d.classoid <> 'pg_extension'::regclass
        AND NOT (d.classoid = 'pg_class'::regclass AND d.objoid = ANY($2::oid[]))
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e')
      ORDER BY d.classoid, d.objoid, d.objsubid`,
    [schemas, tableOids],
  );
  const out: OtherObject[] = [];
  for (const r of rows.rows) {
    const keyword = COMMENT_TARGETS[r.type];
    if (!keyword || r.nspname === null || !schemas.includes(r.nspname)) continue;
    let target = r.identity;
    // pg_identify_object prints "name on schema.table"; COMMENT wants "name ON schema.table" (ON DOMAIN for domains).
    if (/ on /.test(target) && ['CONSTRAINT', 'TRIGGER', 'POLICY', 'RULE'].includes(keyword)) {
      const at = target.lastIndexOf(' on ');
      target = `${target.slice(0, at)} ON ${r.type === 'domain constraint' ? 'DOMAIN ' : ''}${target.slice(at + 4)}`;
    }
    out.push({ schema: r.nspname, name: unqualified(`${r.type} ${r.identity}`, r.nspname), kind: 'comment', definition: `COMMENT ON ${keyword} ${target} IS ${lit(r.description)}` });
  }
  return out;
}

/** Where each catalog keeps an object's schema, given the object's oid as SQL. */
const NAMESPACE_OF: Record<string, (oid: string) => string> = {
  pg_class: (oid) => `(SELECT relnamespace FROM pg_class WHERE oid = ${oid})`,
  pg_type: (oid) => `(SELECT typnamespace FROM pg_type WHERE oid = ${oid})`,
  pg_proc: (oid) => `(SELECT pronamespace FROM pg_proc WHERE oid = ${oid})`,
  pg_operator: (oid) => `(SELECT oprnamespace FROM pg_operator WHERE oid = ${oid})`,
  pg_constraint: (oid) => `(SELECT connamespace FROM pg_constraint WHERE oid = ${oid})`,
  pg_collation: (oid) => `(SELECT collnamespace FROM pg_collation WHERE oid = ${oid})`,
  pg_opclass: (oid) => `(SELECT opcnamespace FROM pg_opclass WHERE oid = ${oid})`,
  pg_opfamily: (oid) => `(SELECT opfnamespace FROM pg_opfamily WHERE oid = ${oid})`,
  pg_rewrite: (oid) => `(SELECT c.relnamespace FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = ${oid})`,
  pg_trigger: (oid) => `(SELECT c.relnamespace FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.oid = ${oid})`,
  pg_attrdef: (oid) => `(SELECT c.relnamespace FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = ${oid})`,
  pg_policy: (oid) => `(SELECT c.relnamespace FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = ${oid})`,
};

/**
 * The `WHEN` branches of a `CASE <classid>` giving the schema oid of object `oid` for each of `catalogs`: pg_depend
 * names an object by catalog and oid, and each catalog keeps the namespace in a column of its own.
 */
export function namespaceWhens(oid: string, catalogs: ReadonlyArray<keyof typeof NAMESPACE_OF>): string {
  return catalogs.map((c) => `WHEN '${c}'::regclass THEN ${NAMESPACE_OF[c]!(oid)}`).join('\n         ');
}

/**
 * Objects outside `schemas` (and outside every extension and the system schemas) that objects of `schemas` use
 * directly: a function a default or view calls, a table a view reads, an operator, a collation.
 */
export async function externalObjectsOf(s: PgSession, schemas: string[]): Promise<ExternalObject[]> {
  const rows = await s.query<{ type: string; identity: string; schema: string; used_by: string }>(
    `WITH dep AS (
       SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid,
              CASE d.classid
                ${namespaceWhens('d.objid', ['pg_class', 'pg_type', 'pg_proc', 'pg_constraint', 'pg_rewrite', 'pg_trigger', 'pg_attrdef', 'pg_policy'])}
              END AS ns
         FROM pg_depend d
        WHERE d.deptype = 'n' AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass, 'pg_collation'::regclass)
     )
     SELECT DISTINCT ON (o.identity) o.type, o.identity, rn.nspname AS schema,
            CASE WHEN dep.classid = 'pg_rewrite'::regclass
                 THEN pg_describe_object('pg_class'::regclass, (SELECT ev_class FROM pg_rewrite WHERE oid = dep.objid), 0)
                 ELSE pg_describe_object(dep.classid, dep.objid, dep.objsubid) END AS used_by
       FROM dep JOIN pg_namespace n ON n.oid = dep.ns
       JOIN pg_namespace rn ON rn.oid = CASE dep.refclassid
         ${namespaceWhens('dep.refobjid', ['pg_class', 'pg_proc', 'pg_type', 'pg_operator', 'pg_collation'])}
       END,
       LATERAL pg_identify_object(dep.refclassid, dep.refobjid, 0) o
      WHERE n.nspname = ANY($1) AND rn.nspname <> ALL($1)
        AND rn.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND rn.nspname NOT LIKE 'pg\\_temp%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = dep.refclassid AND e.objid = dep.refobjid AND e.deptype = 'e')
        -- An array type or a table's row type goes with its element or table, which is listed on its own.
        AND NOT (dep.refclassid = 'pg_type'::regclass AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = dep.refobjid AND (t.typelem <> 0 AND t.typcategory = 'A' OR t.typrelid <> 0)))
      ORDER BY o.identity, used_by`,
    [schemas],
  );
  return rows.rows.map((r) => ({ type: r.type, identity: r.identity, schema: r.schema, usedBy: r.used_by }));
}
