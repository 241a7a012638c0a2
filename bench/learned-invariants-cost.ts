/**
 * CPU of the order invariants' rebuild on lineitem-like batches, offline: the saved models' lineitem invariants
 * (ship, commit and receipt dates anchored on the order's date, receipt on ship), rank-matched as for the learned
 * model, on rows whose dates are drawn near their order's date and whose order dates come in runs of siblings.
 * Prints µs a row and a checksum of the rebuilt rows (to compare trees: same seed, same rows).
 * Usage: tsx bench/learned-invariants-cost.ts MODELS.json [--rows 600000]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatEpoch } from '../src/generation/conform.js';
import { createEnforcer, type OrderInvariant } from '../src/generation/order-invariants.js';
import { createRng } from '../src/generation/rng.js';
import type { Column, Table } from '../src/schema/model.js';
import type { Row, Value } from '../src/schema/values.js';

const args = process.argv.slice(2);
const rowsTotal = Number(args.includes('--rows') ? args[args.indexOf('--rows') + 1] : 600_000);
const art = JSON.parse(readFileSync(args[0]!, 'utf8')) as { rules: { invariants: OrderInvariant[] } };
const invariants = art.rules.invariants.filter((i) => i.table.name === 'lineitem');
const names = ['l_orderkey', 'l_shipdate', 'l_commitdate', 'l_receiptdate'];
const col = (name: string): Column => ({ name, type: name === 'l_orderkey' ? { kind: 'integer', bytes: 4, unsigned: false } : { kind: 'date' }, nativeType: '', nullable: false, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null }) as Column;
const table = { schema: 'public', name: 'lineitem', columns: names.map(col), primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0 } as Table;
const DAY = 86_400_000;
const base = Date.UTC(1992, 0, 1);
// The order's date per line: runs of 1–7 siblings.
const rng = createRng(7, 'bench');
const orderDates: Value[] = [];
while (orderDates.length < rowsTotal) {
  const d = formatEpoch(base + rng.int(2400) * DAY, 'date');
  for (let k = 1 + rng.int(7); k > 0 && orderDates.length < rowsTotal; k--) orderDates.push(d);
}
const enforcer = createEnforcer(table, names, invariants, () => (i) => orderDates[i] ?? null, true)!;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const batch = 10_000;
let spent = 0;
const hash = createHash('sha256');
for (let start = 0, b = 0; start < rowsTotal; start += batch, b++) {
  const n = Math.min(batch, rowsTotal - start);
  const rows: Row[] = new Array(n);
  for (let r = 0; r < n; r++) {
    // The model draws dates near the order's (a few may fall before it).
    const day = Date.parse(`${orderDates[start + r] as string}T00:00:00Z`) + (rng.int(140) - 10) * DAY;
    rows[r] = [start + r, formatEpoch(day, 'date'), formatEpoch(day + rng.int(60) * DAY, 'date'), formatEpoch(day + rng.int(30) * DAY, 'date')];
  }
  const c0 = cpu();
  enforcer.apply(rows, start, createRng(1, `invariants:${b}`));
  spent += cpu() - c0;
  for (const row of rows) hash.update(`${row.join(',')}\n`);
}
process.stdout.write(`${rowsTotal} rows: ${((spent / rowsTotal) * 1e6).toFixed(3)} µs a row, sha256 ${hash.digest('hex').slice(0, 16)}\n`);
