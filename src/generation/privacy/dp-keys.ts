/**
 * DP key statistics: the child-count histogram of a foreign key, released with Laplace noise. Adding or removing
 * one child row moves one parent between two bins, and one parent row changes one bin, so the L1 sensitivity is
 * 2 (3 for a self-reference, where the row is both; the caller passes it). Counts 0..16 keep their own bin;
 * larger counts share geometric bins, eight per power of two (decoded at the bin's geometric middle), so a huge family is never told
 * apart from a merely large one. Bins whose noisy count does not clear a small threshold are dropped
 * (post-processing) so noise alone does not invent giant families.
 */
import type { ChildCountHistogram } from '../model.js';
import type { DpContext } from './mechanisms.js';

const EXACT = 16;
const MAX_LOG = 24;
/**
 * Geometric bins per power of two above EXACT (each about 9 % wide): families of 500–560 children are told from
 * ones of 700, which a single power-of-two bin decoded at its middle was not (a product table's Cardinality).
 */
const PER_OCTAVE = 8;

function binOf(children: number): number {
  if (children <= EXACT) return children;
  const log = Math.min(MAX_LOG - 1e-9, Math.log2(children));
  return EXACT + 1 + Math.floor(PER_OCTAVE * (log - Math.log2(EXACT)));
}

/**
 * A large-family bin's parents spread over SPREAD points inside it (post-processing): one value for all of them
 * would make every such family the same size, which a Cardinality comparison of counts punishes.
 */
const SPREAD = 4;

function spread(bin: number, parents: number, maxChildren: number): ChildCountHistogram['counts'] {
  const lo = Math.log2(EXACT) + (bin - EXACT - 1) / PER_OCTAVE;
  const out = new Map<number, number>();
  for (let k = 0; k < SPREAD; k++) {
    const children = Math.min(maxChildren, Math.max(EXACT + 1, Math.round(2 ** (lo + (k + 0.5) / (SPREAD * PER_OCTAVE)))));
    const share = Math.round(((k + 1) * parents) / SPREAD) - Math.round((k * parents) / SPREAD);
    if (share > 0) out.set(children, (out.get(children) ?? 0) + share);
  }
  return [...out].map(([children, n]) => ({ children, parents: n }));
}


/**
 * `sensitivity` is the L1 change one privacy unit can make: 2 at row level; at entity level, an entity's m_c child
 * rows each move a parent between bins and its m_p parent rows each leave one, so 2·m_c + m_p.
 */
export function dpChildCountHistogram(
  h: ChildCountHistogram,
  epsilon: number,
  ctx: DpContext,
  sensitivity = 2,
  /**
   * A public bound on children per parent (entity unit, ownership FK: a parent's children all belong to its entity,
   * which keeps at most that many): bins above it are not released, so noise cannot invent impossible families.
   */
  maxChildren = 2 ** MAX_LOG,
): ChildCountHistogram {
  const bins = binOf(Math.min(2 ** MAX_LOG, Math.max(0, maxChildren))) + 1;
  const counts = new Array<number>(bins).fill(0);
  for (const e of h.counts) counts[Math.min(bins - 1, binOf(Math.max(0, e.children)))]! += e.parents;
  ctx.ledger.charge(`${ctx.label} child counts (${h.foreignKey})`, { mechanism: 'laplace', epsilon, count: 1 });
  const scale = sensitivity / epsilon;
  const noisy = counts.map((c) => c + ctx.rng.laplace(scale));
  const out: ChildCountHistogram['counts'] = [];
  // An empty small-family bin clears this with probability about 1%: a few spurious parents at most.
  for (let b = 0; b <= Math.min(EXACT, bins - 1); b++) if (noisy[b]! > scale * Math.log(50)) out.push({ children: Math.min(maxChildren, b), parents: Math.round(noisy[b]!) });
  // Large families are kept per power of two, on the sum of its sub-bins, with a union-bound threshold (all empty
  // octaves together pass with probability about 5 %; a normal approximation of the sum of PER_OCTAVE Laplace
  // draws), because one spurious parent there is a family of thousands.
  const octaves = Math.ceil((bins - (EXACT + 1)) / PER_OCTAVE);
  const threshold = scale * Math.sqrt(2 * PER_OCTAVE * 2 * Math.log(Math.max(1, octaves) / (2 * 0.05)));
  for (let o = 0; o < octaves; o++) {
    const first = EXACT + 1 + o * PER_OCTAVE;
    const subs = noisy.slice(first, Math.min(bins, first + PER_OCTAVE));
    if (subs.reduce((a, b) => a + b, 0) <= threshold) continue;
    // Families inside an octave are taken as one run of sub-bins: the fullest one and its neighbours above two noise
    // scales (an empty sub-bin far from the data passes that alone 7 % of the time; kept, it would be a family of
    // a size nobody has).
    const top = subs.indexOf(Math.max(...subs));
    let lo = top;
    let hi = top;
    while (lo > 0 && subs[lo - 1]! > 2 * scale) lo--;
    while (hi + 1 < subs.length && subs[hi + 1]! > 2 * scale) hi++;
    for (let i = lo; i <= hi; i++) if (subs[i]! > 0) out.push(...spread(first + i, Math.round(subs[i]!), maxChildren));
  }
  return { child: h.child, foreignKey: h.foreignKey, counts: out };
}
