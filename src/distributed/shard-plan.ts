/**
 * Splits a run's generation + load into units: each table's rows [0, n) cut into key ranges of at most
 * `shardRows` rows, grouped by plan level (a level's units may run at once; the next level waits for them).
 */
import type { HydrationPlan } from '../graph/plan.js';
import { tableKey } from '../schema/model.js';

export interface ShardUnit {
  /** Stable within a run: `<table key>#<shard>`. */
  id: string;
  table: string;
  shard: number;
  shards: number;
  /** Row indexes [start, end) of the table, so keys [key(start), key(end)). */
  start: number;
  end: number;
  level: number;
}

export function planShards(plan: HydrationPlan, rowCounts: Map<string, number>, shardRows: number): ShardUnit[][] {
  if (!Number.isInteger(shardRows) || shardRows < 1) throw new RangeError(`shardRows must be a whole number ≥ 1, got ${shardRows}`);
  const levels: ShardUnit[][] = [];
  for (const step of plan.steps) {
    const table = tableKey(step.table);
    const n = rowCounts.get(table) ?? 0;
    // An empty table still gets one (empty) unit, so every table of the plan is accounted for.
    const shards = Math.max(1, Math.ceil(n / shardRows));
    const units = (levels[step.level] ??= []);
    for (let shard = 0; shard < shards; shard++) {
      const start = shard * shardRows;
      units.push({ id: `${table}#${shard}`, table, shard, shards, start, end: Math.min(n, start + shardRows), level: step.level });
    }
  }
  return levels.filter((l) => l !== undefined);
}
