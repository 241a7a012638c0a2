/**
 * The learned generation (conform included, no load) of two checkouts in one process, alternating: on a shared,
 * loaded machine the CPU-seconds of separate runs vary by ±15 %, more than a sampler change moves them, while
 * alternating rounds in one process see the same load. Each tree is a full checkout (e.g. `git archive REV | tar
 * -x -C DIR`, with node_modules linked); both read the same saved models (bench/learned-scale-gen.ts --models).
 * Usage: tsx bench/learned-gen-ab.ts SOURCE_URL MODELS.json OLD_ROOT NEW_ROOT [ROUNDS]
 */
import { readFileSync } from 'node:fs';

const [url, modelsFile, oldRoot, newRoot, roundsArg] = process.argv.slice(2) as [string, string, string, string, string?];
const trees = { base: oldRoot, new: newRoot };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const rounds = Number(roundsArg ?? 3);
const art: unknown = JSON.parse(readFileSync(modelsFile, 'utf8'));
interface Round {
  rows: number;
  cpu: number;
  /** The table with the most rows: its rows and CPU-seconds. */
  top: { key: string; rows: number; cpu: number };
}
const setups: Record<string, () => Promise<Round>> = {};
for (const [name, root] of Object.entries(trees)) {
  const { parseConfig } = await import(`${root}/src/config/load-config.ts`);
  const { openSource } = await import(`${root}/src/connectors/index.ts`);
  const { introspectAndPlan } = await import(`${root}/src/pipeline/introspect-plan.ts`);
  const { prepareGeneration } = await import(`${root}/src/pipeline/load.ts`);
  const { modelSetFromArtifact } = await import(`${root}/src/generation/index.ts`);
  const { CredentialScrubber } = await import(`${root}/src/generation/privacy/credential-fakes.ts`);
  const { initCompute, learnedFromArtifactForTable } = await import(`${root}/src/generation/learned/index.ts`);
  const { tableKey } = await import(`${root}/src/schema/model.ts`);
  const config = parseConfig({ source: { url }, targets: { t: { url } }, model: 'learned', outDir: '/tmp', filters: { enabled: false } });
  const source = await openSource(url);
  const { schema, plan } = await introspectAndPlan(source, config, () => {});
  await initCompute();
  setups[name] = async () => {
    const models = modelSetFromArtifact(art, schema, { learnedFromArtifact: learnedFromArtifactForTable });
    const { generation } = await prepareGeneration(source, schema, plan, models, config, CredentialScrubber.forConfig(config));
    const round: Round = { rows: 0, cpu: 0, top: { key: '', rows: -1, cpu: 0 } };
    for (const step of plan.steps) {
      const c0 = cpu();
      let n = 0;
      for await (const b of generation.conform(step.table, generation.rows(step.table))) n += (b as { rows: unknown[] }).rows.length;
      const s = cpu() - c0;
      round.rows += n;
      round.cpu += s;
      if (n > round.top.rows) round.top = { key: tableKey(step.table) as string, rows: n, cpu: s };
    }
    return round;
  };
}
const res: Record<string, Round[]> = { base: [], new: [] };
// Alternating which goes first, so neither always runs on the warmer (or colder) machine.
for (let r = 0; r < rounds; r++) for (const name of r % 2 ? ['new', 'base'] : ['base', 'new']) res[name]!.push(await setups[name]!());
for (const [name, xs] of Object.entries(res)) {
  const best = (f: (x: Round) => number) => Math.max(...xs.map(f));
  process.stdout.write(
    `${name}: all ${xs.map((x) => x.cpu.toFixed(2)).join(' ')} cpu-s, best ${Math.round(best((x) => x.rows / x.cpu))} rows/cpu-s | ` +
      `${xs[0]!.top.key} ${xs.map((x) => x.top.cpu.toFixed(2)).join(' ')} cpu-s, best ${Math.round(best((x) => x.top.rows / x.top.cpu))} rows/cpu-s\n`,
  );
}
process.exit(0);
