/**
 * A dialect-neutral form of the boolean expressions found in CHECK constraints, so a CHECK written in one
 * dialect's SQL can be re-rendered in another's. Only the common forms are covered (comparisons, AND/OR/NOT,
 * IN, BETWEEN, IS NULL, LIKE, arithmetic, literals, columns, a few functions); anything else is refused with a
 * reason, which callers turn into a `lossy` mapping note instead of copying SQL the target cannot run.
 *
 * Each connector folder has `<dialect>-expression.ts` with its parser options and its renderer; the tokenizer
 * and the precedence parser are shared here because both dialects' CHECK syntax is the same grammar with
 * different quoting and a few extra operators.
 */
import type { NeutralType } from './model.js';

export type CastType = 'text' | 'numeric' | 'integer' | 'float' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'boolean' | 'json' | 'array' | 'other';

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';
/** Functions with the same meaning everywhere; `char_length` counts characters, `octet_length` bytes. */
export type FunctionName = 'char_length' | 'octet_length' | 'json_valid' | 'lower' | 'upper' | 'abs' | 'trim' | 'coalesce';

export type Expr =
  | { kind: 'column'; name: string }
  | { kind: 'string'; value: string }
  /** Numeric literal as written (`-1.5`, `0`, `1e3`). */
  | { kind: 'number'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  /** `type` is the target of a PostgreSQL `::` cast or a `CAST(x AS …)`; `typeName` the spelling, for messages. */
  | { kind: 'cast'; operand: Expr; type: CastType; typeName: string }
  | { kind: 'not'; operand: Expr }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'logical'; op: 'AND' | 'OR'; operands: Expr[] }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr }
  | { kind: 'arith'; op: ArithOp; left: Expr; right: Expr }
  | { kind: 'in'; operand: Expr; list: Expr[]; negated: boolean }
  | { kind: 'between'; operand: Expr; low: Expr; high: Expr; negated: boolean }
  | { kind: 'is-null'; operand: Expr; negated: boolean }
  /** `x IS [NOT] TRUE|FALSE` (NULL is neither). */
  | { kind: 'is-bool'; operand: Expr; value: boolean; negated: boolean }
  /** `l IS [NOT] DISTINCT FROM r`; MySQL spells the NOT DISTINCT form `l <=> r`. */
  | { kind: 'distinct'; left: Expr; right: Expr; negated: boolean }
  | { kind: 'like'; operand: Expr; pattern: Expr; negated: boolean }
  | { kind: 'call'; fn: FunctionName; args: Expr[] }
  /** PostgreSQL `ARRAY[…]`; only meaningful under ANY/ALL, which the parser turns into IN, so renderers refuse it. */
  | { kind: 'array'; items: Expr[] };

/** Thrown for an expression outside the supported forms; the message is the reason shown to the user. */
export class UntranslatableExpression extends Error {}

export type ExpressionResult = { ok: true; sql: string } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------- tokenizer

