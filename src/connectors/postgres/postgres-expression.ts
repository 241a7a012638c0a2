/**
 * CHECK expressions as PostgreSQL spells them (`pg_get_constraintdef` output) ⇄ the neutral form of
 * src/schema/expression.ts. The renderer is used for CHECKs of a MySQL source landing in PostgreSQL.
 */
import {
  type CastType,
  type Expr,
  type FunctionName,
  type LexOptions,
  parseExpression,
  type RenderContext,
  UntranslatableExpression,
} from '../../schema/expression.js';
import type { NeutralType } from '../../schema/model.js';
import { lit, qi } from './postgres-quote.js';

const FUNCTIONS: Record<string, FunctionName> = {
  char_length: 'char_length',
  character_length: 'char_length',
  length: 'char_length',
  octet_length: 'octet_length',
  lower: 'lower',
  upper: 'upper',
  abs: 'abs',
  btrim: 'trim',
  coalesce: 'coalesce',
};

export function postgresCastType(name: string): CastType {
  const n = name.toLowerCase().replace(/\(.*\)$/, '');
  if (n.endsWith('[]')) return 'array';
  if (['text', 'character varying', 'varchar', 'character', 'char', 'bpchar', 'name', 'citext'].includes(n)) return 'text';
  if (['numeric', 'decimal', 'money'].includes(n)) return 'numeric';
  if (['integer', 'int', 'int4', 'bigint', 'int8', 'smallint', 'int2'].includes(n)) return 'integer';
  if (['real', 'double precision', 'float4', 'float8'].includes(n)) return 'float';
  if (n === 'date') return 'date';
  if (n === 'timestamp without time zone' || n === 'timestamp') return 'timestamp';
  if (n === 'timestamp with time zone' || n === 'timestamptz') return 'timestamptz';
  if (n.startsWith('time')) return 'time';
  if (n === 'boolean' || n === 'bool') return 'boolean';
  if (n === 'json' || n === 'jsonb') return 'json';
  return 'other';
}

const LEX: LexOptions = {
  identifierQuote: '"',
  backslashEscapes: false,
  functionName: (name) => FUNCTIONS[name] ?? null,
  castType: postgresCastType,
};

/** Parses a PostgreSQL CHECK expression (without the CHECK keyword). Throws UntranslatableExpression. */
export function parsePostgresExpression(sql: string): Expr {
  return parseExpression(sql, LEX);
}


const CAST_SQL: Partial<Record<CastType, string>> = {
  text: 'text',
  numeric: 'numeric',
  integer: 'bigint',
  float: 'double precision',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  time: 'time',
  boolean: 'boolean',
};

/**
 * Renders a neutral expression (parsed from another dialect) as PostgreSQL SQL over the columns as the
 * PostgreSQL connector creates them (`mapNeutral`). MySQL semantics are kept where they differ: LIKE is
 * case-insensitive (ILIKE), `/` divides exactly, and 0/1 compared with a TINYINT(1) column are booleans.
 */
export function renderPostgresExpression(e: Expr, ctx: RenderContext): string {
  const r = (x: Expr): string => renderPostgresExpression(x, ctx);
  const typeKind = (x: Expr): NeutralType['kind'] | null => (x.kind === 'column' ? (ctx.typeOf(x.name)?.kind ?? null) : null);
  /** A literal next to a boolean column: MySQL writes booleans as 0/1. */
  const against = (other: Expr, x: Expr): string => {
    if (typeKind(other) === 'boolean' && x.kind === 'number' && (x.value === '0' || x.value === '1')) return x.value === '1' ? 'true' : 'false';
    // Any other number next to a boolean column compares with its 0/1 value, as in MySQL.
    const zeroOrOne = other.kind === 'number' && (other.value === '0' || other.value === '1');
    if (typeKind(x) === 'boolean' && !zeroOrOne && (other.kind === 'number' || other.kind === 'arith')) return `(${r(x)})::int`;
    return r(x);
  };
  switch (e.kind) {
    case 'column': {
      const t = ctx.typeOf(e.name);
      if (!t) throw new UntranslatableExpression(`column ${e.name} is not in the table`);
      if (t.kind === 'set') throw new UntranslatableExpression(`SET column ${e.name} becomes text[] in PostgreSQL`);
      if (t.kind === 'geometry' || t.kind === 'unsupported') throw new UntranslatableExpression(`column ${e.name} (${t.kind}) has no comparable PostgreSQL form`);
      return qi(e.name);
    }
    case 'string':
      return lit(e.value);
    case 'number':
      return e.value.startsWith('-') ? `(${e.value})` : e.value;
    case 'boolean':
      return e.value ? 'true' : 'false';
    case 'null':
      return 'NULL';
    case 'cast': {
      const sql = CAST_SQL[e.type];
      if (!sql) throw new UntranslatableExpression(`cast to ${e.typeName} has no PostgreSQL equivalent`);
      return `(${r(e.operand)})::${sql}`;
    }
    case 'not':
      return `(NOT ${r(e.operand)})`;
    case 'negate':
      return `(- ${r(e.operand)})`;
    case 'logical':
      return `(${e.operands.map(r).join(` ${e.op} `)})`;
    case 'compare':
      return `(${against(e.right, e.left)} ${e.op} ${against(e.left, e.right)})`;
    case 'arith':
      // MySQL's `/` never truncates; PostgreSQL's does on integers.
      if (e.op === '/') return `((${r(e.left)})::numeric / ${r(e.right)})`;
      return `(${r(e.left)} ${e.op} ${r(e.right)})`;
    case 'in':
      return `(${r(e.operand)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((x) => against(e.operand, x)).join(', ')}))`;
    case 'between':
      return `(${r(e.operand)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${r(e.low)} AND ${r(e.high)})`;
    case 'is-null':
      return `(${r(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'is-bool': {
      // MySQL's IS TRUE also takes numbers (non-zero is true).
      const kind = typeKind(e.operand);
      const operand = kind === 'integer' || kind === 'decimal' || kind === 'float' || kind === 'year' ? `(${r(e.operand)} <> 0)` : r(e.operand);
      return `(${operand} IS ${e.negated ? 'NOT ' : ''}${e.value ? 'TRUE' : 'FALSE'})`;
    }
    case 'distinct':
      return `(${against(e.right, e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${against(e.left, e.right)})`;
    case 'like': {
      // MySQL compares with the column's (by default case-insensitive) collation; enums need a text operand.
      const kind = typeKind(e.operand);
      const operand = kind === 'text' ? r(e.operand) : `(${r(e.operand)})::text`;
      return `(${operand} ${e.negated ? 'NOT ILIKE' : 'ILIKE'} ${r(e.pattern)})`;
    }
    case 'call': {
      if (e.fn === 'json_valid') {
        const arg = e.args[0];
        // A json/jsonb column only ever holds valid JSON, which is all json_valid asks.
        if (e.args.length === 1 && arg && typeKind(arg) === 'json') return 'true';
        throw new UntranslatableExpression('json_valid() of anything but a JSON column has no PostgreSQL equivalent');
      }
      const fn = e.fn === 'trim' ? 'btrim' : e.fn;
      const args = e.args.map((a) => (e.fn === 'char_length' || e.fn === 'lower' || e.fn === 'upper' || e.fn === 'trim') && typeKind(a) !== 'text' ? `(${r(a)})::text` : r(a));
      return `${fn}(${args.join(', ')})`;
    }
    case 'array':
      throw new UntranslatableExpression('array values are not supported');
  }
}
