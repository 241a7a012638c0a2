/**
 * DP key statistics: the child-count histogram of a foreign key, released with Laplace noise. Adding or removing
 * one child row moves one parent between two bins, and one parent row changes one bin, so the L1 sensitivity is
 * 2 (3 for a self-reference, where the row is both; the caller passes it). Counts 0..16 keep their own bin;
 * larger counts share power-of-two bins (decoded at the bin's geometric middle), so a huge family is never told
 * apart from a merely large one. Bins whose noisy count does not clear a small threshold are dropped
 * (post-processing) so noise alone does not invent giant families.
 */
import type { ChildCountHistogram } from '../model.js';
import type { DpContext } from './mechanisms.js';

const EXACT = 16;
const MAX_LOG = 24;

function binOf(children: number): number {
  if (children <= EXACT) return children;
  return EXACT + Math.min(MAX_LOG, Math.floor(Math.log2(children))) - 3;
}

function representative(bin: number): number {
  if (bin <= EXACT) return bin;
  const k = bin - EXACT + 3;
  return Math.round(2 ** (k + 0.5));
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
  // An empty small-family bin clears this with probability about 1%: a few spurious parents at most. The
  // power-of-two bins of large families get a union-bound threshold (all of them together pass with probability
  // ≤ 5 %), because one spurious parent there is a family of thousands.
  const large = Math.max(1, bins - (EXACT + 1));
  const thresholdOf = (b: number) => (b <= EXACT ? scale * Math.log(50) : scale * Math.log(large / (2 * 0.05)));
  const out: ChildCountHistogram['counts'] = [];
  counts.forEach((c, b) => {
    const noisy = c + ctx.rng.laplace(scale);
    if (noisy > thresholdOf(b)) out.push({ children: Math.min(maxChildren, representative(b)), parents: Math.round(noisy) });
  });
  return { child: h.child, foreignKey: h.foreignKey, counts: out };
}