type Token =
  | { t: 'ident'; v: string; quoted: boolean }
  | { t: 'string'; v: string }
  | { t: 'number'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

export interface LexOptions {
  /** `"x"` (PostgreSQL) or `` `x` `` (MySQL) quoted identifiers. */
  identifierQuote: '"' | '`';
  /** MySQL (without NO_BACKSLASH_ESCAPES) reads `\'` and `\\` inside strings. */
  backslashEscapes: boolean;
  /** Normalizes a function name of this dialect to the neutral one, or null when it has no neutral meaning. */
  functionName: (name: string) => FunctionName | null;
  /** Neutral cast type of a type name of this dialect (`character varying`, `numeric`, `shop.mood`). */
  castType: (name: string) => CastType;
}

const OPERATORS = ['::', '<=>', '<>', '!=', '<=', '>=', '!~~', '~~', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '[', ']', '.'];

function tokenize(sql: string, opts: LexOptions): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ((ch === 'E' || ch === 'e') && sql[i + 1] === "'") || (ch === '_' && /^_[a-z0-9]+'/i.test(sql.slice(i, i + 16)))) {
      // `_utf8mb4'x'` charset introducers (MySQL) and `E'x'` escape strings (PostgreSQL) keep their value.
      const escaped = opts.backslashEscapes || ch === 'E' || ch === 'e';
      while (sql[i] !== "'") i++;
      i++;
      let v = '';
      for (;;) {
        if (i >= sql.length) throw new UntranslatableExpression('unterminated string literal');
        const c = sql[i]!;
        if (c === "'" && sql[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else if (c === '\\' && escaped) {
          const n = sql[i + 1] ?? '';
          v += ({ n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a' } as Record<string, string>)[n] ?? n;
          i += 2;
        } else {
          v += c;
          i++;
        }
      }
      out.push({ t: 'string', v });
      continue;
    }
    if (ch === opts.identifierQuote) {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new UntranslatableExpression('unterminated quoted identifier');
        if (sql[i] === ch && sql[i + 1] === ch) {
          v += ch;
          i += 2;
        } else if (sql[i] === ch) {
          i++;
          break;
        } else v += sql[i++];
      }
      out.push({ t: 'ident', v, quoted: true });
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i));
    if (num) {
      out.push({ t: 'number', v: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i));
    if (word) {
      out.push({ t: 'ident', v: word[0], quoted: false });
      i += word[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (!op) throw new UntranslatableExpression(`unsupported syntax at '${sql.slice(i, i + 12)}'`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'end' });
  return out;
}

// ------------------------------------------------------------------------------------------------- parser

const TYPE_WORDS = new Set(['varying', 'precision', 'with', 'without', 'time', 'zone']);

const COMPARE: Record<string, CompareOp> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly opts: LexOptions) {}

  parse(): Expr {
    const e = this.or();
    if (this.peek().t !== 'end') throw new UntranslatableExpression(`unexpected '${this.describe(this.peek())}'`);
    return e;
  }

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private nextOp(): string {
    const t = this.next();
    return t.t === 'op' ? t.v : '';
  }
  private describe(t: Token): string {
    return t.t === 'end' ? 'end of expression' : t.v;
  }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.t === 'ident' && !t.quoted && t.v.toUpperCase() === word;
  }
  private isOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t.t === 'op' && t.v === op;
  }
  private expectOp(op: string): void {
    if (!this.isOp(op)) throw new UntranslatableExpression(`expected '${op}' but found '${this.describe(this.peek())}'`);
    this.pos++;
  }
  private expectKw(word: string): void {
    if (!this.isKw(word)) throw new UntranslatableExpression(`expected ${word} but found '${this.describe(this.peek())}'`);
    this.pos++;
  }

  private or(): Expr {
    const operands = [this.and()];
    while (this.isKw('OR')) {
      this.pos++;
      operands.push(this.and());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'logical', op: 'OR', operands };
  }

  private and(): Expr {
    const operands = [this.not()];
    while (this.isKw('AND')) {
      this.pos++;
      operands.push(this.not());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'logical', op: 'AND', operands };
  }

  private not(): Expr {
    if (this.isKw('NOT')) {
      this.pos++;
      return { kind: 'not', operand: this.not() };
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.t === 'op' && COMPARE[t.v]) {
      this.pos++;
      const op = COMPARE[t.v]!;
      if (this.isKw('ANY') || this.isKw('SOME') || this.isKw('ALL')) return this.quantified(left, op);
      return { kind: 'compare', op, left, right: this.additive() };
    }
    if (t.t === 'op' && t.v === '<=>') {
      this.pos++;
      return { kind: 'distinct', left, right: this.additive(), negated: true };
    }
    if (t.t === 'op' && (t.v === '~~' || t.v === '!~~')) {
      this.pos++;
      return { kind: 'like', operand: left, pattern: this.additive(), negated: t.v === '!~~' };
    }
    if (this.isKw('IS')) {
      this.pos++;
      const negated = this.isKw('NOT');
      if (negated) this.pos++;
      if (this.isKw('NULL')) {
        this.pos++;
        return { kind: 'is-null', operand: left, negated };
      }
      if (this.isKw('TRUE') || this.isKw('FALSE')) {
        const value = this.isKw('TRUE');
        this.pos++;
        return { kind: 'is-bool', operand: left, value, negated };
      }
      if (this.isKw('DISTINCT')) {
        this.pos++;
        this.expectKw('FROM');
        return { kind: 'distinct', left, right: this.additive(), negated };
      }
      throw new UntranslatableExpression(`IS ${negated ? 'NOT ' : ''}${this.describe(this.peek())} is not supported`);
    }
    const negated = this.isKw('NOT') && (this.isKw('IN', 1) || this.isKw('BETWEEN', 1) || this.isKw('LIKE', 1));
    if (negated) this.pos++;
    if (this.isKw('IN')) {
      this.pos++;
      this.expectOp('(');
      const list = this.list(')');
      return { kind: 'in', operand: left, list, negated };
    }
    if (this.isKw('BETWEEN')) {
      this.pos++;
      const low = this.additive();
      this.expectKw('AND');
      return { kind: 'between', operand: left, low, high: this.additive(), negated };
    }
    if (this.isKw('LIKE')) {
      this.pos++;
      const pattern = this.additive();
      if (this.isKw('ESCAPE')) throw new UntranslatableExpression('LIKE … ESCAPE is not supported');
      return { kind: 'like', operand: left, pattern, negated };
    }
    return left;
  }

  /** `x = ANY (ARRAY[…])` → IN, `x <> ALL (ARRAY[…])` → NOT IN (how PostgreSQL stores an IN list). */
  private quantified(left: Expr, op: CompareOp): Expr {
    const all = this.isKw('ALL');
    this.pos++;
    this.expectOp('(');
    let array = this.additive();
    this.expectOp(')');
    while (array.kind === 'cast' && array.type === 'array') array = array.operand;
    if (array.kind !== 'array') throw new UntranslatableExpression('ANY/ALL over something other than an ARRAY[…] literal');
    const list = array.items;
    if (!all && op === '=') return { kind: 'in', operand: left, list, negated: false };
    if (all && op === '<>') return { kind: 'in', operand: left, list, negated: true };
    throw new UntranslatableExpression(`${op} ${all ? 'ALL' : 'ANY'} (ARRAY[…]) is not supported`);
  }

  private list(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.isOp(close)) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.or());
      if (this.isOp(',')) {
        this.pos++;
        continue;
      }
      this.expectOp(close);
      return items;
    }
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.nextOp() as ArithOp;
      left = { kind: 'arith', op, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
        const op = this.nextOp() as ArithOp;
        left = { kind: 'arith', op, left, right: this.unary() };
      } else if (this.isKw('DIV') || this.isKw('MOD')) {
        if (this.isKw('DIV')) throw new UntranslatableExpression('integer DIV is not supported');
        this.pos++;
        left = { kind: 'arith', op: '%', left, right: this.unary() };
      } else return left;
    }
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      const operand = this.unary();
      if (operand.kind === 'number') return { kind: 'number', value: operand.value.startsWith('-') ? operand.value.slice(1) : `-${operand.value}` };
      return { kind: 'negate', operand };
    }
    if (this.isOp('+')) {
      this.pos++;
      return this.unary();
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isOp('::')) {
      this.pos++;
      const name = this.typeName();
      e = { kind: 'cast', operand: e, type: this.opts.castType(name), typeName: name };
    }
    return e;
  }

  /** A type name as PostgreSQL prints it: words, optional schema, `(p,s)` and `[]` suffixes. */
  private typeName(): string {
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      // After the first word only the words of multi-word type names follow (`double precision`,
      // `timestamp with time zone`); anything else (`IS`, `AND`) belongs to the expression.
      const continues = words.length === 0 || words[words.length - 1] === '.' || (t.t === 'ident' && !t.quoted && TYPE_WORDS.has(t.v.toLowerCase()));
      if (t.t === 'ident' && continues) {
        words.push(t.quoted ? t.v : t.v.toLowerCase());
        this.pos++;
        if (this.isOp('.')) {
          this.pos++;
          words.push('.');
        }
        continue;
      }
      if (t.t === 'op' && t.v === '(' && words.length > 0) {
        this.pos++;
        const args: string[] = [];
        while (!this.isOp(')')) {
          const a = this.next();
          if (a.t === 'end') throw new UntranslatableExpression('unterminated type modifier');
          if (a.t !== 'op') args.push(a.v);
        }
        this.pos++;
        words.push(`(${args.join(',')})`);
        continue;
      }
      if (t.t === 'op' && t.v === '[' && this.isOp(']', 1)) {
        this.pos += 2;
        words.push('[]');
        continue;
      }
      break;
    }
    if (words.length === 0) throw new UntranslatableExpression('missing type name after ::');
    return words.join(' ').replace(/ \. /g, '.').replace(/ \(/g, '(').replace(/ \[\]/g, '[]');
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'string':
        return { kind: 'string', value: t.v };
      case 'number':
        return { kind: 'number', value: t.v };
      case 'op':
        if (t.v === '(') {
          const e = this.or();
          this.expectOp(')');
          return e;
        }
        throw new UntranslatableExpression(`unexpected '${t.v}'`);
      case 'end':
        throw new UntranslatableExpression('unexpected end of expression');
      case 'ident':
        break;
    }
    if (!t.quoted) {
      const upper = t.v.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
      if (upper === 'NULL') return { kind: 'null' };
      if (upper === 'ARRAY' && this.isOp('[')) {
        this.pos++;
        return { kind: 'array', items: this.list(']') };
      }
      if ((upper === 'DATE' || upper === 'TIMESTAMP') && this.peek().t === 'string') {
        const v = (this.next() as { v: string }).v;
        return { kind: 'cast', operand: { kind: 'string', value: v }, type: upper === 'DATE' ? 'date' : 'timestamp', typeName: upper.toLowerCase() };
      }
      if (upper === 'CAST' && this.isOp('(')) {
        this.pos++;
        const operand = this.or();
        this.expectKw('AS');
        const name = this.typeName();
        this.expectOp(')');
        return { kind: 'cast', operand, type: this.opts.castType(name), typeName: name };
      }
      if (this.isOp('(')) {
        this.pos++;
        const fn = this.opts.functionName(t.v.toLowerCase());
        if (fn === null) throw new UntranslatableExpression(`function ${t.v}() has no translation`);
        return { kind: 'call', fn, args: this.list(')') };
      }
    }
    if (this.isOp('.')) throw new UntranslatableExpression(`qualified name ${t.v}.… is not supported`);
    return { kind: 'column', name: t.v };
  }
}

