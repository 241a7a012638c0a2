/**
 * MST (McKenna, Miklau, Sheldon 2021, "Winning the NIST Contest"), for a table's categorical and binned columns:
 * every 1-way marginal measured with Gaussian noise, a maximum spanning tree over the column pairs picked privately
 * (exponential mechanism on how badly the independent estimate misses each pair's 2-way marginal), the tree's 2-way
 * marginals measured with Gaussian noise, then rows sampled along the tree (root from its marginal, each child
 * from its parent's conditional). The budget is ρ-zCDP, split in thirds as in the paper; every release is charged to
 * the same RDP ledger as the rest of the run (`mstCharges` lists them from the column count alone).
 *
 * Inputs are codes 0..size-1 per column (categories of a DP vocabulary, bins of DP quantiles: public or DP, so
 * the domain is free). One row adds one count to each marginal: L2 sensitivity 1 per marginal (m under a unit
 * of m rows). Estimation is simplified from Private-PGM's: the root's noisy marginal and, per edge, the child's
 * conditional read off the noisy 2-way table (negative cells cut, each parent value's row normalised; a row the
 * noise left empty falls back to the child's own marginal), so every sampled pair follows a measured table.
 */
import { contributionOf, type DpContext } from './mechanisms.js';
import type { LedgerCharge } from './rdp-accountant.js';

export interface MstColumn {
  name: string;
  /** Domain size; codes are 0..size-1. */
  size: number;
}

export interface MstModel {
  columns: MstColumn[];
  /** Sampling order: the root first, then each column after its parent. */
  order: number[];
  /** parent[i]: the column i is drawn conditioned on, or -1 for the root. */
  parent: number[];
  /** marginals[i]: probabilities of column i's codes. */
  marginals: number[][];
  /** conditionals[i][p]: probabilities of column i's codes given its parent's code p (empty for the root). */
  conditionals: number[][][];
}

/** The three noise scales and the selection ε for k columns under ρ (each third of ρ split evenly). */
export function mstScales(k: number, rho: number): { sigma1: number; sigma2: number; selectEpsilon: number } {
  const third = rho / 3;
  const edges = Math.max(1, k - 1);
  // Gaussian with L2 sensitivity 1 is (1/2σ²)-zCDP; the exponential mechanism at ε is ε²/8-zCDP (bounded range).
  return { sigma1: Math.sqrt(k / (2 * third)), sigma2: Math.sqrt(edges / (2 * third)), selectEpsilon: Math.sqrt((8 * third) / edges) };
}

/** Ledger charges of `fitMst` for k columns at ρ (noise multipliers are per unit of sensitivity). */
export function mstCharges(k: number, rho: number): LedgerCharge[] {
  if (k < 2) return k === 1 ? [{ mechanism: 'gaussian', noiseMultiplier: Math.sqrt(1 / (2 * rho)), count: 1 }] : [];
  const s = mstScales(k, rho);
  return [
    { mechanism: 'gaussian', noiseMultiplier: s.sigma1, count: k },
    { mechanism: 'exponential', epsilon: s.selectEpsilon, count: k - 1 },
    { mechanism: 'gaussian', noiseMultiplier: s.sigma2, count: k - 1 },
  ];
}

function normalize(xs: number[]): number[] {
  const clipped = xs.map((x) => Math.max(0, x));
  const total = clipped.reduce((a, b) => a + b, 0);
  return total > 0 ? clipped.map((x) => x / total) : xs.map(() => 1 / xs.length);
}

function counts1(rows: readonly (readonly number[])[], i: number, size: number): number[] {
  const out = new Array<number>(size).fill(0);
  for (const r of rows) out[r[i]!]!++;
  return out;
}

function counts2(rows: readonly (readonly number[])[], i: number, j: number, si: number, sj: number): number[] {
  const out = new Array<number>(si * sj).fill(0);
  for (const r of rows) out[r[i]! * sj + r[j]!]!++;
  return out;
}

/** Scales a non-negative table in place towards row sums ∝ `rows` and column sums ∝ `cols` (a few IPF rounds). */
function ipf(table: number[][], rows: readonly number[], cols: readonly number[]): void {
  const total = table.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0);
  if (!(total > 0)) return;
  for (let round = 0; round < 10; round++) {
    table.forEach((r, a) => {
      const s = r.reduce((x, y) => x + y, 0);
      if (s > 0) for (let b = 0; b < r.length; b++) r[b] = (r[b]! * rows[a]! * total) / s;
    });
    for (let b = 0; b < cols.length; b++) {
      const s = table.reduce((x, r) => x + r[b]!, 0);
      if (s > 0) for (const r of table) r[b] = (r[b]! * cols[b]! * total) / s;
    }
  }
}

