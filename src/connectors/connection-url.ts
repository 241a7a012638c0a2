/**
 * The one parser of connection URLs. WHATWG URL does the parsing; this module adds what it cannot know: that
 * `user:p@ss@host` or `user:pa#ss@host` is a password with an unencoded character (WHATWG happily connects to
 * host `ss` or fails with "Invalid URL"), where a password may come from (userinfo, `?password=`, PGPASSWORD /
 * MYSQL_PWD, a config `password` field), and that every password it sees is registered for redaction.
 */
import { SynthError, registerSecret } from '../errors.js';

export type UrlDialect = 'postgres' | 'mysql' | 'pglite';

export interface ConnectionUrl {
  dialect: UrlDialect;
  host: string;
  port: number | null;
  user: string | null;
  /** Decoded password, from the userinfo or `?password=`; null when the URL carries none. */
  password: string | null;
  /** The database named by the path (empty for pglite, whose path is a folder). */
  database: string;
  /** The URL with its password replaced by `***` (userinfo and query). */
  displayUrl: string;
}

const SCHEMES: Record<string, UrlDialect> = { postgres: 'postgres', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mysql', pglite: 'pglite' };

/** Where each dialect's client conventionally reads a password from the environment. */
export const PASSWORD_ENV: Record<Exclude<UrlDialect, 'pglite'>, string> = { postgres: 'PGPASSWORD', mysql: 'MYSQL_PWD' };

/** Query parameters that carry a password (libpq spells it `password`; some tools `pwd`/`pass`). */
const PASSWORD_PARAMS = ['password', 'pwd', 'pass', 'passwd'];

/** Characters that end or split a URL's userinfo when written raw, with their percent-encoding. */
const RESERVED_IN_PASSWORD: ReadonlyArray<[string, string]> = [
  ['@', '%40'],
  ['#', '%23'],
  ['/', '%2F'],
  ['?', '%3F'],
  ['%', '%25'],
  [' ', '%20'],
];

const HOW_TO_ENCODE =
  "percent-encode the password: in JavaScript `encodeURIComponent(password)`, in a shell `node -e 'console.log(encodeURIComponent(process.argv[1]))' 'PASSWORD'`; for example a password p@ss#1/x is written p%40ss%231%2Fx";

export function urlDialect(url: string): UrlDialect | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  return scheme === undefined ? null : (SCHEMES[scheme] ?? null);
}

/**
 * The userinfo as the user most likely meant it: everything up to the last `@` that is followed by a host
 * (`host`, `host:port`, `[v6]`) and then the path, query or the end. Used only to explain a malformed URL.
 */