/** Parses a CHECK expression with a dialect's lexical rules. Throws UntranslatableExpression. */
export function parseExpression(sql: string, opts: LexOptions): Expr {
  const e = new Parser(tokenize(sql, opts), opts).parse();
  assertNeutral(e);
  return e;
}

/** ARRAY literals only make sense inside ANY/ALL, which the parser already turned into IN lists. */
function assertNeutral(e: Expr): void {
  if (e.kind === 'array') throw new UntranslatableExpression('array values are not supported');
  for (const child of children(e)) assertNeutral(child);
}

export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column':
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return [];
    case 'cast':
    case 'not':
    case 'negate':
      return [e.operand];
    case 'logical':
      return e.operands;
    case 'compare':
    case 'arith':
      return [e.left, e.right];
    case 'in':
      return [e.operand, ...e.list];
    case 'between':
      return [e.operand, e.low, e.high];
    case 'is-null':
    case 'is-bool':
      return [e.operand];
    case 'distinct':
      return [e.left, e.right];
    case 'like':
      return [e.operand, e.pattern];
    case 'call':
      return e.args;
    case 'array':
      return e.items;
  }
}

/** Column names an expression mentions. */
export function referencedColumns(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr) => {
    if (x.kind === 'column') out.add(x.name);
    children(x).forEach(walk);
  };
  walk(e);
  return [...out];
}

/** What a dialect renderer needs to know about the checked table. */
export interface RenderContext {
  /** Neutral type of a column of the checked table; undefined for a column the table does not have. */
  typeOf: (column: string) => NeutralType | undefined;
}
