/**
 * The synth.config.ts schema. Every field is validated with zod so a mistake is reported with its path and a fix,
 * before any database is touched.
 */
import { z } from 'zod';
import { schedulesConfigSchema } from '../scheduler/schedules.js';
import { piiColumnConfigSchema } from '../generation/privacy/pii-config.js';
import { canonicalConnectionUrl } from '../connectors/connection-url.js';
import { SynthError } from '../errors.js';
import { relationsConfigSchema } from '../graph/virtual-fks.js';
import { distributedConfigSchema } from '../distributed/distributed-config.js';

const duration = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*[smhdw]\s*$/i, 'must be a duration such as 90m, 24h or 7d');

const connectionUrl = z
  .string({ error: 'must be a connection URL such as postgresql://user@host:5432/db or mysql://user@host:3306/db' })
  .min(1, 'must not be empty: set it, or the environment variable it reads from')
  .refine((u) => /^(postgres(ql)?|mysql|mariadb|pglite):\/\//i.test(u), {
    message: 'must start with postgresql://, mysql:// or pglite:// (an embedded PostgreSQL folder)',
  });

/**
 * `{ url, password? }`: the password may also sit in the URL, in `?password=` or in PGPASSWORD / MYSQL_PWD. Every
 * form ends up in one canonical URL (connection-url.ts), so drivers, locks and the state store all read it alike,
 * and the password is registered for redaction before anything can print it.
 */
const connectionSchema = z
  .strictObject({ url: connectionUrl, password: z.string().min(1).optional() })
  .transform((c, ctx) => {
    try {
      return { url: canonicalConnectionUrl(c.url, { password: c.password, what: 'this URL' }) };
    } catch (e) {
      if (!(e instanceof SynthError)) throw e;
      ctx.addIssue({ code: 'custom', path: ['url'], message: `${e.message} ${e.hint ?? ''}`.trim() });
      return z.NEVER;
    }
  });

/** PII transform (a kind, 'keep', 'redact' or 'hash') and `public` (raw statistics, no privacy budget). */
const columnOverride = piiColumnConfigSchema;

const tableConfig = z.strictObject({
  model: z.enum(['baseline', 'learned']).optional(),
  scale: z.number().positive().optional(),
  /** Copy no rows of this table (it is created empty). */
  skip: z.boolean().optional(),
  /** privacy.unit 'entity': this table's bound on rows per entity (overrides privacy.maxRowsPerEntity). */
  maxRowsPerEntity: z.number().int().positive().max(10_000).optional(),
  columns: z.record(z.string(), columnOverride).optional(),
  /**
   * 'copy': copy the rows verbatim (reference data; under privacy this declares the table public, no ε spent);
   * 'synthesize': never copy, even when it looks like reference data. Default: decided from the data.
   */
  mode: z.enum(['copy', 'synthesize']).optional(),
});

const privacyConfig = z.strictObject({
  epsilon: z.number().positive(),
  delta: z.number().positive().lt(1).default(1e-6),
  maxGradNorm: z.number().positive().optional(),
  noiseMultiplier: z.number().positive().optional(),
  unit: z.enum(['row', 'entity']).default('row'),
  /**
   * With unit 'entity': the table whose rows are the protected individuals (`customer` or `schema.customer`).
   * Each of its rows is protected together with every row that belongs to it through foreign keys.
   */
  entity: z.string().min(1).optional(),
  /**
   * With unit 'entity': the most rows one entity may contribute to each table it owns; an entity's rows beyond it
   * are left out of training. Noise grows with it, so keep it near a typical entity's row count.
   */
  maxRowsPerEntity: z.number().int().positive().max(10_000).default(32),
  /** Key of the PII transforms (keyed fakes); the environment variable SYNTH_PII_KEY wins when set. */
  piiKey: z.string().min(1).optional(),
  /**
   * 'auto' (default): tables with enough rows per unit of noise get their attributes from MST, children conditioned
   * on their parent (docs/privacy.md); false: never (DP statistics, and DP-SGD for learned tables).
   */
  mst: z.union([z.literal('auto'), z.literal(false)]).default('auto'),
  /**
   * Run the copy filters (`filters`) under DP too. Off by default: DP already protects every row, and the filters
   * would redraw most rows of narrow tables (docs/privacy.md).
   */
  copyFilters: z.boolean().default(false),
});

const trainingConfig = z.strictObject({
  /** Rows sampled per table for training (bounded so huge tables train in minutes). */
  sampleRows: z.number().int().positive().default(20_000),
  epochs: z.number().int().positive().optional(),
  hidden: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  device: z.enum(['auto', 'cpu', 'gpu']).default('auto'),
  /**
   * Reuse the models of an earlier `synth train`/hydrate of the same source schema instead of fitting again:
   * 'never' (default: retrain every run) or `{ maxAge: '24h' }`.
   */
  reuse: z.union([z.literal('never'), z.strictObject({ maxAge: duration })]).default('never'),
  /** Tables of one plan level loaded at once (independent tables; generation stays deterministic). */
  parallel: z.number().int().min(1).max(64).default(1),
});

const FILTERS_EXPECTED = "expected true, false, 'auto' or { enabled, tolerance }";