/** Fits MST on coded rows (`rows[r][i]` in 0..columns[i].size-1) at ρ, charging every release to `ctx.ledger`. */
export function fitMst(rows: readonly (readonly number[])[], columns: MstColumn[], rho: number, ctx: DpContext): MstModel {
  const k = columns.length;
  const m = contributionOf(ctx);
  const gauss = (sigma: number) => sigma * m * ctx.rng.normal();
  if (k === 1) {
    const sigma = Math.sqrt(1 / (2 * rho));
    ctx.ledger.charge(`${ctx.label} MST 1-way`, { mechanism: 'gaussian', noiseMultiplier: sigma, count: 1 });
    return { columns, order: [0], parent: [-1], marginals: [normalize(counts1(rows, 0, columns[0]!.size).map((c) => c + gauss(sigma)))], conditionals: [[]] };
  }
  const { sigma1, sigma2, selectEpsilon } = mstScales(k, rho);
  ctx.ledger.charge(`${ctx.label} MST 1-way`, { mechanism: 'gaussian', noiseMultiplier: sigma1, count: k });
  const noisy1 = columns.map((c, i) => counts1(rows, i, c.size).map((x) => x + gauss(sigma1)));
  const marginals = noisy1.map(normalize);
  const n = Math.max(1, noisy1.reduce((a, xs) => a + xs.reduce((s, x) => s + x, 0), 0) / k);

  // Selection: Kruskal over the pairs joining two components, each edge by the exponential mechanism on the L1
  // distance between the pair's true 2-way counts and the product of the noisy 1-way marginals (sensitivity m).
  ctx.ledger.charge(`${ctx.label} MST selection`, { mechanism: 'exponential', epsilon: selectEpsilon, count: k - 1 });
  const score = new Map<string, number>();
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const t = counts2(rows, i, j, columns[i]!.size, columns[j]!.size);
      let l1 = 0;
      for (let a = 0; a < columns[i]!.size; a++) for (let b = 0; b < columns[j]!.size; b++) l1 += Math.abs(t[a * columns[j]!.size + b]! - n * marginals[i]![a]! * marginals[j]![b]!);
      score.set(`${i},${j}`, l1);
    }
  }
  const component = columns.map((_, i) => i);
  const find = (x: number): number => (component[x] === x ? x : (component[x] = find(component[x]!)));
  const edges: Array<[number, number]> = [];
  for (let e = 0; e < k - 1; e++) {
    let best = -Infinity;
    let pick: [number, number] = [0, 1];
    for (const [key, s] of score) {
      const [i, j] = key.split(',').map(Number) as [number, number];
      if (find(i) === find(j)) continue;
      // Gumbel-max: a draw from softmax(ε·score / 2Δ).
      const g = (selectEpsilon * s) / (2 * m) - Math.log(-Math.log(ctx.rng.nextOpen()));
      if (g > best) {
        best = g;
        pick = [i, j];
      }
    }
    edges.push(pick);
    component[find(pick[0])] = find(pick[1]);
  }

  ctx.ledger.charge(`${ctx.label} MST 2-way`, { mechanism: 'gaussian', noiseMultiplier: sigma2, count: k - 1 });
  const noisy2 = edges.map(([i, j]) => counts2(rows, i, j, columns[i]!.size, columns[j]!.size).map((x) => x + gauss(sigma2)));

  // Orient the tree from column 0 and build each child's conditional from its edge's table.
  const parent = columns.map(() => -1);
  const conditionals: number[][][] = columns.map(() => []);
  const order = [0];
  const seen = new Set([0]);
  for (let q = 0; q < order.length; q++) {
    const p = order[q]!;
    edges.forEach(([i, j], e) => {
      const child = i === p ? j : j === p ? i : -1;
      if (child < 0 || seen.has(child)) return;
      seen.add(child);
      order.push(child);
      parent[child] = p;
      const sp = columns[p]!.size;
      const sc = columns[child]!.size;
      const cell = (a: number, b: number) => (i === p ? noisy2[e]![a * sc + b]! : noisy2[e]![b * sp + a]!);
      // Cells under one noise σ are mostly noise on empty cells (clipping alone would spread about 0.4σ of
      // made-up rows over every empty cell); the rest is fitted to both noisy 1-way marginals (IPF), so drawing
      // along the tree reproduces each column's measured marginal.
      const floor = sigma2 * m;
      const table = Array.from({ length: sp }, (_, a) => Array.from({ length: sc }, (_, b) => (cell(a, b) > floor ? cell(a, b) : 0)));
      ipf(table, marginals[p]!, marginals[child]!);
      conditionals[child] = table.map((row) =>
        // A parent value the noisy table says nothing about falls back to the child's own marginal.
        row.some((x) => x > 0) ? normalize(row) : marginals[child]!,
      );
    });
  }
  return { columns, order, parent, marginals, conditionals };
}

