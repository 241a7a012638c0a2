/**
 * Which leftover shadows (from crashed or refused runs) may be dropped. Pure: the caller lists shadows through
 * the target connector, looks run statuses up in the state store, and says whether it holds the target lock.
 *
 * Holding the lock is what makes cleanup safe: no other run can be writing to this target, so any shadow not
 * belonging to the holder and created before the lock was taken is dead. Without the lock only shadows of runs
 * known to be over (and old enough not to be a clock-skewed race) are dropped.
 */
import type { RunStatus } from './state-store.js';

export interface ShadowInfo {
  runId: string;
  namespace: string;
  /** When the connector can tell (e.g. from a catalog or a name timestamp). */
  createdAt?: Date | null;
}

export interface CleanupContext {
  now: Date;
  /** Set when the caller holds the target lock: the run id it holds it for and since when. */
  lock?: { runId: string; acquiredAt: Date } | null;
  /** Run statuses from the state store; runs missing here are unknown (e.g. another state database). */
  runStatus: (runId: string) => RunStatus | undefined;
  /** Without the lock, shadows younger than this are kept. Default 24 h. */
  minAgeMs?: number;
}

export interface ShadowDecision extends ShadowInfo {
  stale: boolean;
  reason: string;
}

export const DEFAULT_MIN_SHADOW_AGE_MS = 24 * 60 * 60 * 1000;

export function decideStaleShadows(shadows: ShadowInfo[], ctx: CleanupContext): { stale: ShadowDecision[]; keep: ShadowDecision[] } {
  const stale: ShadowDecision[] = [];
  const keep: ShadowDecision[] = [];
  for (const shadow of shadows) {
    const d = decide(shadow, ctx);
    (d.stale ? stale : keep).push(d);
  }
  return { stale, keep };
}

function decide(shadow: ShadowInfo, ctx: CleanupContext): ShadowDecision {
  const created = shadow.createdAt ?? null;
  const status = ctx.runStatus(shadow.runId);
  const verdict = (isStale: boolean, reason: string): ShadowDecision => ({ ...shadow, stale: isStale, reason });

  if (ctx.lock != null) {
    if (shadow.runId === ctx.lock.runId) return verdict(false, 'belongs to the run holding the lock');
    if (created === null || created.getTime() < ctx.lock.acquiredAt.getTime()) {
      return verdict(true, `left by run ${shadow.runId} (${status ?? 'unknown'}) before the current lock was taken`);
    }
    // Someone wrote a shadow while we held the lock: a process that skipped locking. Not ours to judge.
    return verdict(false, 'created while the lock was held by another run; left alone');
  }

  if (status === 'running') return verdict(false, `run ${shadow.runId} is still running`);
  const minAge = ctx.minAgeMs ?? DEFAULT_MIN_SHADOW_AGE_MS;
  const age = created === null ? null : ctx.now.getTime() - created.getTime();
  if (status !== undefined) {
    if (age !== null && age < minAge) return verdict(false, `run ${shadow.runId} ended but the shadow is younger than the grace period`);
    return verdict(true, `run ${shadow.runId} ended (${status})`);
  }
  if (age !== null && age >= minAge) return verdict(true, `unknown run ${shadow.runId}, shadow older than the grace period`);
  return verdict(false, `unknown run ${shadow.runId}; take the target lock to clean it up`);
}