export const configSchema = z.strictObject({
  source: connectionSchema,
  targets: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'target names use letters, digits, - and _'), connectionSchema)
    .refine((t) => Object.keys(t).length > 0, { message: 'define at least one target, e.g. targets: { dev: { url: ... } }' }),
  /** PostgreSQL schemas to copy; default: every non-system schema. */
  schemas: z.array(z.string().min(1)).min(1).optional(),
  /** Rows per table relative to the source. */
  scale: z.number().positive().max(1000).default(1),
  seed: z.number().int().default(42),
  /** Default model for tables without a per-table `model` (the learned one: better joint shapes, fast sampling). */
  model: z.enum(['baseline', 'learned']).default('learned'),
  tables: z.record(z.string(), tableConfig).default({}),
  /** Small, non-personal, referenced tables (lookups, enumerations) up to `maxRows` rows are copied verbatim. */
  reference: z.strictObject({ maxRows: z.number().int().min(0).default(5000) }).default({ maxRows: 5000 }),
  /**
   * Order invariants (a ≤ b on every sampled source row) kept in the output; `minSupport`: fewest rows with both
   * sides set before a pair counts. `false`: columns are left as the models draw them.
   */
  invariants: z
    .union([z.literal(false), z.strictObject({ minSupport: z.number().int().positive().default(20) })])
    .default({ minSupport: 20 }),
  /**
   * Virtual foreign keys the source keeps only by naming and values: `{ from: 'orders.customer_id', to: 'customers.id' }`
   * or composite `{ from: 'a.(x, y)', to: 'b.(x, y)' }`. Generated and validated like declared FKs; never created in the target.
   */
  relations: relationsConfigSchema.default([]),
  /**
   * Big tables generated and loaded in worker processes too, each a window of the rows (the same rows one process
   * draws) on a connection of its own: `workers` 'auto' (cores - 1) or a number (0: the main process alone); tables
   * under `minRows` rows never start one.
   */
  generation: z
    .strictObject({
      workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default('auto'),
      minRows: z.number().int().positive().default(100_000),
    })
    .default({ workers: 'auto', minRows: 100_000 }),
  training: trainingConfig.default({ sampleRows: 20_000, device: 'auto', reuse: 'never', parallel: 1 }),
  privacy: z
    .union([privacyConfig, z.literal(false)])
    .default(false)
    .superRefine((p, ctx) => {
      if (p !== false && p.unit === 'entity' && p.entity === undefined) {
        ctx.addIssue({ code: 'custom', path: ['entity'], message: "unit 'entity' needs the table whose rows are the protected individuals, e.g. entity: 'customer'" });
      }
      if (p !== false && p.unit === 'row' && p.entity !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['unit'], message: "entity is set but unit is 'row'; set unit: 'entity' to protect whole entities" });
      }
    }),
  /**
   * Privacy filters after generation: rows that copy a training row (within `tolerance`, SDMetrics' NewRowSynthesis
   * definition) or fall outside what training showed are nudged or drawn again. On by default, so no run replays a
   * real row; `false` opts out, 'auto' runs them only with `privacy`.
   */
  filters: z
    .union([
      z.strictObject({
        enabled: z.union([z.literal('auto'), z.boolean()]).default(true),
        /** Relative distance under which a numeric/datetime value counts as the same value (0.01 = 1 %). */
        tolerance: z.number().positive().max(1).default(0.01),
        /**
         * Which tables: 'personal' (default) those whose rows can describe a person (a PII column, a foreign key to
         * such a table) or whose columns allow many distinct rows; 'all' every table (docs/privacy.md).
         */
        scope: z.enum(['personal', 'all']).default('personal'),
      }),
      // The README's shorthand: `filters: false`, `true` or 'auto' is `{ enabled: … }` with the default tolerance.
      z
        .union([z.literal('auto'), z.boolean()], { error: FILTERS_EXPECTED })
        .transform((enabled) => ({ enabled, tolerance: 0.01, scope: 'personal' as const })),
    ], { error: FILTERS_EXPECTED })
    .default({ enabled: true, tolerance: 0.01, scope: 'personal' }),
  quality: z
    .strictObject({
      /** Refuse the swap when the Overall quality score is below this (0..1). */
      minOverall: z.number().min(0).max(1).optional(),
      /** Rows per table read back for the quality report. */
      sampleRows: z.number().int().positive().default(5_000),
      enabled: z.boolean().default(true),
    })
    .default({ sampleRows: 5_000, enabled: true }),
  /** Where synth keeps run history and models; default: an embedded folder `.synth/state`. */
  state: z.strictObject({ url: connectionUrl.optional(), dir: z.string().optional() }).default({}),
  /** Folder for reports and model artifacts. */
  outDir: z.string().default('.synth'),
  /** Jobs `synth schedule` runs (see docs/orchestration.md); targets are checked against `targets`. */
  schedules: schedulesConfigSchema.optional(),
  /** Scale-out (docs/scale-out.md): generation + load run as shards on `synth worker` processes through this queue. */
  distributed: distributedConfigSchema.optional(),
}).superRefine((c, ctx) => {
  const names = new Set(Object.keys(c.targets));
  c.schedules?.forEach((s, i) => {
    if (!names.has(s.run.target)) {
      ctx.addIssue({ code: 'custom', path: ['schedules', i, 'run', 'target'], message: `names target "${s.run.target}", which is not in \`targets\` (${[...names].join(', ')})` });
    }
    if (s.run.from !== 'source' && !names.has(s.run.from)) {
      ctx.addIssue({ code: 'custom', path: ['schedules', i, 'run', 'from'], message: `names target "${s.run.from}", which is not in \`targets\`; use one of ${[...names].join(', ')} or 'source'` });
    }
  });
});

/** What users write (defaults optional). */
export type SynthConfigInput = z.input<typeof configSchema>;
/** What synth works with (defaults applied). */
export type SynthConfig = z.output<typeof configSchema>;
export type TableConfig = z.output<typeof tableConfig>;
