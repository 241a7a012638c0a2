import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { recognizeFrameworkTable, settleFrameworkTables } from '../../src/generation/framework-tables.js';
import { col, fk, int4, schemaOf, table, text } from './fixtures.js';

const ts = { kind: 'timestamp', precision: 6, withTimeZone: true } as const;
const cols = (...names: string[]) => names.map((n) => col(n, n.endsWith('_at') || n === 'applied' ? ts : n === 'id' ? int4 : text));

describe('recognizeFrameworkTable', () => {
  it('knows a framework table by its name and its columns, in any case', () => {
    expect(recognizeFrameworkTable(table('django_migrations', cols('id', 'app', 'name', 'applied')))).toEqual({ framework: 'Django migrations', role: 'history' });
    expect(recognizeFrameworkTable(table('schema_migrations', cols('version')))?.framework).toBe('Rails migrations');
    expect(recognizeFrameworkTable(table('schema_migrations', cols('version', 'dirty')))?.framework).toBe('golang-migrate migrations');
    expect(recognizeFrameworkTable(table('__EFMigrationsHistory', cols('MigrationId', 'ProductVersion')))?.framework).toBe('EF Core migrations');
    expect(recognizeFrameworkTable(table('SequelizeMeta', cols('name')))?.framework).toBe('Sequelize migrations');
    expect(recognizeFrameworkTable(table('migrations', cols('id', 'migration', 'batch')))?.framework).toBe('Laravel migrations');
    expect(recognizeFrameworkTable(table('migrations', cols('id', 'timestamp', 'name')))?.framework).toBe('TypeORM migrations');
    expect(recognizeFrameworkTable(table('django_session', cols('session_key', 'session_data', 'expire_date')))).toEqual({ framework: 'Django sessions', role: 'secrets' });
  });

  it('needs the columns, not just the name: bird migrations, an app table that shares a name', () => {
    expect(recognizeFrameworkTable(table('migrations', cols('id', 'species', 'name', 'departed_at')))).toBeNull();
    // One column more than the framework's: the user's own table of the same name.
    expect(recognizeFrameworkTable(table('migrations', cols('id', 'timestamp', 'name', 'flock_size')))).toBeNull();
    expect(recognizeFrameworkTable(table('sessions', cols('id', 'user_id', 'started_at', 'duration')))).toBeNull();
    expect(recognizeFrameworkTable(table('alembic_version', cols('version')))).toBeNull();
  });
});

describe('settleFrameworkTables', () => {
  const config = () => parseConfig({ source: { url: 'postgresql://localhost/x' }, targets: { dev: { url: 'postgresql://localhost/y' } } });

  it('copies histories (their parents too), empties unreferenced secret tables, and leaves a configured table alone', () => {
    const schema = schemaOf([
      table('django_content_type', cols('id', 'app_label', 'model')),
      table('auth_permission', cols('id', 'name', 'content_type_id', 'codename'), { foreignKeys: [fk('perm_ct', ['content_type_id'], 'django_content_type', ['id'])] }),
      table('alembic_version', cols('version_num')),
      table('django_session', cols('session_key', 'session_data', 'expire_date')),
      table('password_resets', cols('email', 'token', 'created_at')),
      table('reset_audit', cols('id', 'email'), { foreignKeys: [fk('audit_reset', ['email'], 'password_resets', ['email'])] }),
    ]);
    const c = config();
    c.tables['alembic_version'] = { mode: 'synthesize' };
    const settled = settleFrameworkTables(schema, c);
    expect(settled.map((s) => s.table)).toEqual(['public.django_content_type', 'public.auth_permission', 'public.django_session']);
    expect(c.tables['public.django_content_type']).toEqual({ mode: 'copy', columns: { app_label: { transform: 'keep' }, model: { transform: 'keep' } } });
    expect(c.tables['public.django_session']).toEqual({ skip: true });
    // The user's word wins; a secret table another table references keeps its rows' keys (it is synthesized).
    expect(c.tables['alembic_version']).toEqual({ mode: 'synthesize' });
    expect(c.tables['public.password_resets']).toBeUndefined();
  });

  it('does not copy a history whose parent is an application table', () => {
    const schema = schemaOf([
      table('app_things', cols('id', 'label')),
      table('django_content_type', cols('id', 'app_label', 'model'), { foreignKeys: [fk('odd', ['id'], 'app_things', ['id'])] }),
    ]);
    const c = config();
    expect(settleFrameworkTables(schema, c)).toEqual([]);
  });
});
