/**
 * CHECK expressions as MySQL/MariaDB spell them (`information_schema.CHECK_CONSTRAINTS.CHECK_CLAUSE`) ⇄ the
 * neutral form of src/schema/expression.ts. The renderer is used for CHECKs of a PostgreSQL source landing in MySQL.
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
import { qi, ql } from './mysql-quote.js';

const FUNCTIONS: Record<string, FunctionName> = {
  char_length: 'char_length',
  character_length: 'char_length',
  // MySQL's LENGTH counts bytes (MariaDB even stores it as octet_length).
  length: 'octet_length',
  octet_length: 'octet_length',
  json_valid: 'json_valid',
  lower: 'lower',
  lcase: 'lower',
  upper: 'upper',
  ucase: 'upper',
  abs: 'abs',
  trim: 'trim',
  coalesce: 'coalesce',
  ifnull: 'coalesce',
};

export function mysqlCastType(name: string): CastType {
  const n = name.toLowerCase().replace(/\(.*\)$/, '').trim();
  if (n.startsWith('char') || n.startsWith('varchar') || n === 'nchar') return 'text';
  if (n === 'decimal' || n === 'numeric') return 'numeric';
  if (n.startsWith('signed') || n.startsWith('unsigned') || n === 'int' || n === 'integer') return 'integer';
  if (n === 'double' || n === 'float' || n === 'real') return 'float';
  if (n === 'date') return 'date';
  if (n === 'datetime') return 'timestamp';
  if (n === 'time') return 'time';
  if (n === 'json') return 'json';
  return 'other';
}

const LEX: LexOptions = {
  identifierQuote: '`',
  backslashEscapes: true,
  functionName: (name) => FUNCTIONS[name] ?? null,
  castType: mysqlCastType,
};

/** Parses a MySQL CHECK clause. Throws UntranslatableExpression. */
export function parseMysqlExpression(sql: string): Expr {
  return parseExpression(sql, LEX);
}


/** Kinds the MySQL connector stores in a different shape (JSON arrays, text forms): a CHECK over them would not mean the same. */
const OPAQUE: ReadonlySet<NeutralType['kind']> = new Set(['array', 'interval', 'network', 'tsvector', 'xml', 'geometry', 'bit', 'unsupported']);

