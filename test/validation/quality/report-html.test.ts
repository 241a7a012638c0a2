/**
 * Renders a report of a realistic three-table data set, opens it in headless Chromium and checks what a
 * reader sees: the scores, SVG plots and heat-maps, diagnostics and the privacy section, with no request
 * leaving the page.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatQualitySummary, formatScore, qualityReport } from '../../../src/validation/quality/index.js';
import type { Cell, QualityData, QualityMetadata } from '../../../src/validation/quality/index.js';
import { renderQualityReportHtml } from '../../../src/validation/report-html.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skipReason = hasChromium ? '' : ` [SKIPPED: ${CHROMIUM} is not installed — apt-get install -y chromium]`;
if (!hasChromium) console.warn(`report-html browser test skipped: ${CHROMIUM} is not installed`);

/** Small deterministic generator so real and "synthetic" differ a little but in a controlled way. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function dataset(seed: number, drift: number): QualityData {
  const rnd = lcg(seed);
  const users: Cell[][] = [];
  const orders: Cell[][] = [];
  const items: Cell[][] = [];
  const countries = ['FR', 'DE', 'US', 'JP', 'BR'];
  for (let u = 0; u < 120; u++) {
    const age = Math.round(18 + rnd() * 50 + drift * 5);
    users.push([u, age, countries[Math.floor(rnd() ** (1 + drift) * countries.length)]!, rnd() < 0.3 + drift * 0.1, rnd() < 0.05 ? null : 20_000 + age * 900 + rnd() * 8000]);
    const n = Math.floor(rnd() * (4 + drift * 2));
    for (let k = 0; k < n; k++) {
      const id = orders.length;
      const day = Math.floor(rnd() * 700);
      orders.push([id, u, new Date(Date.UTC(2023, 0, 1) + day * 86_400_000).toISOString().slice(0, 10), rnd() < 0.8 ? 'paid' : 'refunded', Number((10 + age * 2 + rnd() * 40).toFixed(2))]);
      for (let j = 0; j < 1 + Math.floor(rnd() * 3); j++) items.push([items.length, id, Math.ceil(rnd() * 5), `${(rnd() * 100).toFixed(2)}`]);
    }
  }
  return {
    users: { columns: ['id', 'age', 'country', 'vip', 'income'], rows: users },
    orders: { columns: ['id', 'user_id', 'ordered_on', 'status', 'amount'], rows: orders },
    items: { columns: ['id', 'order_id', 'quantity', 'price'], rows: items },
  };
}

const metadata: QualityMetadata = {
  tables: {
    users: { primaryKey: 'id', columns: { id: { sdtype: 'id' }, age: { sdtype: 'numerical' }, country: { sdtype: 'categorical' }, vip: { sdtype: 'boolean' }, income: { sdtype: 'numerical' } } },
    orders: { primaryKey: 'id', columns: { id: { sdtype: 'id' }, user_id: { sdtype: 'id' }, ordered_on: { sdtype: 'datetime' }, status: { sdtype: 'categorical' }, amount: { sdtype: 'numerical' } } },
    items: { primaryKey: 'id', columns: { id: { sdtype: 'id' }, order_id: { sdtype: 'id' }, quantity: { sdtype: 'numerical' }, price: { sdtype: 'numerical' } } },
  },
  relationships: [
    { parentTable: 'users', parentPrimaryKey: 'id', childTable: 'orders', childForeignKey: 'user_id' },
    { parentTable: 'orders', parentPrimaryKey: 'id', childTable: 'items', childForeignKey: 'order_id' },
  ],
};

describe('quality report HTML', () => {
  const real = dataset(1, 0);
  const synthetic = dataset(2, 0.4);
  const report = qualityReport(real, synthetic, metadata);
  const privacy = { epsilonSpent: 2.75, delta: 1e-6, perTable: { users: { epsilon: 1.25 }, orders: { epsilon: 1, delta: 1e-6 }, items: 0.5 } };
  const html = renderQualityReportHtml(report, { privacy, title: 'Quality <demo>' });

  it('scores a realistic data set with every property and diagnostic populated', () => {
    for (const p of report.properties) {
      expect(p.score, p.name).not.toBeNull();
      expect(p.score!).toBeGreaterThan(0);
      expect(p.score!).toBeLessThanOrEqual(1);
    }
    expect(report.overall!).toBeLessThan(1);
    expect(report.intertableTrends.length).toBeGreaterThan(0);
    expect(report.diagnostics.relationshipValidity).toBe(1);
    expect(report.diagnostics.newRowSynthesis!).toBeGreaterThan(0.5);
    const summary = formatQualitySummary(report);
    expect(summary).toContain(`Overall quality`);
    expect(summary).toContain(formatScore(report.overall));
    for (const p of report.properties) expect(summary).toContain(p.name);
    // orders.ordered_on is a datetime: the new-rows figure says how it was compared, in the summary, per table and on the card.
    expect(summary).toMatch(/new rows \d+\.\d+% \(datetimes compared within 1 % of their range\)/);
    const orders = report.diagnostics.details.find((d) => d.metric === 'NewRowSynthesis' && d.table === 'orders')!;
    expect(orders.detail).toContain('datetimes compared within 1 % of their range');
    const users = report.diagnostics.details.find((d) => d.metric === 'NewRowSynthesis' && d.table === 'users')!;
    expect(users.detail).not.toContain('datetimes');
    expect(html).toContain('<div class="muted">datetimes compared within 1 % of their range</div>');
  });

  it('is one self-contained file: no scripts, no external references, escaped text', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(?:src|href)=["']?https?:/i);
    expect(html).toContain('Quality &lt;demo&gt;');
    expect(html).toContain('<svg');
    expect(html).toContain('<td>items</td><td class="num">0.5</td>');
    const listed = renderQualityReportHtml(report, { privacy: { epsilonSpent: 1, delta: 0, perTable: [{ table: 'users', epsilon: 1 }] } });
    expect(listed).toContain('<td>users</td><td class="num">1</td>');
    expect(renderQualityReportHtml(report)).not.toContain('id="privacy"');
  });

  it(`shows scores, plots, heat-maps, diagnostics and privacy in headless Chromium${skipReason}`, { skip: !hasChromium }, async () => {
    const { chromium } = await import('playwright-core');
    const dir = await mkdtemp(join(tmpdir(), 'synth-quality-html-'));
    const file = join(dir, 'report.html');
    await writeFile(file, html);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) external.push(r.url());
      });
      await page.goto(pathToFileURL(file).href);
      await expect.poll(() => page.locator('#overall-score').isVisible()).toBe(true);
      expect((await page.locator('#overall-score').textContent())?.trim()).toBe(formatScore(report.overall));
      for (const p of report.properties) {
        const card = page.locator(`.property[data-property="${p.name}"] .value`);
        expect(await card.isVisible()).toBe(true);
        expect((await card.textContent())?.trim()).toBe(formatScore(p.score));
      }
      const plots = page.locator('svg.plot');
      expect(await plots.count()).toBe(report.distributions.length);
      const firstPlot = plots.first();
      await firstPlot.scrollIntoViewIfNeeded();
      expect(await firstPlot.isVisible()).toBe(true);
      const box = await firstPlot.boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(await page.locator('svg.plot rect').count()).toBeGreaterThan(50);
      expect(await page.locator('figure.heat').count()).toBeGreaterThanOrEqual(3);
      expect(await page.locator('figure.heat').first().isVisible()).toBe(true);
      expect(await page.locator('#diagnostics').isVisible()).toBe(true);
      expect((await page.locator('#privacy-epsilon').textContent())?.trim()).toBe('2.75');
      const screenshot = join(dir, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(existsSync(screenshot)).toBe(true);
      console.log(`quality report screenshot: ${screenshot}`);
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