/** Draws n coded rows along the tree. `next()` uniform in [0, 1). */
export function sampleMst(model: MstModel, n: number, rng: { next(): number }): number[][] {
  const draw = (p: readonly number[]): number => {
    let u = rng.next();
    for (let i = 0; i < p.length; i++) {
      u -= p[i]!;
      if (u < 0) return i;
    }
    return p.length - 1;
  };
  const out: number[][] = [];
  for (let r = 0; r < n; r++) {
    const row = new Array<number>(model.columns.length).fill(0);
    for (const i of model.order) {
      const p = model.parent[i]!;
      row[i] = p < 0 ? draw(model.marginals[i]!) : draw(model.conditionals[i]![row[p]!]!);
    }
    out.push(row);
  }
  return out;
}

/**
 * Draws one coded row per `given` row with the columns in `observed` fixed to its codes (-1: not known): upward
 * messages from the leaves carry the evidence to the root, then each column is drawn from its parent's
 * conditional times its subtree's message, so every drawn column follows the tree's joint given the evidence.
 * Messages depend only on the evidence, so rows sharing it share them. Evidence the model gives no mass
 * (a parent context the noise erased) is dropped for that column.
 */
export function sampleMstGiven(model: MstModel, observed: readonly number[], given: readonly (readonly number[])[], rng: { next(): number }): number[][] {
  const k = model.columns.length;
  const children = model.columns.map(() => [] as number[]);
  for (const i of model.order) if (model.parent[i]! >= 0) children[model.parent[i]!]!.push(i);
  const draw = (p: readonly number[]): number => {
    const total = p.reduce((a, b) => a + b, 0);
    let u = rng.next() * total;
    for (let i = 0; i < p.length; i++) {
      u -= p[i]!;
      if (u < 0) return i;
    }
    return p.length - 1;
  };
  const cache = new Map<string, number[][]>();
  const locals = (codes: readonly number[]): number[][] => {
    const key = codes.join(',');
    const hit = cache.get(key);
    if (hit) return hit;
    const ev = new Array<number>(k).fill(-1);
    observed.forEach((col, j) => (ev[col] = codes[j] ?? -1));
    const local: number[][] = new Array(k);
    const message: number[][] = new Array(k);
    for (let q = model.order.length - 1; q >= 0; q--) {
      const i = model.order[q]!;
      const size = model.columns[i]!.size;
      const l = Array.from({ length: size }, (_, x) => (ev[i]! < 0 || ev[i] === x ? 1 : 0));
      for (const c of children[i]!) for (let x = 0; x < size; x++) l[x]! *= message[c]![x]!;
      local[i] = l.some((x) => x > 0) ? l : new Array<number>(size).fill(1);
      const p = model.parent[i]!;
      if (p >= 0) message[i] = model.conditionals[i]!.map((row) => row.reduce((s, v, x) => s + v * local[i]![x]!, 0));
    }
    if (cache.size < 100_000) cache.set(key, local);
    return local;
  };
  return given.map((codes) => {
    const local = locals(codes);
    const row = new Array<number>(k).fill(0);
    for (const i of model.order) {
      const p = model.parent[i]!;
      const base = p < 0 ? model.marginals[i]! : model.conditionals[i]![row[p]!]!;
      const dist = base.map((v, x) => v * local[i]![x]!);
      row[i] = draw(dist.some((x) => x > 0) ? dist : base);
    }
    return row;
  });
}
