/** Session settings for finalize's index builds and constraint checks on freshly loaded shadow tables. */
import type { PgSession } from './postgres-session.js';

/** Below this, a parallel index build gets fewer workers than asked: each participant needs 32 MB of the budget. */
const MIN_MAINTENANCE_MEM_KB = 256 * 1024;

/**
 * For the current transaction: as many parallel workers per index build as the server lets a query use, and enough
 * maintenance_work_mem for them to be used (never lowered). The server's own caps (max_parallel_workers,
 * max_worker_processes) still apply, so this takes nothing the administrator did not allow.
 */
export async function useParallelMaintenance(s: PgSession): Promise<{ workers: number; memoryKb: number }> {
  await s.query(
    `SELECT set_config('max_parallel_maintenance_workers', current_setting('max_parallel_workers'), true),
            set_config('maintenance_work_mem', greatest(setting::bigint, ${MIN_MAINTENANCE_MEM_KB})::text || 'kB', true)
       FROM pg_settings WHERE name = 'maintenance_work_mem'`,
  );
  const res = await s.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('max_parallel_maintenance_workers', 'maintenance_work_mem')`,
  );
  const get = (name: string) => Number(res.rows.find((r) => r.name === name)?.setting ?? 0);
  return { workers: get('max_parallel_maintenance_workers'), memoryKb: get('maintenance_work_mem') };
}
