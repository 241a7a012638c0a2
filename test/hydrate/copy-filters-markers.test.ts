/**
 * The copy filters on a table in the shape of employees' `salaries`: a dense salary per year and `to_date =
 * '9999-01-01'` on each current employee's last row (~12 % of the rows). Every current row's salary lies within 1 % of
 * some real current salary, so a drawn current row is a copy that no nudge fixes; a redraw that could come back not
 * current took the share of current rows from 12 % to ~0. A redraw keeps the row's marker status.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { PrivacyFilter } from '../../src/validation/privacy/filters.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { dropWithBackup } from '../support/torture-mysql.js';

const FOREVER = '9999-01-01';

/** 400 employees, 1–12 salary rows each; the last row of the 80 % still employed is current. */
const PG_FIXTURE = `
CREATE TABLE employees (emp_no int PRIMARY KEY, hire_date date NOT NULL);
INSERT INTO employees SELECT 10000 + g, DATE '1985-01-01' + (g * 2903) % 4700 FROM generate_series(1, 400) g;
CREATE TABLE salaries (
  emp_no int NOT NULL REFERENCES employees ON DELETE CASCADE,
  salary int NOT NULL,
  from_date date NOT NULL,
  to_date date NOT NULL,
  PRIMARY KEY (emp_no, from_date)
);
INSERT INTO salaries
SELECT e.emp_no, 40000 + (e.emp_no * 37) % 30000 + y * (1500 + e.emp_no % 2000), e.hire_date + make_interval(years => y),
       CASE WHEN y = (e.emp_no * 7) % 12 AND e.emp_no % 5 <> 0 THEN DATE '${FOREVER}'
            ELSE (e.hire_date + make_interval(years => y + 1))::date - CASE WHEN y = (e.emp_no * 7) % 12 THEN 40 + e.emp_no % 200 ELSE 0 END END
FROM employees e CROSS JOIN generate_series(0, 11) y WHERE y <= (e.emp_no * 7) % 12;
`;

const MYSQL_FIXTURE = [
  `CREATE TABLE employees (emp_no INT PRIMARY KEY, hire_date DATE NOT NULL)`,
  `INSERT INTO employees SELECT 10000 + seq, DATE '1985-01-01' + INTERVAL (seq * 2903) % 4700 DAY FROM seq_1_to_400`,
  `CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL,
     PRIMARY KEY (emp_no, from_date), FOREIGN KEY (emp_no) REFERENCES employees (emp_no) ON DELETE CASCADE)`,
  `INSERT INTO salaries SELECT e.emp_no, 40000 + (e.emp_no * 37) % 30000 + y.seq * (1500 + e.emp_no % 2000), e.hire_date + INTERVAL y.seq YEAR,
     IF(y.seq = (e.emp_no * 7) % 12 AND e.emp_no % 5 <> 0, DATE '${FOREVER}',
        e.hire_date + INTERVAL (y.seq + 1) YEAR - INTERVAL IF(y.seq = (e.emp_no * 7) % 12, 40 + e.emp_no % 200, 0) DAY)
   FROM employees e JOIN seq_0_to_11 y ON y.seq <= (e.emp_no * 7) % 12`,
];

const share = async (db: TestDatabase) =>
  Number((await db.query<{ n: string | number }>(`SELECT AVG(CASE WHEN to_date = DATE '${FOREVER}' THEN 1 ELSE 0 END) AS n FROM salaries`))[0]!.n);

/** The target's salaries as the run's own copy filter judges them against every source row: exact copies. */
async function exactCopies(source: TestDatabase, target: TestDatabase): Promise<number> {
  const q = `SELECT salary, CAST(to_date AS CHAR(10)) AS to_date FROM salaries`;
  const rows = async (db: TestDatabase) => (await db.query<{ salary: number; to_date: string }>(q)).map((r) => [Number(r.salary), r.to_date]);
  const columns = ['salary', 'to_date'];
  const filter = new PrivacyFilter({ columns, rows: await rows(source) }, { columns: [{ name: 'salary', kind: 'numeric', step: 1 }, { name: 'to_date', kind: 'datetime' }], matchTolerance: 0.01 });
  return filter.filterBatch({ columns, rows: await rows(target) }).counts.exactCopies;
}

async function run(source: TestDatabase, target: TestDatabase, outDir: string | undefined, model: 'baseline' | 'learned') {
  // scope 'all': this fixture's employees name no one, so by default the dense salaries would pass as the holdout
  // allows (holdout-baseline.ts); the real employees table has names, which makes salaries personal and filtered.
  const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, model, training: { epochs: 30 }, quality: { enabled: false }, filters: { scope: 'all' } });
  const r = await hydrate({ config, target: 'dev' });
  expect(r.status).toBe('ok');
  expect(r.integrity.totalViolations).toBe(0);
  return r.privacy!.filters;
}

describe('copy filters keep the share of marker rows (employees salaries shape)', () => {
  const env = pgHydrationFixture('synth_h5mark', PG_FIXTURE);

  for (const model of ['baseline', 'learned'] as const) {
    it(`PostgreSQL, ${model}: the share of current rows stays the source's`, async () => {
      const filters = await run(env.source, env.target, env.outDir, model);
      const f = filters['public.salaries']!;
      // The filters did redraw rows here, so the share is theirs to keep.
      expect(f.regenerated).toBeGreaterThan(100);
      const src = await share(env.source);
      expect(src).toBeGreaterThan(0.1);
      expect(Math.abs((await share(env.target)) - src)).toBeLessThanOrEqual(0.05);
      expect(await exactCopies(env.source, env.target)).toBeLessThanOrEqual(5);
    }, 240_000);
  }

  it('MariaDB, baseline: the share of current rows stays the source\'s', async () => {
    const source = await createMysqlDatabase('synth_h5marks');
    const target = await createMysqlDatabase('synth_h5markd');
    try {
      for (const sql of MYSQL_FIXTURE) await source.exec(sql);
      const filters = await run(source, target, env.outDir, 'baseline');
      expect(Object.values(filters).some((f) => f.regenerated > 100)).toBe(true);
      const src = await share(source);
      expect(Math.abs((await share(target)) - src)).toBeLessThanOrEqual(0.05);
    } finally {
      await source.drop();
      // The swap leaves the previous data in a backup database beside the target.
      await dropWithBackup(target);
    }
  }, 240_000);
});
