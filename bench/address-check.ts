/**
 * How well a hydrate's addresses hang together (docs/privacy.md, "States where the country has them"): hydrates a
 * PostgreSQL sample database (chinook or northwind) with the baseline model into a scratch database and counts, per
 * address group, the rows with a state in a country whose source rows have none, the NULL states where the country's
 * source rows all have one, US postal codes inside their state (faker's en_US ranges) and cities in their country's
 * locale pool. Usage: npx tsx bench/address-check.ts chinook|northwind [--dp EPSILON] [--public]
 * (--public declares the country columns public under DP, so they are released as real countries).
 */
import pg from 'pg';
import { faker } from '@faker-js/faker/locale/en_US';
import { parseConfig } from '../src/config/load-config.js';
import { localeForCountry, locationPools } from '../src/generation/privacy/location-fakes.js';
import { hydrate } from '../src/pipeline/index.js';

const [db, ...flags] = process.argv.slice(2);
const GROUPS: Record<string, Array<[table: string, city: string, state: string, country: string, postal: string]>> = {
  chinook: [['customer', 'city', 'state', 'country', 'postal_code'], ['invoice', 'billing_city', 'billing_state', 'billing_country', 'billing_postal_code'], ['employee', 'city', 'state', 'country', 'postal_code']],
  northwind: [['customers', 'city', 'region', 'country', 'postal_code'], ['suppliers', 'city', 'region', 'country', 'postal_code'], ['employees', 'city', 'region', 'country', 'postal_code'], ['orders', 'ship_city', 'ship_region', 'ship_country', 'ship_postal_code']],
};
const groups = GROUPS[db ?? ''];
if (!groups) throw new Error('usage: tsx bench/address-check.ts chinook|northwind [--dp EPSILON] [--public]');
const dp = flags.includes('--dp') ? Number(flags[flags.indexOf('--dp') + 1]) : null;
const base = 'postgresql://postgres@127.0.0.1:5432';
const scratch = `addr_check_${process.pid}`;
const admin = new pg.Client({ connectionString: `${base}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
try {
  process.env.SYNTH_PII_KEY ??= 'address-check-key-0123456789abcdef';
  const config = parseConfig({
    source: { url: `${base}/${db}` },
    targets: { dev: { url: `${base}/${scratch}` } },
    model: 'baseline',
    outDir: `/tmp/${scratch}`,
    quality: { enabled: false },
    ...(dp !== null ? { privacy: { epsilon: dp } } : {}),
    ...(flags.includes('--public') ? { tables: Object.fromEntries(groups.map(([t, , , c]) => [t, { columns: { [c]: { public: true } } }])) } : {}),
  });
  const result = await hydrate({ config, target: 'dev' });
  console.log(`${db}${dp !== null ? ` DP ε=${dp}` : ''}: ${result.status}, ${result.integrity.totalViolations} violations`);
  const loc = faker.rawDefinitions.location!;
  const ranges = new Map<string, Array<[number, number]>>();
  for (const [st, t] of Object.entries(loc.postcode_by_state as Record<string, string | string[]>)) {
    ranges.set(st, (Array.isArray(t) ? t : [t]).map((x) => {
      const m = /"min":\s*(\d+),\s*"max":\s*(\d+)/.exec(x)!;
      return [Number(m[1]), Number(m[2])] as [number, number];
    }));
  }
  const abbrOf = (s: string): string => loc.state_abbr![loc.state!.indexOf(s)] ?? s;
  const inState = (state: string, postal: string): boolean => {
    const z = Number(postal.slice(0, 5));
    return (ranges.get(abbrOf(state)) ?? []).some(([lo, hi]) => z >= lo && z <= hi);
  };
  const source = new pg.Client({ connectionString: `${base}/${db}` });
  const target = new pg.Client({ connectionString: `${base}/${scratch}` });
  await source.connect();
  await target.connect();
  type Address = { city: string | null; state: string | null; country: string | null; postal: string | null };
  for (const [table, city, state, country, postal] of groups) {
    const q = `SELECT ${city} AS city, ${state} AS state, ${country} AS country, ${postal} AS postal FROM ${table}`;
    const src = (await source.query<Address>(q)).rows;
    const gen = (await target.query<Address>(q)).rows;
    const shares = new Map<string, [number, number]>();
    for (const r of src) {
      const s = shares.get(String(r.country)) ?? [0, 0];
      s[0]++;
      if (r.state !== null) s[1]++;
      shares.set(String(r.country), s);
    }
    const stateless = gen.filter((r) => shares.get(String(r.country))?.[1] === 0);
    const full = gen.filter((r) => {
      const s = shares.get(String(r.country));
      return s !== undefined && s[0] === s[1];
    });
    const us = gen.filter((r) => ['usa', 'us', 'united states'].includes(String(r.country).toLowerCase()) && r.state !== null && r.postal !== null);
    const located = gen.filter((r) => r.city !== null && r.country !== null && r.country.trim() !== '');
    console.log(
      `  ${table}: ${gen.length} rows; state in a country whose source has none ${stateless.filter((r) => r.state !== null).length}/${stateless.length}; ` +
        `NULL state where the country's source rows all have one ${full.filter((r) => r.state === null).length}/${full.length}; ` +
        `US postal code in its state ${us.filter((r) => inState(r.state!, r.postal!)).length}/${us.length}; ` +
        `cities in their country's pool ${located.filter((r) => locationPools(localeForCountry(r.country!)).cities.includes(r.city!)).length}/${located.length}`,
    );
  }
  await source.end();
  await target.end();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}
