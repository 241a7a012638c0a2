/**
 * Quality under DP with and without MST (`privacy.mst: 'auto'`), PostgreSQL → PostgreSQL, baseline model: Overall
 * and its four properties at each ε and without DP, mean of the repeats with min–max.
 *   npm run bench -- dp
 *   SYNTH_DP_SOURCES=shop,chinook SYNTH_DP_EPSILONS=off,3 SYNTH_DP_REPEATS=1 npm run bench -- dp
 * Sources: chinook, northwind, world (../shared/datasets; skipped when absent), shop (bench/dp-entity.ts's fixture,
 * 3 000 customers) and shop-10k (the same with SYNTH_DP_BIG customers, default 10 000 root entities).
 * SYNTH_DP_UNIT=entity runs the shops under the entity unit (customer, 16 rows per owned table, 48 order lines), where
 * MST children take their customer's coded columns as context.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { fixture } from './dp-entity.js';
import { datasetsMissing, freshDatabase, loadDataset } from './sample-datasets.js';

const DATASETS = new Set(['chinook', 'northwind', 'world']);

async function sourceUrl(name: string): Promise<string | null> {
  if (DATASETS.has(name)) return datasetsMissing() ? null : loadDataset(name, 'pg', `synth_dpm_${name}_src`);
  const customers = name === 'shop' ? 3000 : Number(process.env.SYNTH_DP_BIG ?? 10_000);
  const url = await freshDatabase('pg', `synth_dpm_${name.replace('-', '_')}_src`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(fixture(customers));
  await c.end();
  return url;
}

function summary(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.length > 1 ? `${mean.toFixed(3)} [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]` : mean.toFixed(3);
}

export async function benchDp(): Promise<Record<string, number | string>> {
  const sources = (process.env.SYNTH_DP_SOURCES ?? 'chinook,northwind,world,shop,shop-10k').split(',');
  const epsilons = (process.env.SYNTH_DP_EPSILONS ?? 'off,1,3,10').split(',');
  const repeats = Math.max(1, Number(process.env.SYNTH_DP_REPEATS ?? 3));
  const out: Record<string, number | string> = { model: 'baseline', repeats };
  process.env.SYNTH_PII_KEY ??= 'bench-pii-key';
  for (const name of sources) {
    const src = await sourceUrl(name);
    if (!src) {
      out[name] = 'skipped: no ../shared/datasets';
      continue;
    }
    const entity = process.env.SYNTH_DP_UNIT === 'entity' && !DATASETS.has(name);
    for (const e of epsilons) {
      for (const mst of e === 'off' ? (['-'] as const) : (['independent', 'mst'] as const)) {
        const scores = new Map<string, number[]>();
        let chosen = '';
        let seconds = 0;
        let violations = 0;
        for (let rep = 0; rep < repeats; rep++) {
          const dst = await freshDatabase('pg', `synth_dpm_${name.replace('-', '_')}_dst`);
          const config = parseConfig({
            source: { url: src },
            targets: { dev: { url: dst } },
            model: 'baseline',
            seed: 42 + rep,
            outDir: mkdtempSync(join(tmpdir(), 'synth-dp-bench-')),
            ...(entity ? { tables: { order_line: { maxRowsPerEntity: 48 } } } : {}),
            ...(e === 'off'
              ? {}
              : {
                  privacy: {
                    epsilon: Number(e),
                    delta: 1e-6,
                    mst: mst === 'mst' ? ('auto' as const) : false,
                    ...(entity ? { unit: 'entity' as const, entity: 'customer', maxRowsPerEntity: 16 } : {}),
                  },
                }),
          });
          const started = Date.now();
          const r = await hydrate({ config, target: 'dev' });
          seconds += (Date.now() - started) / 1000;
          violations += r.integrity.totalViolations;
          const q = r.quality;
          const all: Array<[string, number | null | undefined]> = [['Overall', q?.overall], ...(q?.properties ?? []).map((p) => [p.name, p.score] as [string, number | null])];
          for (const [k, v] of all) if (typeof v === 'number') scores.set(k, [...(scores.get(k) ?? []), v]);
          chosen = (r.privacy?.tables ?? []).filter((t) => t.model === 'mst').map((t) => t.table.split('.').pop()).join(' ');
        }
        const label = `${name} ${e === 'off' ? 'no DP' : `ε=${e}${entity ? ' entity' : ''} ${mst}`}`;
        out[label] =
          [...scores].map(([k, v]) => `${k} ${summary(v)}`).join(', ') +
          ` | violations ${violations} | ${(seconds / repeats).toFixed(0)} s/run${mst === 'mst' ? ` | MST: ${chosen || 'none'}` : ''}`;
        process.stderr.write(`${label}: ${out[label]}\n`);
      }
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDp();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
}
