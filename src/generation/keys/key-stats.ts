/** Key statistics learned at fit time: how each PK/unique column's values are shaped, NULL shares, hierarchies. */
import type { Column, Table } from '../../schema/model.js';
import { findColumn } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { parseEpoch } from '../conform.js';
import { columnValues, partitionOnlyKeyColumn, sequenceIdentifierColumns } from '../metadata.js';
import type { TableSample } from '../model.js';
import { fitHierarchy, type HierarchyLevel } from './hierarchy.js';
import { fitVocabularies, type Vocabulary } from '../vocabulary.js';

export type KeyColumnStats =
  | { column: string; kind: 'integer'; start: string; step: number }
  | { column: string; kind: 'decimal'; start: number; step: number }
  | { column: string; kind: 'float'; start: number; step: number }
  | { column: string; kind: 'text-pattern'; prefix: string; suffix: string; width: number; offset: number }
  | { column: string; kind: 'text-alphabet'; classes: string; length: number }
  | { column: string; kind: 'uuid' }
  | { column: string; kind: 'date'; start: number }
  | { column: string; kind: 'timestamp'; start: number; span: number }
  | { column: string; kind: 'time' }
  | { column: string; kind: 'year'; start: number }
  | { column: string; kind: 'domain' }
  | { column: string; kind: 'binary'; length: number }
  | { column: string; kind: 'unsupported'; reason: string };

export interface TableKeyStats {
  columns: KeyColumnStats[];
  /** Column → NULL share in the sample, for nullable UNIQUE columns (NULLs never collide there). */
  nullRates?: Record<string, number>;
  /**
   * Self-referencing FK name → the source hierarchy level by level (level 0 = roots): how many rows sit at that
   * depth and how many of them have children. Lets the generator keep depth and fan-out instead of drawing a
   * random tree (which grows far deeper than a real org chart). Only learned from a complete sample.
   */
  hierarchies?: Record<string, HierarchyLevel[]>;
  /** Columns a sequence numbers, distinct in the sample though no UNIQUE says so (metadata.ts): generated as keys. */
  sequenced?: string[];
  /** Text columns keyed beside a FK whose values are a vocabulary its parents share (vocabulary.ts), by column. */
  vocabularies?: Record<string, Vocabulary>;
}

/** Columns that must hold distinct values on their own or as part of a PK/UNIQUE. */
export function ownKeyColumns(table: Table): string[] {
  const out = new Set<string>();
  for (const c of table.primaryKey?.columns ?? []) out.add(c);
  for (const u of table.uniques) for (const c of u.columns) out.add(c);
  for (const c of table.columns) if (c.autoIncrement !== null) out.add(c.name);
  // In a key only because PostgreSQL requires the partition key there: an attribute (see partitionOnlyKeyColumn).
  const partitionColumn = partitionOnlyKeyColumn(table);
  if (partitionColumn !== null) out.delete(partitionColumn);
  return [...out];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function fitColumnKey(column: Column, values: Value[]): KeyColumnStats {
  const nonNull = values.filter((v) => v !== null);
  const name = column.name;
  const t = column.type;
  switch (t.kind) {
    case 'integer': {
      const ints = nonNull.map((v) => BigInt(typeof v === 'number' ? Math.round(v) : String(v)));
      if (ints.length === 0) return { column: name, kind: 'integer', start: '1', step: 1 };
      const min = ints.reduce((a, b) => (b < a ? b : a));
      let g = 0n;
      for (const x of ints) g = gcd(g, x - min);
      // A step only when the sample clearly shows one (ids like 10, 20, 30); small samples mislead.
      const step = ints.length >= 5 && g > 1n && g <= 1000n ? Number(g) : 1;
      return { column: name, kind: 'integer', start: String(min), step };
    }
    case 'decimal':
    case 'money': {
      const nums = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'decimal', start: nums.length ? Math.min(...nums) : 1, step: 1 };
    }
    case 'float': {
      const nums = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'float', start: nums.length ? Math.min(...nums) : 1, step: 1 };
    }
    case 'text': {
      const strs = nonNull.map(String);
      const parts = strs.map((s) => /^(\D*?)(\d+)(\D*)$/.exec(s));
      const first = parts[0];
      if (first && parts.every((p) => p && p[1] === first[1] && p[3] === first[3])) {
        const digits = parts.map((p) => p![2]!);
        const widths = new Set(digits.map((d) => d.length));
        const padded = widths.size === 1 && digits.some((d) => d.startsWith('0'));
        const offset = Math.min(...digits.map(Number));
        return { column: name, kind: 'text-pattern', prefix: first[1]!, suffix: first[3]!, width: padded ? digits[0]!.length : 0, offset };
      }
      let classes = '';
      if (strs.some((s) => /[A-Z]/.test(s))) classes += 'U';
      if (strs.some((s) => /[a-z]/.test(s))) classes += 'L';
      if (strs.some((s) => /[0-9]/.test(s))) classes += 'D';
      const lengths = strs.map((s) => s.length).sort((a, b) => a - b);
      const length = t.fixedLength && t.maxLength ? t.maxLength : (lengths[Math.floor(lengths.length / 2)] ?? 8);
      return { column: name, kind: 'text-alphabet', classes: classes || 'LD', length: Math.max(1, length) };
    }
    case 'uuid':
      return { column: name, kind: 'uuid' };
    case 'date': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      return { column: name, kind: 'date', start: ms.length ? Math.min(...ms) : Date.UTC(2000, 0, 1) };
    }
    case 'timestamp': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      const min = ms.length ? Math.min(...ms) : Date.UTC(2000, 0, 1);
      const max = ms.length ? Math.max(...ms) : min;
      return { column: name, kind: 'timestamp', start: min, span: max - min };
    }
    case 'time':
      return { column: name, kind: 'time' };
    case 'year': {
      const ys = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'year', start: ys.length ? Math.min(...ys) : 1901 };
    }
    case 'boolean':
    case 'enum':
      return { column: name, kind: 'domain' };
    case 'binary':
      return { column: name, kind: 'binary', length: Math.max(4, ...nonNull.map((v) => (v instanceof Uint8Array ? v.length : 0))) };
    default:
      return { column: name, kind: 'unsupported', reason: `${column.nativeType} cannot be generated as a distinct key` };
  }
}

/** `sequenced`: the sequence columns generated as keys, decided from the sample unless given (from the schema, under DP). */
export function fitKeyStats(table: Table, sample: TableSample, sequenced: string[] = sequenceIdentifierColumns(table, sample)): TableKeyStats {
  const own = [...ownKeyColumns(table), ...sequenced];
  const nullRates: Record<string, number> = {};
  for (const c of own) {
    const values = columnValues(sample, c);
    if (!findColumn(table, c)!.nullable || values.length === 0) continue;
    const rate = values.filter((v) => v === null).length / values.length;
    if (rate > 0) nullRates[c] = rate;
  }
  const hierarchies: Record<string, HierarchyLevel[]> = {};
  for (const fk of table.foreignKeys) {
    if (fk.references.schema !== table.schema || fk.references.name !== table.name) continue;
    const levels = fitHierarchy(table, fk, sample);
    if (levels) hierarchies[fk.name] = levels;
  }
  const vocabularies = fitVocabularies(table, sample);
  return {
    columns: own.map((c) => fitColumnKey(findColumn(table, c)!, columnValues(sample, c))),
    nullRates,
    ...(sequenced.length > 0 ? { sequenced } : {}),
    ...(Object.keys(hierarchies).length > 0 ? { hierarchies } : {}),
    ...(Object.keys(vocabularies).length > 0 ? { vocabularies } : {}),
  };
}