function intendedUserinfo(rest: string): { userinfo: string; hostAndAfter: string } | null {
  for (let at = rest.lastIndexOf('@'); at > 0; at = rest.lastIndexOf('@', at - 1)) {
    const after = rest.slice(at + 1);
    if (/^(?:\[[0-9a-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?(?:[/?]|$)/i.test(after)) return { userinfo: rest.slice(0, at), hostAndAfter: after };
  }
  return null;
}

function badPassword(url: string, scheme: string, userinfo: string, hostAndAfter: string, where: string, path: string | undefined): SynthError {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  registerSecret(password);
  const found = RESERVED_IN_PASSWORD.filter(([ch]) => (ch === '%' ? /%(?![0-9a-f]{2})/i.test(password) : password.includes(ch)));
  const list = found.map(([ch, enc]) => `'${ch}' (write ${enc})`).join(', ');
  const shown = `${scheme}://${user}:***@${hostAndAfter}`;
  return new SynthError('BAD_URL', `The password in ${where} contains ${list || 'characters'} that must be percent-encoded: as written, the URL ${shown} cannot be read unambiguously.`, {
    hint: `In ${path ?? 'the URL'}, ${HOW_TO_ENCODE}. Or leave the password out of the URL and set ${scheme.startsWith('my') || scheme === 'mariadb' ? 'MYSQL_PWD' : 'PGPASSWORD'} (or the config's \`password\` field next to \`url\`).`,
    ...(path === undefined ? {} : { path }),
  });
}

/**
 * Parses and checks a connection URL: a known scheme, a password without unencoded reserved characters, valid
 * percent-escapes. Registers the password for redaction. Throws BAD_URL with the encoding to use, never the password.
 */
export function parseConnectionUrl(url: string, options: { what?: string; path?: string } = {}): ConnectionUrl {
  const where = options.what ?? 'the connection URL';
  const dialect = urlDialect(url);
  if (dialect === null) {
    throw new SynthError('BAD_URL', `Unsupported connection URL in ${where}: ${redactForDisplay(url)}`, {
      hint: 'Use postgresql://user:password@host:5432/database, mysql://user:password@host:3306/database or pglite://./folder.',
      ...(options.path === undefined ? {} : { path: options.path }),
    });
  }
  const scheme = url.slice(0, url.indexOf('://')).toLowerCase();
  if (dialect === 'pglite') {
    return { dialect, host: '', port: null, user: null, password: null, database: '', displayUrl: url };
  }
  const rest = url.slice(url.indexOf('://') + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const intended = intendedUserinfo(rest);
  // An '@' inside the authority besides the one before the host, or a userinfo that only makes sense if it runs
  // past a '/', '?' or '#': the password holds one of them raw.
  const extraAt = (authority.match(/@/g)?.length ?? 0) > 1;
  const runsPast = intended !== null && intended.userinfo.length > authority.length && intended.userinfo.includes(':') && !/^[^:]*:\d{1,5}[/?]/.test(intended.userinfo);
  if (intended !== null && (extraAt || runsPast)) throw badPassword(url, scheme, intended.userinfo, intended.hostAndAfter, where, options.path);
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new SynthError('BAD_URL', `Not a valid URL in ${where}: ${redactForDisplay(url)}`, {
      hint: `Write it as ${scheme}://user:password@host:port/database; if the password has special characters, ${HOW_TO_ENCODE}.`,
      ...(options.path === undefined ? {} : { path: options.path }),
      cause,
    });
  }
  const decode = (s: string, part: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      registerSecret(s);
      throw new SynthError('BAD_URL', `The ${part} in ${where} has a '%' that is not followed by two hex digits.`, {
        hint: `Write a literal % as %25; ${HOW_TO_ENCODE}.`,
        ...(options.path === undefined ? {} : { path: options.path }),
      });
    }
  };
  let password: string | null = u.password === '' ? null : decode(u.password, 'password');
  for (const p of PASSWORD_PARAMS) {
    const v = u.searchParams.get(p);
    if (v !== null && v !== '') password ??= v;
    if (v !== null) registerSecret(v);
  }
  registerSecret(password);
  if (u.password !== '') registerSecret(u.password);
  return {
    dialect,
    host: u.hostname,
    port: u.port === '' ? null : Number(u.port),
    user: u.username === '' ? null : decode(u.username, 'user name'),
    password,
    database: decode(u.pathname.replace(/^\//, ''), 'database name'),
    displayUrl: redactForDisplay(url),
  };
}

/** The URL with every password removed (userinfo and query), for messages. */
export function redactForDisplay(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url.replace(/(password|pwd|pass|passwd)=[^&\s]*/gi, '$1=***');
  const rest = url.slice(scheme.length);
  const intended = intendedUserinfo(rest);
  let out = url;
  if (intended !== null && intended.userinfo.includes(':')) out = `${scheme}${intended.userinfo.slice(0, intended.userinfo.indexOf(':'))}:***@${intended.hostAndAfter}`;
  return out.replace(/([?&](?:password|pwd|pass|passwd)=)[^&#\s]*/gi, '$1***');
}

/**
 * One URL that carries its password the way every driver synth uses reads it (percent-encoded userinfo): the
 * config's `password` field, else `?password=` (moved out of the query), else the URL's own, else the dialect's
 * environment variable (PGPASSWORD / MYSQL_PWD). pglite URLs pass through.
 */
export function canonicalConnectionUrl(
  url: string,
  options: { password?: string | undefined; env?: Record<string, string | undefined>; what?: string; path?: string } = {},
): string {
  const parsed = parseConnectionUrl(url, options);
  if (parsed.dialect === 'pglite') return url;
  const env = options.env ?? process.env;
  const fromEnv = env[PASSWORD_ENV[parsed.dialect]];
  const password = options.password ?? parsed.password ?? (fromEnv === undefined || fromEnv === '' ? null : fromEnv);
  registerSecret(password);
  if (password === null) return url;
  const u = new URL(url);
  for (const p of PASSWORD_PARAMS) u.searchParams.delete(p);
  // A URL without a user keeps its driver's default user; MySQL's is root (mysql-session), which a password needs spelled out.
  if (u.username === '' && parsed.dialect === 'mysql') u.username = 'root';
  // WHATWG's password setter leaves some reserved characters raw; encode all of them.
  u.password = encodeURIComponent(password);
  return u.href;
}

/** Registers the passwords the environment may hand the drivers, so they are redacted even when no URL shows them. */
export function registerEnvironmentSecrets(env: Record<string, string | undefined> = process.env): void {
  for (const name of [...Object.values(PASSWORD_ENV), 'SYNTH_PII_KEY']) registerSecret(env[name]);
}