/** `'2024-01-02 03:04:05+02'` → the UTC DATETIME text the MySQL connector stores for timestamptz. */
function utcDatetime(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return text.trim();
    throw new UntranslatableExpression(`timestamp literal '${text}' is not in a form MySQL reads`);
  }
  if (!m[3]) return `${m[1]} ${m[2]}`;
  let zone = m[3].toUpperCase();
  if (zone !== 'Z' && !zone.includes(':')) zone = zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const time = m[2]!.length === 5 ? `${m[2]}:00` : m[2]!;
  const d = new Date(`${m[1]}T${time}${zone}`);
  if (Number.isNaN(d.getTime())) throw new UntranslatableExpression(`timestamp literal '${text}' is not a valid instant`);
  const frac = /\.(\d+)/.exec(time)?.[1] ?? '';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}${frac ? `.${frac}` : ''}`;
}

/**
 * Renders a neutral expression (parsed from PostgreSQL) as MySQL SQL over the columns as the MySQL connector
 * creates them (`mysql-ddl.ts`): casts of literals fold into the literal, timestamptz literals become UTC.
 */
export function renderMysqlExpression(e: Expr, ctx: RenderContext): string {
  const r = (x: Expr): string => renderMysqlExpression(x, ctx);
  switch (e.kind) {
    case 'column': {
      const t = ctx.typeOf(e.name);
      if (!t) throw new UntranslatableExpression(`column ${e.name} is not in the table`);
      if (OPAQUE.has(t.kind)) throw new UntranslatableExpression(`column ${e.name} (${t.kind}) is stored in another form in MySQL`);
      return qi(e.name);
    }
    case 'string':
      return ql(e.value);
    case 'number':
      return e.value.startsWith('-') ? `(${e.value})` : e.value;
    case 'boolean':
      return e.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'cast':
      return renderCast(e, ctx);
    case 'not':
      return `(NOT ${r(e.operand)})`;
    case 'negate':
      return `(- ${r(e.operand)})`;
    case 'logical':
      return `(${e.operands.map(r).join(` ${e.op} `)})`;
    case 'compare':
      return `(${r(e.left)} ${e.op} ${r(e.right)})`;
    case 'arith':
      return `(${r(e.left)} ${e.op} ${r(e.right)})`;
    case 'in':
      return `(${r(e.operand)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map(r).join(', ')}))`;
    case 'between':
      return `(${r(e.operand)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${r(e.low)} AND ${r(e.high)})`;
    case 'is-null':
      return `(${r(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'like':
      return `(${r(e.operand)} ${e.negated ? 'NOT LIKE' : 'LIKE'} ${r(e.pattern)})`;
    case 'is-bool':
      return `(${r(e.operand)} IS ${e.negated ? 'NOT ' : ''}${e.value ? 'TRUE' : 'FALSE'})`;
    case 'distinct':
      return e.negated ? `(${r(e.left)} <=> ${r(e.right)})` : `(NOT (${r(e.left)} <=> ${r(e.right)}))`;
    case 'call': {
      const name = { char_length: 'CHAR_LENGTH', octet_length: 'OCTET_LENGTH', json_valid: 'JSON_VALID', lower: 'LOWER', upper: 'UPPER', abs: 'ABS', trim: 'TRIM', coalesce: 'COALESCE' }[e.fn];
      return `${name}(${e.args.map(r).join(', ')})`;
    }
    case 'array':
      throw new UntranslatableExpression('array values are not supported');
  }
}

function renderCast(e: Extract<Expr, { kind: 'cast' }>, ctx: RenderContext): string {
  const operand = e.operand;
  if (operand.kind === 'string') {
    if (e.type === 'timestamptz') return ql(utcDatetime(operand.value));
    if (e.type === 'boolean') return /^(t|true|y|yes|on|1)$/i.test(operand.value.trim()) ? 'TRUE' : 'FALSE';
    if (e.type === 'numeric' || e.type === 'integer' || e.type === 'float') {
      if (!/^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(operand.value)) throw new UntranslatableExpression(`'${operand.value}' is not a number`);
      return operand.value.trim();
    }
    // Text, dates, times and enum members are compared as the string literal in MySQL.
    if (e.type === 'array' || e.type === 'json') throw new UntranslatableExpression(`cast to ${e.typeName} is not supported`);
    return ql(operand.value);
  }
  if (operand.kind === 'number' || operand.kind === 'null' || operand.kind === 'boolean') {
    if (e.type === 'text') return operand.kind === 'number' ? ql(operand.value) : renderMysqlExpression(operand, ctx);
    if (e.type === 'numeric' || e.type === 'integer' || e.type === 'float' || e.type === 'boolean') return renderMysqlExpression(operand, ctx);
    throw new UntranslatableExpression(`cast of a literal to ${e.typeName} is not supported`);
  }
  const inner = renderMysqlExpression(operand, ctx);
  const kind = operand.kind === 'column' ? ctx.typeOf(operand.name)?.kind : undefined;
  switch (e.type) {
    // PostgreSQL casts varchar/enum columns to text before comparing; MySQL compares them as they are.
    case 'text':
      return kind === 'text' || kind === 'enum' || kind === 'uuid' ? inner : `CAST(${inner} AS CHAR)`;
    case 'numeric':
      return kind === 'decimal' || kind === 'integer' ? inner : `CAST(${inner} AS DECIMAL(65,30))`;
    case 'integer':
      return kind === 'integer' ? inner : `CAST(${inner} AS SIGNED)`;
    case 'float':
      return kind === 'float' || kind === 'integer' || kind === 'decimal' ? inner : `CAST(${inner} AS DOUBLE)`;
    case 'date':
      return kind === 'date' ? inner : `CAST(${inner} AS DATE)`;
    case 'timestamp':
    case 'timestamptz':
      return kind === 'timestamp' ? inner : `CAST(${inner} AS DATETIME(6))`;
    default:
      throw new UntranslatableExpression(`cast to ${e.typeName} has no MySQL equivalent`);
  }
}
