import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { formatDataRules } from '../../src/generation/data-rules.js';
import { hydrate, introspectAndPlan, planDataRules } from '../../src/pipeline/index.js';
import { djangoFixture, railsFixture } from '../fixtures/framework-apps.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';

const django = djangoFixture();
const env = pgHydrationFixture('synth_fwdj', django.sql);

describe('framework tables: a Django project on PostgreSQL', () => {
  it('copies migrations, content types and permissions as is, leaves sessions empty, and synth plan names them', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { enabled: false }, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const sql of [
      'SELECT id, app, name, applied FROM django_migrations ORDER BY id',
      'SELECT id, app_label, model FROM django_content_type ORDER BY id',
      'SELECT id, name, content_type_id, codename FROM auth_permission ORDER BY id',
    ]) {
      expect(await env.target.query(sql), sql).toEqual(await env.source.query(sql));
    }
    expect(await env.target.query('SELECT * FROM django_session')).toEqual([]);
    // The app's own tables are synthesized, not emptied or copied.
    const [orders] = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM shop_order');
    expect(Number(orders!.n)).toBe(300);
    const users = await env.target.query<{ password: string }>('SELECT password FROM auth_user');
    const sourcePasswords = new Set((await env.source.query<{ password: string }>('SELECT password FROM auth_user')).map((r) => r.password));
    expect(users.filter((u) => sourcePasswords.has(u.password))).toEqual([]);

    const planConfig = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } } });
    const source = await openSource(env.source.url);
    try {
      const { schema } = await introspectAndPlan(source, planConfig);
      const rules = await planDataRules(source, schema, planConfig);
      const byName = new Map(rules.reference.map((d) => [d.table.name, d]));
      expect(byName.get('django_migrations')).toMatchObject({ copy: true, framework: 'Django migrations' });
      expect(byName.get('auth_permission')).toMatchObject({ copy: true, framework: 'Django permissions' });
      expect(byName.get('django_session')).toMatchObject({ copy: false, framework: 'Django sessions' });
      expect(byName.get('shop_product')?.framework).toBeUndefined();
      const text = formatDataRules(rules, schema);
      expect(text).toMatch(/framework tables copied as is: .*django_migrations \(Django migrations\)/);
      expect(text).toMatch(/framework secrets created empty: django_session \(Django sessions\)/);
    } finally {
      await source.close();
    }
  });

  it('under DP the migration history is still copied (it describes the code, not a person)', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      outDir: env.outDir,
      quality: { enabled: false },
      model: 'baseline',
      privacy: { epsilon: 8 },
    });
    const source = await openSource(env.source.url);
    try {
      const { schema } = await introspectAndPlan(source, config);
      const rules = await planDataRules(source, schema, config);
      const copied = rules.reference.filter((d) => d.copy).map((d) => d.table.name).sort();
      expect(copied).toEqual(['auth_permission', 'django_content_type', 'django_migrations']);
    } finally {
      await source.close();
    }
  });
});

describe('framework tables: a Rails application on MariaDB', () => {
  const rails = railsFixture();
  let source: TestDatabase;
  let target: TestDatabase;
  let outDir: string;
  beforeAll(async () => {
    source = await createMysqlDatabase('synth_fwrails_src');
    target = await createMysqlDatabase('synth_fwrails_dst');
    await source.exec(rails.sql);
    outDir = mkdtempSync(join(tmpdir(), 'synth-fwrails-'));
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('copies schema_migrations and ar_internal_metadata as is and leaves the session store empty', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, quality: { enabled: false }, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const sql of ['SELECT version FROM schema_migrations ORDER BY version', 'SELECT `key`, value, created_at, updated_at FROM ar_internal_metadata ORDER BY `key`']) {
      expect(await target.query(sql), sql).toEqual(await source.query(sql));
    }
    const sessions = await target.query<{ session_id: string; data: string }>('SELECT session_id, data FROM sessions');
    expect(sessions).toEqual([]);
    const [posts] = await target.query<{ n: number }>('SELECT count(*) AS n FROM posts');
    expect(Number(posts!.n)).toBe(200);
  });
});
