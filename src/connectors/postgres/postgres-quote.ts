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
 * character are touched, so `xpublic.` or `"public"` in a string are left alone as far as text rules allow.
 */
export function rewriteSchemaRefs(sql: string, map: Map<string, string>, keep?: ReadonlySet<string>): string {
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
