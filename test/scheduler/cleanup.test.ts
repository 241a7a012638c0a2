import { describe, expect, it } from 'vitest';
import { decideStaleShadows, type ShadowInfo } from '../../src/scheduler/cleanup.js';
import type { RunStatus } from '../../src/scheduler/state-store.js';

const now = new Date('2026-11-23T12:00:00Z');
const ago = (h: number) => new Date(now.getTime() - h * 3_600_000);
const statuses: Record<string, RunStatus> = { cur: 'running', crashed: 'running', old: 'failed', fresh: 'succeeded' };
const runStatus = (id: string) => statuses[id];

const shadows: ShadowInfo[] = [
  { runId: 'cur', namespace: 'public__shadow_cur', createdAt: ago(0.1) },
  { runId: 'crashed', namespace: 'public__shadow_crashed', createdAt: ago(5) },
  { runId: 'old', namespace: 'public__shadow_old', createdAt: ago(48) },
  { runId: 'fresh', namespace: 'public__shadow_fresh', createdAt: ago(1) },
  { runId: 'ghost', namespace: 'public__shadow_ghost', createdAt: null },
  { runId: 'ghost2', namespace: 'public__shadow_ghost2', createdAt: ago(30) },
];

describe('decideStaleShadows', () => {
  it('with the lock held: everything created before the lock and not the holder is stale, even "running" crashed runs', () => {
    const { stale, keep } = decideStaleShadows(shadows, { now, runStatus, lock: { runId: 'cur', acquiredAt: ago(0.5) } });
    expect(keep.map((s) => s.runId)).toEqual(['cur']);
    expect(stale.map((s) => s.runId)).toEqual(['crashed', 'old', 'fresh', 'ghost', 'ghost2']);
  });

  it('with the lock held: a shadow created after the lock was taken by another run is left alone', () => {
    const { stale, keep } = decideStaleShadows([{ runId: 'rogue', namespace: 'x', createdAt: ago(0.1) }], {
      now,
      runStatus,
      lock: { runId: 'cur', acquiredAt: ago(0.5) },
    });
    expect(stale).toEqual([]);
    expect(keep[0]!.reason).toMatch(/left alone/);
  });

  it('without the lock: only ended runs past the grace period, and old unknown ones', () => {
    const { stale, keep } = decideStaleShadows(shadows, { now, runStatus, minAgeMs: 2 * 3_600_000 });
    expect(stale.map((s) => s.runId)).toEqual(['old', 'ghost2']);
    expect(keep.map((s) => s.runId)).toEqual(['cur', 'crashed', 'fresh', 'ghost']);
    expect(keep.find((s) => s.runId === 'crashed')!.reason).toMatch(/still running/);
  });

  it('without the lock, an ended run with no known creation time is stale', () => {
    const { stale } = decideStaleShadows([{ runId: 'old', namespace: 'x' }], { now, runStatus });
    expect(stale).toHaveLength(1);
  });
});
