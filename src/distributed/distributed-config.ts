/** The `distributed` config key: where the job queue lives and how big a shard is. */
import { z } from 'zod';

export const distributedConfigSchema = z.strictObject({
  /** The BullMQ queue's Redis: `redis://host:6379` (a `/db` number and password in the URL are honoured). */
  queue: z
    .string({ error: 'must be a Redis URL such as redis://127.0.0.1:6379' })
    .refine((u) => /^rediss?:\/\//i.test(u), { message: 'must start with redis:// or rediss:// (the job queue runs on Redis through BullMQ)' }),
  /** Most rows one generation + load unit writes; a table of N rows becomes ceil(N / shardRows) units. */
  shardRows: z.number().int().positive().default(50_000),
  /**
   * Seconds a worker's hold on a unit lasts without renewal: a worker killed mid-shard gives its unit back to the
   * queue after about this long (a live worker renews it every half of it).
   */
  lockSeconds: z.number().positive().max(3600).default(30),
  /** Tries per unit, a worker killed mid-unit included, before the run fails. */
  attempts: z.number().int().min(1).max(100).default(3),
  /** Prefix of the queue's Redis keys, so several synth installations can share one Redis. */
  prefix: z.string().regex(/^[A-Za-z0-9_:-]+$/).default('synth'),
});

export type DistributedConfig = z.output<typeof distributedConfigSchema>;
