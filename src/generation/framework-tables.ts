/**
 * An application's framework bookkeeping tables. A migration tool decides what to run from its history table
 * (Rails `schema_migrations`, Django `django_migrations`, Alembic `alembic_version`, …): a synthesized history makes
 * it re-run every migration, or stop at a revision it has never heard of. These tables hold no person, only the
 * schema's own history, so they are copied as they are, under privacy too: which migrations ran is a fact about the
 * code, not about anyone's row, so copying it publishes nothing the budget protects.
 *
 * Session and token tables (Django `django_session`, Laravel `sessions`, `password_resets`, …) are the opposite:
 * every row is a live secret (a session id, a reset token) that would log someone in on production, and a fake one
 * is bound to nothing (sessions are signed with the application's secret key). They are created empty, as in a
 * fresh deployment: everyone simply logs in again.
 *
 * A name alone is not enough (a `migrations` table of bird migrations): the columns must be the framework's own.
 */
import type { SynthConfig } from '../config/schema.js';
import type { DatabaseSchema, Table } from '../schema/model.js';
import { tableKey } from '../schema/model.js';

export type FrameworkRole = 'history' | 'secrets';

export interface FrameworkTable {
  /** What the table is, for `synth plan`: "Django migrations". */
  framework: string;
  role: FrameworkRole;
}

interface Signature extends FrameworkTable {
  name: string;
  /** The framework's columns, all required (compared case-insensitively). */
  columns: readonly string[];
  /** Columns some versions add; any other column means the table is not the framework's. */
  optional?: readonly string[];
}

const SIGNATURES: readonly Signature[] = [
  // History: the migrations a tool has applied, and the metadata it checks on start.
  { name: 'schema_migrations', columns: ['version', 'dirty'], framework: 'golang-migrate migrations', role: 'history' },
  { name: 'schema_migrations', columns: ['version'], framework: 'Rails migrations', role: 'history' },
  { name: 'ar_internal_metadata', columns: ['key', 'value', 'created_at', 'updated_at'], framework: 'Rails environment metadata', role: 'history' },
  { name: 'django_migrations', columns: ['id', 'app', 'name', 'applied'], framework: 'Django migrations', role: 'history' },
  { name: 'django_content_type', columns: ['id', 'app_label', 'model'], optional: ['name'], framework: 'Django content types', role: 'history' },
  { name: 'auth_permission', columns: ['id', 'name', 'content_type_id', 'codename'], framework: 'Django permissions', role: 'history' },
  { name: 'alembic_version', columns: ['version_num'], framework: 'Alembic revision', role: 'history' },
  {
    name: 'flyway_schema_history',
    columns: ['installed_rank', 'version', 'description', 'type', 'script', 'checksum', 'installed_by', 'installed_on', 'execution_time', 'success'],
    framework: 'Flyway migrations',
    role: 'history',
  },
  {
    name: 'databasechangelog',
    columns: ['id', 'author', 'filename', 'dateexecuted', 'orderexecuted', 'exectype', 'md5sum'],
    optional: ['description', 'comments', 'tag', 'liquibase', 'contexts', 'labels', 'deployment_id'],
    framework: 'Liquibase changelog',
    role: 'history',
  },
  { name: 'databasechangeloglock', columns: ['id', 'locked', 'lockgranted', 'lockedby'], framework: 'Liquibase lock', role: 'history' },
  { name: 'knex_migrations', columns: ['id', 'name', 'batch', 'migration_time'], framework: 'Knex migrations', role: 'history' },
  { name: 'knex_migrations_lock', columns: ['index', 'is_locked'], framework: 'Knex migration lock', role: 'history' },
  {
    name: '_prisma_migrations',
    columns: ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count'],
    framework: 'Prisma migrations',
    role: 'history',
  },
  { name: 'migrations', columns: ['id', 'timestamp', 'name'], framework: 'TypeORM migrations', role: 'history' },
  { name: 'typeorm_metadata', columns: ['type', 'database', 'schema', 'table', 'name', 'value'], framework: 'TypeORM metadata', role: 'history' },
  { name: 'migrations', columns: ['id', 'migration', 'batch'], framework: 'Laravel migrations', role: 'history' },
  { name: 'sequelizemeta', columns: ['name'], framework: 'Sequelize migrations', role: 'history' },
  { name: '__efmigrationshistory', columns: ['migrationid', 'productversion'], framework: 'EF Core migrations', role: 'history' },
  { name: 'doctrine_migration_versions', columns: ['version', 'executed_at', 'execution_time'], framework: 'Doctrine migrations', role: 'history' },
  { name: 'goose_db_version', columns: ['id', 'version_id', 'is_applied', 'tstamp'], framework: 'goose migrations', role: 'history' },
  // Secrets: live session ids and tokens.
  { name: 'django_session', columns: ['session_key', 'session_data', 'expire_date'], framework: 'Django sessions', role: 'secrets' },
  { name: 'authtoken_token', columns: ['key', 'created', 'user_id'], framework: 'Django REST framework tokens', role: 'secrets' },
  { name: 'sessions', columns: ['id', 'user_id', 'ip_address', 'user_agent', 'payload', 'last_activity'], framework: 'Laravel sessions', role: 'secrets' },
  { name: 'sessions', columns: ['id', 'session_id', 'data', 'created_at', 'updated_at'], framework: 'Rails session store', role: 'secrets' },
  { name: 'password_resets', columns: ['email', 'token', 'created_at'], optional: ['id'], framework: 'Laravel password resets', role: 'secrets' },
  { name: 'password_reset_tokens', columns: ['email', 'token', 'created_at'], framework: 'Laravel password resets', role: 'secrets' },
  {
    name: 'personal_access_tokens',
    columns: ['id', 'tokenable_type', 'tokenable_id', 'name', 'token', 'abilities', 'last_used_at', 'created_at', 'updated_at'],
    optional: ['expires_at'],
    framework: 'Laravel Sanctum tokens',
    role: 'secrets',
  },
];

