/** PostgreSQL catalog type → NeutralType. */
import type { NeutralType, StructuredType } from '../../schema/model.js';

export interface PgTypeFacts {
  /** pg_type.typname of the (domain-resolved) type. */
  typname: string;
  /** pg_type.typtype: b base, e enum, c composite, r range, m multirange, p pseudo. */
  typtype: string;
  typmod: number;
  /** Qualified enum name and values when typtype = 'e'. */
  enumName?: string;
  enumValues?: string[];
  /** Element facts when the type is an array. */
  element?: PgTypeFacts;
  dimensions?: number;
  /** Whether postgis is installed (geometry is only supported with it). */
  postgis?: boolean;
  formatted: string;
  /** Attributes of a composite type or the subtype of a range type, when typtype is c or r. */
  structured?: StructuredType;
}

export function neutralType(t: PgTypeFacts): NeutralType {
  if (t.element) {
    const element = neutralType(t.element);
    if (element.kind === 'unsupported') return { kind: 'unsupported', reason: `array of ${element.reason}` };
    if (element.kind === 'json' && element.structured) return { kind: 'unsupported', reason: `array of ${element.structured.form} type ${element.structured.name}` };
    return { kind: 'array', element, dimensions: Math.max(1, t.dimensions ?? 1) };
  }
  if (t.typtype === 'e') return { kind: 'enum', values: t.enumValues ?? [], name: t.enumName ?? null };
  if ((t.typtype === 'c' || t.typtype === 'r') && t.structured) {
    const parts = t.structured.form === 'composite' ? t.structured.attributes.map((a) => a.type) : [t.structured.subtype];
    const bad = parts.find((p) => p.kind === 'unsupported');
    if (bad?.kind === 'unsupported') return { kind: 'unsupported', reason: `${t.formatted} holds ${bad.reason}` };
    return { kind: 'json', binary: true, structured: t.structured };
  }
  if (t.typtype === 'c') return { kind: 'unsupported', reason: `composite type ${t.formatted}` };
  if (t.typtype === 'r' || t.typtype === 'm') return { kind: 'unsupported', reason: `range type ${t.formatted}` };
  const mod = t.typmod;
  switch (t.typname) {
    case 'int2':
      return { kind: 'integer', bytes: 2, unsigned: false };
    case 'int4':
      return { kind: 'integer', bytes: 4, unsigned: false };
    case 'int8':
      return { kind: 'integer', bytes: 8, unsigned: false };
    case 'numeric':
      if (mod < 4) return { kind: 'decimal', precision: null, scale: null };
      return { kind: 'decimal', precision: ((mod - 4) >> 16) & 0xffff, scale: signed11((mod - 4) & 0x7ff) };
    case 'float4':
      return { kind: 'float', bytes: 4 };
    case 'float8':
      return { kind: 'float', bytes: 8 };
    case 'bool':
      return { kind: 'boolean' };
    case 'text':
    case 'citext':
      return { kind: 'text', maxLength: null, fixedLength: false };
    case 'varchar':
      return { kind: 'text', maxLength: mod >= 4 ? mod - 4 : null, fixedLength: false };
    case 'bpchar':
      return { kind: 'text', maxLength: mod >= 4 ? mod - 4 : 1, fixedLength: true };
    case 'char':
      return { kind: 'text', maxLength: 1, fixedLength: true };
    case 'name':
      return { kind: 'text', maxLength: 63, fixedLength: false };
    case 'bytea':
      return { kind: 'binary', maxLength: null };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time', withTimeZone: false };
    case 'timetz':
      return { kind: 'time', withTimeZone: true };
    case 'timestamp':
      return { kind: 'timestamp', withTimeZone: false };
    case 'timestamptz':
      return { kind: 'timestamp', withTimeZone: true };
    case 'interval':
      return { kind: 'interval' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'json':
      return { kind: 'json', binary: false };
    case 'jsonb':
      return { kind: 'json', binary: true };
    case 'bit':
      return { kind: 'bit', length: mod >= 0 ? mod : 1, varying: false };
    case 'varbit':
      return { kind: 'bit', length: mod >= 0 ? mod : null, varying: true };
    case 'inet':
      return { kind: 'network', family: 'inet' };
    case 'cidr':
      return { kind: 'network', family: 'cidr' };
    case 'macaddr':
      return { kind: 'network', family: 'macaddr' };
    case 'tsvector':
      return { kind: 'tsvector' };
    case 'money':
      return { kind: 'money' };
    case 'xml':
      return { kind: 'xml' };
    case 'geometry':
      if (!t.postgis) return { kind: 'unsupported', reason: 'geometry without postgis' };
      return { kind: 'geometry', subtype: /^geometry\(([A-Za-z]+)/.exec(t.formatted)?.[1]?.toUpperCase() ?? null };
    default:
      return { kind: 'unsupported', reason: `type ${t.formatted}` };
  }
}

function signed11(v: number): number {
  // PG 15 stores numeric scale as an 11-bit signed field (negative scales are allowed).
  return v > 1023 ? v - 2048 : v;
}
