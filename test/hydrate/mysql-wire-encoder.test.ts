/**
 * The MySQL LOAD DATA line encoder (wireRowEncoder, specialised per column) writes exactly what the field-by-field
 * path writes: toWireText, then LOAD DATA escaping, `\N` for NULL, tabs between fields.
 */
import { describe, expect, it } from 'vitest';
import type { WireForm } from '../../src/connectors/mysql/mysql-ddl.js';
import { toWireText, wireRowEncoder } from '../../src/connectors/mysql/mysql-write.js';
import type { Value } from '../../src/schema/values.js';

function reference(forms: WireForm[], row: Value[]): string {
  const esc = (s: string) => s.replace(/[\\\t\n\r\0]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\0'));
  return `${forms.map((f, i) => {
    const w = toWireText(f, row[i] ?? null);
    return w === null ? '\\N' : esc(w);
  }).join('\t')}\n`;
}

describe('wireRowEncoder', () => {
  it('matches the field-by-field encoding for every wire form and awkward values', () => {
    const values: Value[] = [null, '', 'plain', 'tab\there', 'line\nbreak\r\n', 'back\\slash', 'nul\0x', 0, -0, 1.5, -12, 1e21, 12345678901234567890n, true, false, new Uint8Array([0, 9, 92, 255]), { a: [1, 'x\ty'] }, [1, 2], '2024-01-02 03:04:05+00', '2024-01-02T03:04:05Z'];
    const forms: WireForm[] = ['text', 'hex', 'wkt', 'bits', 'json', 'boolean', 'set', 'timestamp'];
    for (const form of forms) {
      const encode = wireRowEncoder([form, 'text']);
      for (const v of values) {
        const row: Value[] = [v, v];
        expect(encode(row)).toBe(reference([form, 'text'], row));
      }
    }
    expect(wireRowEncoder([])([])).toBe('\n');
  });
});
