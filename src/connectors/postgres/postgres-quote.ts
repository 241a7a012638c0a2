/** Identifier and literal quoting. Every identifier synth writes is quoted, so hostile names survive. */
import { createHash } from 'node:crypto';

export function qi(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qn(schema: string, name: string): string {
  return `${qi(schema)}.${qi(name)}`;
}

export function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** How PostgreSQL's quote_ident would print a name (minus the keyword check, which callers cover by also trying `qi`). */
export function pgIdentSpelling(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : qi(name);
}

/**
 * Rewrites `live.` schema qualifiers in server-printed SQL (pg_get_viewdef and friends print names the way
 * quote_ident does) to another schema. Only prefixes followed by a dot and not preceded by an identifier
 * character are touched, so `xpublic.` is left alone. A string literal is data, not a name (`current_setting('app.lang')`
 * in a view of schema `app` must keep reading the setting), except where it is cast to an object reference
 * (`'app.item_id_seq'::regclass` in a default): those are rewritten like the code around them.
 */
export function rewriteSchemaRefs(sql: string, map: Map<string, string>, keep?: ReadonlySet<string>): string {
  let out = '';
  for (const part of literalParts(sql)) out += part.data ? part.text : rewriteCode(part.text, map, keep);
  return out;
}

/** Object-identifier casts: a literal before one of these names an object. */
const REFERENCE_CAST = /^\s*::\s*(?:pg_catalog\.)?reg(?:class|type|proc|procedure|oper|operator|namespace|config|dictionary|role|collation)\b/i;

/**
 * Splits SQL into code and single-quoted literals ('…' with '' inside; E'…' also with backslash escapes). Quoted
 * identifiers and dollar-quoted bodies stay code, literals inside a body included: a function body is rewritten as
 * it always was.
 */
function literalParts(sql: string): Array<{ text: string; data: boolean }> {
  const parts: Array<{ text: string; data: boolean }> = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '"') {
      // A quoted identifier may hold a quote character; it is code.
      const close = sql.indexOf('"', i + 1);
      i = close < 0 ? sql.length : close + 1;
      while (sql[i] === '"') i = (sql.indexOf('"', i + 1) + 1) || sql.length;
      continue;
    }
    if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      // A dollar-quoted body is code as before (its names follow the schema); its own literals too.
      const tag = /^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/.exec(sql.slice(i, i + 80))?.[0];
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
        continue;
      }
    }
    if (c !== "'") {
      i++;
      continue;
    }
    const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !/[\w$]/.test(sql[i - 2] ?? '');
    let j = i + 1;
    for (; j < sql.length; j++) {
      if (escapes && sql[j] === '\\') j++;
      else if (sql[j] === "'") {
        if (sql[j + 1] === "'") j++;
        else break;
      }
    }
    const end = Math.min(j + 1, sql.length);
    if (!REFERENCE_CAST.test(sql.slice(end, end + 40))) {
      if (i > start) parts.push({ text: sql.slice(start, i), data: false });
      parts.push({ text: sql.slice(i, end), data: true });
      start = end;
    }
    i = end;
  }
  if (start < sql.length) parts.push({ text: sql.slice(start), data: false });
  return parts;
}

function rewriteCode(sql: string, map: Map<string, string>, keep?: ReadonlySet<string>): string {
  let out = sql;
  for (const [from, to] of map) {
    const spellings = new Set([qi(from), pgIdentSpelling(from)]);
    for (const s of spellings) {
      // The name after the dot (identifier or operator) decides whether it stays: `keep` holds `schema.name` of
      // objects an extension owns, which live on in the original schema while the shadow is built.
      const re = new RegExp(`(?<![\\w$"])${escapeRegExp(s)}\\.("(?:[^"]|"")*"|[A-Za-z_\\u0080-\\uffff][\\w$\\u0080-\\uffff]*|[-+*/<>=~!@#%^&|\`?]+)?`, 'g');
      out = out.replace(re, (whole, name: string | undefined) => {
        if (name !== undefined && keep?.has(`${from}.${name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name}`)) return whole;
        return `${qi(to)}.${name ?? ''}`;
      });
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** PostgreSQL truncates identifiers at 63 bytes; long derived names get a short hash instead of colliding. */
export function fitIdentifier(name: string, max = 63): string {
  if (Buffer.byteLength(name, 'utf8') <= max) return name;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  let head = name;
  while (Buffer.byteLength(head, 'utf8') > max - 9) head = head.slice(0, -1);
  return `${head}_${hash}`;
}
