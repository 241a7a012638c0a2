import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalConnectionUrl, parseConnectionUrl, redactForDisplay } from '../../src/connectors/connection-url.js';
import { openSource } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError, redactSecrets } from '../../src/errors.js';
import { MYSQL_SERVER, PG_SERVER, createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

// A password with every character that breaks a URL when written raw.
const PASSWORD = `Pw@${randomBytes(3).toString('hex')}#99/x?y%z`;
const ENCODED = encodeURIComponent(PASSWORD);

function caught(fn: () => unknown): SynthError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SynthError) return e;
    throw e;
  }
  throw new Error('expected a SynthError');
}

describe('parseConnectionUrl', () => {
  it.each([
    ['an unencoded @', 'postgresql://bench:Pass@99@db.example.com:5432/app'],
    ['an @ and a # (the reported URL)', 'postgresql://bench:P@ss@Pass#99@db.example.com/app'],
    ['a #', 'mysql://bench:pa#ss99@db.example.com:3306/app'],
    ['a /', 'postgresql://bench:pa/ss99@db.example.com/app'],
    ['a ?', 'mysql://bench:pa?ss99@db.example.com/app'],
  ])('refuses a password with %s, explains the encoding and never prints the password', (_what, url) => {
    const err = caught(() => parseConnectionUrl(url, { path: 'source.url' }));
    expect(err.code).toBe('BAD_URL');
    expect(err.message).toContain('db.example.com');
    expect(err.message).toContain('bench:***@');
    expect(err.hint).toContain('encodeURIComponent');
    expect(err.hint).toContain('%40');
    const secret = url.slice(url.indexOf(':', url.indexOf('//')) + 1, url.lastIndexOf('@'));
    expect(`${err.message} ${err.hint}`).not.toContain(secret);
    // The tail after the first '@' used to leak as a host name.
    expect(err.message).not.toMatch(/ss99|Pass#|@99/);
  });

  it('names which characters need encoding', () => {
    const err = caught(() => parseConnectionUrl('postgresql://u:a@b#c@h/db'));
    expect(err.message).toContain("'@' (write %40)");
    expect(err.message).toContain("'#' (write %23)");
  });

  it('reads an encoded password, a ?password= parameter and the parts of the URL', () => {
    const a = parseConnectionUrl(`postgresql://bench:${ENCODED}@db.example.com:6432/app`);
    expect(a).toMatchObject({ dialect: 'postgres', host: 'db.example.com', port: 6432, user: 'bench', password: PASSWORD, database: 'app' });
    expect(a.displayUrl).toBe('postgresql://bench:***@db.example.com:6432/app');
    const b = parseConnectionUrl(`mysql://bench@db.example.com/app?password=${ENCODED}&ssl=true`);
    expect(b.password).toBe(PASSWORD);
    expect(b.displayUrl).toBe('mysql://bench@db.example.com/app?password=***&ssl=true');
  });

  it('refuses a stray % with the fix', () => {
    const err = caught(() => parseConnectionUrl('postgresql://u:100%zz@h/db'));
    expect(err.code).toBe('BAD_URL');
    expect(err.hint).toContain('%25');
    expect(err.message).not.toContain('100%zz');
  });

  it('keeps URLs without a password and pglite folders as they are', () => {
    expect(parseConnectionUrl('postgresql://postgres@127.0.0.1:5432/x').password).toBeNull();
    expect(parseConnectionUrl('pglite://./data').dialect).toBe('pglite');
    expect(caught(() => parseConnectionUrl('ftp://u:secret1@h/db')).message).not.toContain('secret1');
  });
});

describe('redaction', () => {
  it('removes every form of password from text', () => {
    canonicalConnectionUrl(`mysql://u@h/db?password=${ENCODED}`);
    const text = [
      `mysql://u:${ENCODED}@h/db`,
      `postgresql://h/db?sslmode=disable&password=hunter2222`,
      `raw ${PASSWORD} in a driver message`,
      'postgresql://bench:P@ss@Pass#99@host/db',
    ].join('\n');
    const out = redactSecrets(text);
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain(ENCODED);
    expect(out).not.toContain('hunter2222');
    expect(out).not.toMatch(/Pass#99|P@ss/);
    expect(redactForDisplay('postgresql://bench:P@ss@Pass#99@host/db')).toBe('postgresql://bench:***@host/db');
  });
});

describe('canonicalConnectionUrl', () => {
  it('moves ?password=, PGPASSWORD/MYSQL_PWD and a config password into the encoded userinfo', () => {
    expect(canonicalConnectionUrl(`postgresql://bench@h/app?password=${ENCODED}&sslmode=disable`)).toBe(`postgresql://bench:${ENCODED}@h/app?sslmode=disable`);
    expect(canonicalConnectionUrl('mysql://h:3306/app', { env: { MYSQL_PWD: PASSWORD } })).toBe(`mysql://root:${ENCODED}@h:3306/app`);
    expect(canonicalConnectionUrl('postgresql://bench@h/app', { env: { PGPASSWORD: PASSWORD } })).toBe(`postgresql://bench:${ENCODED}@h/app`);
    expect(canonicalConnectionUrl('postgresql://bench@h/app', { password: PASSWORD, env: {} })).toBe(`postgresql://bench:${ENCODED}@h/app`);
    // MYSQL_PWD is MySQL's, not PostgreSQL's.
    expect(canonicalConnectionUrl('postgresql://bench@h/app', { env: { MYSQL_PWD: 'x-y-z-w' } })).toBe('postgresql://bench@h/app');
  });

  it('config: `password` next to `url` is accepted and a malformed URL names the field and the encoding', () => {
    const config = parseConfig({ source: { url: 'postgresql://bench@h/app', password: PASSWORD }, targets: { dev: { url: 'mysql://root@h/dev' } } });
    expect(config.source.url).toBe(`postgresql://bench:${ENCODED}@h/app`);
    const err = caught(() => parseConfig({ source: { url: 'postgresql://bench:P@ss@Pass#99@host/db' }, targets: { dev: { url: 'mysql://root@h/dev' } } }, 'synth.config.ts'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('source.url');
    expect(err.message).toContain('%40');
    expect(err.message).not.toMatch(/P@ss|Pass#99/);
  });
});

describe('connecting with a password given each way (real servers)', () => {
  let pgDb: TestDatabase;
  let myDb: TestDatabase;
  const role = `synth_pw_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    pgDb = await createPgDatabase('synth_url');
    await pgDb.exec(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'; GRANT ALL ON SCHEMA public TO ${role}; CREATE TABLE t (id int primary key)`);
    myDb = await createMysqlDatabase('synth_url');
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    try {
      await admin.query(`CREATE USER '${role}'@'%' IDENTIFIED BY ?`, [PASSWORD]);
      await admin.query(`CREATE USER '${role}'@'localhost' IDENTIFIED BY ?`, [PASSWORD]);
      await admin.query(`GRANT ALL ON \`${myDb.name}\`.* TO '${role}'@'%'`);
      await admin.query(`GRANT ALL ON \`${myDb.name}\`.* TO '${role}'@'localhost'`);
    } finally {
      await admin.end();
    }
    await myDb.exec('CREATE TABLE t (id int primary key)');
  });

  afterAll(async () => {
    await pgDb?.drop();
    await pgDb && (async () => {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
      await c.connect();
      await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await c.end();
    })();
    await myDb?.drop();
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    await admin.query(`DROP USER IF EXISTS '${role}'@'%', '${role}'@'localhost'`).catch(() => undefined);
    await admin.end();
  });

  const mysqlHostPort = () => new URL(MYSQL_SERVER).host;
  const pgHostPort = () => new URL(PG_SERVER).host;

  it.each([
    ['userinfo', () => `mysql://${role}:${ENCODED}@${mysqlHostPort()}/${myDb.name}`],
    ['?password=', () => `mysql://${role}@${mysqlHostPort()}/${myDb.name}?password=${ENCODED}`],
  ])('MariaDB accepts the password from %s', async (_how, url) => {
    const source = await openSource(url());
    try {
      const schema = await source.introspect();
      expect(schema.tables.map((t) => t.name)).toContain('t');
    } finally {
      await source.close();
    }
  });

  it('MariaDB: MYSQL_PWD and the config password field reach the driver; a wrong one is refused without echoing it', async () => {
    const config = parseConfig({ source: { url: `mysql://${role}@${mysqlHostPort()}/${myDb.name}`, password: PASSWORD }, targets: { dev: { url: 'mysql://root@h/dev' } } });
    const a = await openSource(config.source.url);
    await a.close();
    const prev = process.env.MYSQL_PWD;
    process.env.MYSQL_PWD = PASSWORD;
    try {
      const b = await openSource(`mysql://${role}@${mysqlHostPort()}/${myDb.name}`);
      await b.close();
    } finally {
      if (prev === undefined) delete process.env.MYSQL_PWD;
      else process.env.MYSQL_PWD = prev;
    }
    const wrong = `Wr0ng@${randomBytes(3).toString('hex')}`;
    const err = await openSource(`mysql://${role}:${encodeURIComponent(wrong)}@${mysqlHostPort()}/${myDb.name}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('CONNECTION_FAILED');
    expect(`${(err as SynthError).message}${(err as SynthError).hint}`).not.toContain(wrong);
    expect(`${(err as SynthError).message}`).not.toContain(encodeURIComponent(wrong));
  });

  it('PostgreSQL connects with a ?password= parameter (role with a password)', async () => {
    const source = await openSource(`postgresql://${role}@${pgHostPort()}/${pgDb.name}?password=${ENCODED}`);
    try {
      expect((await source.introspect()).tables.map((t) => t.name)).toContain('t');
    } finally {
      await source.close();
    }
  });
});
