/**
 * `npm run bench`: runs every benchmark (or those named: `npm run bench -- hydrate-pg`) and prints a table.
 * Figures depend on the machine; the issue notes record what was measured where.
 */
import { benchAppFaithful } from './app-faithful.js';
import { benchDatasets } from './datasets.js';
import { benchDp } from './dp.js';
import { benchDpEntity } from './dp-entity.js';
import { benchDpOverhead } from './dp-overhead.js';
import { benchFidelity } from './fidelity.js';
import { benchHydratePg } from './hydrate-pg.js';
import { benchLearned } from './learned.js';
import { benchLearnedSpeed } from './learned-speed.js';
import { benchMysqlLoad } from './mysql-load.js';
import { benchParity } from './parity.js';
import { benchScale } from './scale.js';
import { benchScaleMemory } from './scale-memory.js';
import { benchScaleOut } from './scale-out.js';
import { benchFilterCost } from './filter-cost.js';

const benches: Record<string, () => Promise<Record<string, number | string>>> = {
  'hydrate-pg': benchHydratePg,
  'mysql-load': benchMysqlLoad,
  learned: benchLearned,
  datasets: benchDatasets,
  'dp-overhead': () => benchDpOverhead(),
  'dp-entity': benchDpEntity,
  dp: benchDp,
  parity: benchParity,
  fidelity: benchFidelity,
  'learned-speed': () => benchLearnedSpeed(),
  scale: benchScale,
  'scale-memory': benchScaleMemory,
  'scale-out': benchScaleOut,
  'filter-cost': benchFilterCost,
  'app-faithful': benchAppFaithful,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n== ${name}\n`);
  try {
    const result = await run();
    for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
  } catch (e) {
    process.stdout.write(`failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