/** The framework a table belongs to, by its name and its columns (both case-insensitive), or null. */
export function recognizeFrameworkTable(table: Pick<Table, 'name' | 'columns'>): FrameworkTable | null {
  const name = table.name.toLowerCase();
  const columns = new Set(table.columns.map((c) => c.name.toLowerCase()));
  for (const s of SIGNATURES) {
    if (s.name !== name || !s.columns.every((c) => columns.has(c))) continue;
    const allowed = new Set([...s.columns, ...(s.optional ?? [])]);
    if ([...columns].every((c) => allowed.has(c))) return { framework: s.framework, role: s.role };
  }
  return null;
}

/**
 * The config with framework tables settled, for every one the config leaves alone (a user's own `tables` entry wins):
 * history tables `mode: 'copy'`, secret tables `skip: true` (created empty) unless another table references them.
 * Returns the tables it settled; the config is changed in place, so every later stage reads the same decision.
 */
export function settleFrameworkTables(schema: DatabaseSchema, config: SynthConfig): Array<{ table: string } & FrameworkTable> {
  const settled: Array<{ table: string } & FrameworkTable> = [];
  for (const table of schema.tables) {
    const found = recognizeFrameworkTable(table);
    const key = tableKey(table);
    if (!found || config.tables[key] !== undefined || config.tables[table.name] !== undefined) continue;
    if (found.role === 'history') {
      // A copied row's FK values are real keys: its parents must be copied too (auth_permission → django_content_type).
      const parentsCopied = table.foreignKeys.every((f) => {
        const parent = schema.tables.find((t) => tableKey(t) === tableKey(f.references));
        return parent === table || (parent !== undefined && recognizeFrameworkTable(parent)?.role === 'history');
      });
      if (!parentsCopied) continue;
      // `keep`: a history's checksums (Prisma's sha256, Liquibase's md5sum) look like password digests to the
      // credential scrubber, and a replaced checksum makes the tool refuse the migration as edited.
      const keep = Object.fromEntries(table.columns.filter((c) => c.type.kind === 'text').map((c) => [c.name, { transform: 'keep' as const }]));
      config.tables[key] = { mode: 'copy', columns: keep };
    } else {
      const referenced = schema.tables.some((t) => t !== table && t.foreignKeys.some((f) => tableKey(f.references) === key));
      if (referenced) continue;
      config.tables[key] = { skip: true };
    }
    settled.push({ table: key, ...found });
  }
  return settled;
}
