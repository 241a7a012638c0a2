/**
 * The learned model's speed on a table of 10 attribute columns (numerics, a date, a timestamp, categories that
 * depend on each other) at the default options: training seconds on `training.sampleRows` (20000) rows, and
 * generation rows per CPU-second of the network alone (tokens), with decoding, and of the whole composed model
 * (decoding and conforming included). Single process, so rows/s is per core (tfjs wasm runs one thread here).
 * Usage: tsx bench/learned-speed.ts [--rows 20000] [--generate 200000] [--hidden 256]  (default: the auto width)
 */
import { pathToFileURL } from 'node:url';
import type { Column, NeutralType, Table } from '../src/schema/model.js';
import type { ColumnMeta, Row } from '../src/generation/model.js';
import { computeBackendName, initCompute, learnedFactoryForFitModels, seededRng } from '../src/generation/learned/index.js';
import { MadeSampler } from '../src/generation/learned/made-sampler.js';

function col(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: false, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}

const text: NeutralType = { kind: 'text', maxLength: null, fixedLength: false };
const int4: NeutralType = { kind: 'integer', bytes: 4, unsigned: false };

/** The table the speed figures are measured on: 10 attribute columns plus the key. */
export const speedTable: Table = {
  schema: 'public',
  name: 'speed',
  columns: [
    col('id', int4),
    col('region', text),
    col('segment', text),
    col('channel', text),
    col('status', text),
    col('priority', int4),
    col('quantity', int4),
    col('price', { kind: 'decimal', precision: 10, scale: 2 }),
    col('discount', { kind: 'float', bytes: 8 }),
    col('ordered', { kind: 'date' }),
    col('shipped', { kind: 'timestamp', withTimeZone: false }),
  ],
  primaryKey: { name: 'speed_pkey', columns: ['id'] },
  uniques: [],
  foreignKeys: [],
  checks: [],
  indexes: [],
  partitioning: null,
  comment: null,
  estimatedRows: 0,
};

export const speedMeta: ColumnMeta[] = (
  [
    ['id', 'primary-key'],
    ['region', 'categorical'],
    ['segment', 'categorical'],
    ['channel', 'categorical'],
    ['status', 'categorical'],
    ['priority', 'categorical'],
    ['quantity', 'numerical'],
    ['price', 'numerical'],
    ['discount', 'numerical'],
    ['ordered', 'datetime'],
    ['shipped', 'datetime'],
  ] as const
).map(([column, role]) => ({ table: { schema: 'public', name: 'speed' }, column, role }));

const pad = (n: number): string => String(n).padStart(2, '0');

/** Rows with structure: segment ~ region, channel ~ segment, price ~ segment and quantity, shipped after ordered. */
export function speedRows(n: number, seed = 1): Row[] {
  const rng = seededRng(seed);
  const regions = ['north', 'south', 'east', 'west', 'central'];
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const region = regions[rng.int(regions.length)] as string;
    const segment = rng.next() < (region === 'north' ? 0.7 : 0.2) ? 'enterprise' : rng.next() < 0.5 ? 'smb' : 'consumer';
    const channel = segment === 'enterprise' ? (rng.next() < 0.8 ? 'sales' : 'web') : rng.next() < 0.7 ? 'web' : 'store';
    const status = ['open', 'shipped', 'returned', 'closed'][rng.int(4)] as string;
    const priority = 1 + rng.int(5);
    const quantity = 1 + Math.floor(-Math.log(1 - rng.next()) * (segment === 'enterprise' ? 40 : 4));
    const price = ((segment === 'enterprise' ? 900 : 90) * (0.5 + rng.next()) * Math.sqrt(quantity)).toFixed(2);
    const discount = Number((segment === 'enterprise' ? 0.1 + rng.next() * 0.2 : rng.next() * 0.1).toFixed(3));
    const day = 18000 + rng.int(1500);
    const d = new Date(day * 86_400_000);
    const s = new Date((day + 1 + rng.int(priority * 3)) * 86_400_000 + rng.int(86_400) * 1000);
    const ordered = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const shipped = `${s.getUTCFullYear()}-${pad(s.getUTCMonth() + 1)}-${pad(s.getUTCDate())} ${pad(s.getUTCHours())}:${pad(s.getUTCMinutes())}:${pad(s.getUTCSeconds())}`;
    rows.push([i + 1, region, segment, channel, status, priority, quantity, price, discount, ordered, shipped]);
  }
  return rows;
}

export async function benchLearnedSpeed(sampleRows = 20_000, generate = 200_000, options: { hiddenSize?: number } = {}): Promise<Record<string, number | string>> {
  await initCompute();
  const sample = { table: { schema: 'public', name: 'speed' }, totalRows: sampleRows, columns: speedTable.columns.map((c) => c.name), rows: speedRows(sampleRows) };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const model = await learnedFactoryForFitModels({ seed: 42, ...options })(speedTable, sample, speedMeta, null);
  const trainS = (performance.now() - t0) / 1000;
  const trainCpu = process.cpuUsage(cpu0);
  const rng = seededRng(7);
  const { layout, network } = model.learned;
  if (!network) throw new Error('the speed table trained no network');
  const sampler = new MadeSampler(network, layout.inputs, layout.outputs);
  const chunk = 4096;
  const tokens = new Int32Array(chunk * layout.width);
  const tokensOnly = (n: number): void => {
    for (let from = 0; from < n; from += chunk) {
      tokens.fill(-1);
      sampler.sample(tokens, layout.width, Math.min(chunk, n - from), layout.outputs.length, rng);
    }
  };
  // Warm-up: the sampler builds its weight blocks on the first call.
  tokensOnly(chunk);
  model.sample(chunk, null, rng);
  // Rows per second of this process's CPU time (per core): the best of five rounds, since other processes on a
  // shared machine slow some rounds down.
  const timed = (f: (n: number) => unknown): string => {
    const rounds = 5;
    const perRound = Math.max(10_000, Math.round(generate / rounds));
    let best = Infinity;
    let wall = Infinity;
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      for (let done = 0; done < perRound; done += 10_000) f(Math.min(10_000, perRound - done));
      const used = process.cpuUsage(cpu);
      best = Math.min(best, (used.user + used.system) / 1e6);
      wall = Math.min(wall, (performance.now() - start) / 1000);
    }
    return `${Math.round(perRound / best)} rows per CPU-second (${Math.round(perRound / wall)} rows/s wall), best of ${rounds} × ${perRound} rows`;
  };
  const networkRate = timed(tokensOnly);
  const decodedRate = timed((n) => model.learned.sample(n, null, rng));
  const composedRate = timed((n) => model.sample(n, null, rng));
  sampler.dispose();
  const t = model.learned.training;
  return {
    backend: computeBackendName(),
    'learned columns': `${model.learned.columns.length} of 10 (${model.learned.layout.outputs.length} tokens)`,
    train: `${trainS.toFixed(1)} s wall, ${((trainCpu.user + trainCpu.system) / 1e6).toFixed(1)} s CPU on ${sampleRows} rows (${t?.epochs ?? 0} epochs, ${t?.steps ?? 0} steps, hidden ${model.learned.hidden.join('x')})`,
    'generate (network, tokens)': networkRate,
    'generate (network+decode)': decodedRate,
    'generate (composed model)': composedRate,
  };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const hidden = arg('hidden', '');
  const table = await benchLearnedSpeed(Number(arg('rows', '20000')), Number(arg('generate', '200000')), hidden ? { hiddenSize: Number(hidden) } : {});
  for (const [k, v] of Object.entries(table)) console.log(`${k.padEnd(28)} ${v}`);
}
