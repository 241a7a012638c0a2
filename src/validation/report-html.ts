/**
 * Renders a quality report as one self-contained HTML file: inline CSS and SVG only, no script, no network,
 * so it can be attached to a CI run or mailed and still open anywhere.
 */
import { describeSampling, formatScore, newRowsNote } from './quality/summary.js';
import type {
  ColumnDistribution,
  ColumnPairDetail,
  DiagnosticDetail,
  QualityReportResult,
  Score,
} from './quality/types.js';

export interface PrivacySummary {
  epsilonSpent: number;
  delta: number;
  /** ε (and optionally δ) spent per table; a bare number is ε. */
  perTable?: Record<string, number | { epsilon: number; delta?: number }> | Array<{ table: string; epsilon: number; delta?: number }>;
}

export interface RenderOptions {
  title?: string;
  /** Rendered as its own section when given. */
  privacy?: PrivacySummary;
  /** Shown in the header; defaults to now. */
  generatedAt?: Date;
  /** Heat-maps are capped at this many columns per table (the largest get unreadable). Default 30. */
  maxHeatmapColumns?: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const REAL = '#1f5fa8';
const SYN = '#f08a24';

/** Red → amber → green for a score in [0, 1]; grey for n/a. */
function scoreColor(s: Score): string {
  if (s === null) return '#c8c8c8';
  const v = Math.max(0, Math.min(1, s));
  const hue = Math.round(v * 120);
  return `hsl(${hue}, 62%, 46%)`;
}

/** Blue (−1) → white (0) → red (+1) for a correlation. */
function corrColor(r: Score): string {
  if (r === null) return '#d9d9d9';
  const v = Math.max(-1, Math.min(1, r));
  const light = Math.round(100 - Math.abs(v) * 55);
  return v >= 0 ? `hsl(4, 75%, ${light}%)` : `hsl(214, 75%, ${light}%)`;
}

function scoreBar(s: Score): string {
  const w = s === null ? 0 : Math.round(Math.max(0, Math.min(1, s)) * 100);
  return `<span class="bar"><span style="width:${w}%;background:${scoreColor(s)}"></span></span> <span class="num">${formatScore(s)}</span>`;
}

function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

function fmtAxis(v: number, sdtype: string): string {
  return sdtype === 'datetime' ? new Date(v).toISOString().slice(0, 10) : fmtNumber(v);
}

const W = 340;
const H = 170;
const PAD = { l: 34, r: 8, t: 10, b: 34 };

function histogramSvg(d: Extract<ColumnDistribution, { kind: 'continuous' }>): string {
  const n = d.real.length;
  const max = Math.max(1e-12, ...d.real, ...d.synthetic);
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const bw = pw / n;
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = PAD.l + i * bw;
    const rh = (d.real[i]! / max) * ph;
    const sh = (d.synthetic[i]! / max) * ph;
    bars.push(`<rect x="${(x + 1).toFixed(1)}" y="${(PAD.t + ph - rh).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${rh.toFixed(1)}" fill="${REAL}"><title>real ${(d.real[i]! * 100).toFixed(1)}%</title></rect>`);
    bars.push(`<rect x="${(x + bw / 2).toFixed(1)}" y="${(PAD.t + ph - sh).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${sh.toFixed(1)}" fill="${SYN}"><title>synthetic ${(d.synthetic[i]! * 100).toFixed(1)}%</title></rect>`);
  }
  const lo = d.edges[0]!;
  const hi = d.edges[d.edges.length - 1]!;
  return `<svg class="plot" role="img" aria-label="${esc(`${d.table}.${d.column} histogram`)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">
<line x1="${PAD.l}" y1="${PAD.t + ph}" x2="${W - PAD.r}" y2="${PAD.t + ph}" stroke="#888"/>
<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ph}" stroke="#888"/>
${bars.join('')}
<text x="${PAD.l}" y="${H - 18}" font-size="10" fill="#444">${esc(fmtAxis(lo, d.sdtype))}</text>
<text x="${W - PAD.r}" y="${H - 18}" font-size="10" fill="#444" text-anchor="end">${esc(fmtAxis(hi, d.sdtype))}</text>
<text x="${PAD.l - 4}" y="${PAD.t + 8}" font-size="10" fill="#444" text-anchor="end">${Math.round(max * 100)}%</text>
<text x="${PAD.l}" y="${H - 4}" font-size="10" fill="#666">nulls: real ${(d.realNulls * 100).toFixed(1)}%, synthetic ${(d.syntheticNulls * 100).toFixed(1)}%</text>
</svg>`;
}

function categoriesSvg(d: Extract<ColumnDistribution, { kind: 'discrete' }>): string {
  const cats = [...d.categories];
  if (d.otherReal > 0 || d.otherSynthetic > 0) cats.push({ label: '(other)', real: d.otherReal, synthetic: d.otherSynthetic });
  const rowH = 16;
  const labelW = 110;
  const h = PAD.t + cats.length * rowH + 6;
  const pw = W - labelW - 40;
  const max = Math.max(1e-12, ...cats.map((c) => Math.max(c.real, c.synthetic)));
  const rows = cats.map((c, i) => {
    const y = PAD.t + i * rowH;
    const label = c.label.length > 16 ? `${c.label.slice(0, 15)}…` : c.label;
    return `<text x="${labelW - 4}" y="${y + 11}" font-size="10" fill="#333" text-anchor="end">${esc(label)}<title>${esc(c.label)}</title></text>
<rect x="${labelW}" y="${y + 1}" width="${((c.real / max) * pw).toFixed(1)}" height="6" fill="${REAL}"><title>real ${(c.real * 100).toFixed(1)}%</title></rect>
<rect x="${labelW}" y="${y + 8}" width="${((c.synthetic / max) * pw).toFixed(1)}" height="6" fill="${SYN}"><title>synthetic ${(c.synthetic * 100).toFixed(1)}%</title></rect>
<text x="${labelW + ((Math.max(c.real, c.synthetic) / max) * pw + 3).toFixed(1)}" y="${y + 11}" font-size="9" fill="#666">${(c.real * 100).toFixed(0)}/${(c.synthetic * 100).toFixed(0)}%</text>`;
  });
  return `<svg class="plot" role="img" aria-label="${esc(`${d.table}.${d.column} categories`)}" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}</svg>`;
}

function heatmapSvg(
  title: string,
  names: string[],
  value: (a: string, b: string) => Score,
  color: (v: Score) => string,
): string {
  const cell = Math.max(12, Math.min(28, Math.floor(300 / Math.max(1, names.length))));
  const labelW = 100;
  const size = labelW + names.length * cell + 10;
  const rects: string[] = [];
  names.forEach((a, i) => {
    names.forEach((b, j) => {
      const v = i === j ? 1 : value(a, b);
      rects.push(`<rect x="${labelW + j * cell}" y="${labelW + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${color(v)}"><title>${esc(`${a} × ${b}: ${v === null ? 'n/a' : v.toFixed(3)}`)}</title></rect>`);
    });
  });
  const short = (s: string): string => (s.length > 14 ? `${s.slice(0, 13)}…` : s);
  const rowLabels = names.map((n, i) => `<text x="${labelW - 4}" y="${labelW + i * cell + cell * 0.7}" font-size="10" text-anchor="end" fill="#333">${esc(short(n))}</text>`);
  const colLabels = names.map((n, j) => {
    const x = labelW + j * cell + cell * 0.7;
    return `<text x="${x}" y="${labelW - 4}" font-size="10" fill="#333" transform="rotate(-60 ${x} ${labelW - 4})">${esc(short(n))}</text>`;
  });
  return `<figure class="heat"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" width="${size + 40}" height="${size}" viewBox="0 0 ${size + 40} ${size}" xmlns="http://www.w3.org/2000/svg">${rowLabels.join('')}${colLabels.join('')}${rects.join('')}</svg></figure>`;
}

function pairLookup(pairs: ColumnPairDetail[], field: 'score' | 'realCorrelation' | 'syntheticCorrelation') {
  const m = new Map<string, Score>();
  for (const p of pairs) {
    m.set(`${p.column1}\u0000${p.column2}`, p[field]);
    m.set(`${p.column2}\u0000${p.column1}`, p[field]);
  }
  return (a: string, b: string): Score => m.get(`${a}\u0000${b}`) ?? null;
}

function tableSection(report: QualityReportResult, table: string, maxHeat: number): string {
  const shapes = report.columnShapes.filter((s) => s.table === table);
  const pairs = report.columnPairTrends.filter((p) => p.table === table);
  const dists = report.distributions.filter((d) => d.table === table);
  const shapeRows = shapes
    .map((s) => `<tr><td>${esc(s.column)}</td><td>${s.metric}</td><td>${scoreBar(s.score)}</td><td class="err">${esc(s.error ?? '')}</td></tr>`)
    .join('');
  const plots = dists
    .map((d) => {
      const shape = shapes.find((s) => s.column === d.column);
      return `<div class="dist"><h4>${esc(d.column)} <small>${d.sdtype} · ${shape ? `${shape.metric} ${formatScore(shape.score)}` : ''}</small></h4>${d.kind === 'continuous' ? histogramSvg(d) : categoriesSvg(d)}</div>`;
    })
    .join('');
  const pairNames = [...new Set(pairs.flatMap((p) => [p.column1, p.column2]))].slice(0, maxHeat);
  const corrPairs = pairs.filter((p) => p.metric === 'CorrelationSimilarity');
  const corrNames = [...new Set(corrPairs.flatMap((p) => [p.column1, p.column2]))].slice(0, maxHeat);
  let heat = '';
  if (pairNames.length >= 2) heat += heatmapSvg('Pair similarity score (real vs synthetic)', pairNames, pairLookup(pairs, 'score'), scoreColor);
  if (corrNames.length >= 2) {
    heat += heatmapSvg('Correlation, real data', corrNames, pairLookup(corrPairs, 'realCorrelation'), corrColor);
    heat += heatmapSvg('Correlation, synthetic data', corrNames, pairLookup(corrPairs, 'syntheticCorrelation'), corrColor);
  }
  const rows = `${report.info.rowsReal[table] ?? 0} real rows, ${report.info.rowsSynthetic[table] ?? 0} synthetic rows`;
  return `<section class="table" id="table-${esc(table)}"><h2>Table ${esc(table)} <small>${rows}</small></h2>
${shapes.length > 0 ? `<h3>Column shapes</h3><table class="grid"><thead><tr><th>Column</th><th>Metric</th><th>Score</th><th></th></tr></thead><tbody>${shapeRows}</tbody></table>` : '<p class="muted">No scorable columns.</p>'}
${plots ? `<h3>Distributions <span class="legend"><i style="background:${REAL}"></i>real <i style="background:${SYN}"></i>synthetic</span></h3><div class="dists">${plots}</div>` : ''}
${heat ? `<h3>Column pair trends <small>(grey: not scored — constant column, or real-data correlation/association below the threshold)</small></h3><div class="heats">${heat}</div>` : ''}
</section>`;
}

function samplingNote(report: QualityReportResult): string {
  return describeSampling(report.sampling).map((l) => `<br>${esc(l)}`).join('');
}

function diagnosticsSection(report: QualityReportResult): string {
  const d = report.diagnostics;
  if (d.details.length === 0) return '';
  const row = (x: DiagnosticDetail): string =>
    `<tr><td>${esc(x.table)}</td><td>${esc(x.relationship ?? x.column ?? '')}</td><td>${x.metric}</td><td>${scoreBar(x.score)}</td><td class="muted">${esc(x.detail ?? '')}</td></tr>`;
  return `<section id="diagnostics"><h2>Diagnostics</h2>
<div class="cards">
<div class="card"><div class="label">Data validity</div><div class="value">${formatScore(d.dataValidity)}</div></div>
<div class="card"><div class="label">Referential integrity</div><div class="value">${formatScore(d.relationshipValidity)}</div></div>
<div class="card"><div class="label">New row synthesis</div><div class="value">${formatScore(d.newRowSynthesis)}</div>${newRowsNote(d) ? `<div class="muted">${esc(newRowsNote(d).trim().replace(/^\(|\)$/g, ''))}</div>` : ''}</div>
</div>
<table class="grid"><thead><tr><th>Table</th><th>Column / relationship</th><th>Metric</th><th>Score</th><th></th></tr></thead><tbody>${d.details.map(row).join('')}</tbody></table></section>`;
}

function privacySection(p: PrivacySummary | undefined): string {
  if (!p) return '';
  const entries: Array<[string, { epsilon: number; delta?: number }]> = Array.isArray(p.perTable)
    ? p.perTable.map((e) => [e.table, e])
    : Object.entries(p.perTable ?? {}).map(([t, v]) => [t, typeof v === 'number' ? { epsilon: v } : v]);
  const rows = entries
    .map(([t, v]) => `<tr><td>${esc(t)}</td><td class="num">${fmtNumber(v.epsilon)}</td><td class="num">${v.delta === undefined ? '' : fmtNumber(v.delta)}</td></tr>`)
    .join('');
  return `<section id="privacy"><h2>Privacy</h2>
<div class="cards"><div class="card"><div class="label">ε spent</div><div class="value" id="privacy-epsilon">${fmtNumber(p.epsilonSpent)}</div></div>
<div class="card"><div class="label">δ</div><div class="value">${fmtNumber(p.delta)}</div></div></div>
${rows ? `<table class="grid"><thead><tr><th>Table</th><th>ε</th><th>δ</th></tr></thead><tbody>${rows}</tbody></table>` : ''}</section>`;
}

function relationshipsSection(report: QualityReportResult): string {
  if (report.cardinality.length === 0) return '';
  const card = report.cardinality
    .map((c) => `<tr><td>${esc(`${c.childTable}.${c.foreignKey} → ${c.parentTable}`)}</td><td>${c.metric}</td><td>${scoreBar(c.score)}</td></tr>`)
    .join('');
  const inter = [...report.intertableTrends]
    .sort((a, b) => (a.score ?? 2) - (b.score ?? 2))
    .slice(0, 40)
    .map(
      (t) =>
        `<tr class="${t.meetsThreshold === true ? '' : 'muted'}"><td>${esc(`${t.parentTable}.${t.column1}`)}</td><td>${esc(`${t.childTable}.${t.column2}`)}</td><td>${t.metric}</td><td>${scoreBar(t.score)}</td><td>${t.meetsThreshold === true ? 'counted' : 'below threshold'}</td></tr>`,
    )
    .join('');
  return `<section id="relationships"><h2>Relationships</h2><h3>Cardinality</h3>
<table class="grid"><thead><tr><th>Relationship</th><th>Metric</th><th>Score</th></tr></thead><tbody>${card}</tbody></table>
${inter ? `<h3>Intertable trends <small>(lowest 40)</small></h3><table class="grid"><thead><tr><th>Parent column</th><th>Child column</th><th>Metric</th><th>Score</th><th></th></tr></thead><tbody>${inter}</tbody></table>` : ''}</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:24px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 8px}h4{margin:0 0 4px;font-size:13px}small,.muted{color:#777;font-weight:normal}
.overall{display:flex;gap:24px;align-items:center;margin:18px 0}
.big{font-size:44px;font-weight:700}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:10px 14px;min-width:170px}
.card .label{color:#666;font-size:12px}.card .value{font-size:22px;font-weight:600}
table.grid{border-collapse:collapse;background:#fff;width:100%;margin:6px 0}
table.grid th,table.grid td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:middle}
table.grid th{background:#fafafa;font-weight:600}
.bar{display:inline-block;width:90px;height:9px;background:#eee;border-radius:5px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%}
.num{font-variant-numeric:tabular-nums}.err{color:#a33;font-size:12px}
.dists{display:flex;flex-wrap:wrap;gap:12px}.dist{background:#fff;border:1px solid #e6e6e6;border-radius:8px;padding:8px}
.heats{display:flex;flex-wrap:wrap;gap:16px}.heat{background:#fff;border:1px solid #e6e6e6;border-radius:8px;padding:8px;margin:0}
.heat figcaption{font-size:12px;color:#555;margin-bottom:4px}
.legend{font-size:12px;font-weight:normal;color:#555;margin-left:8px}.legend i{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;vertical-align:middle}
`;

export function renderQualityReportHtml(report: QualityReportResult, options: RenderOptions = {}): string {
  const title = options.title ?? 'Synthetic data quality report';
  const when = (options.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 19);
  const maxHeat = options.maxHeatmapColumns ?? 30;
  const props = report.properties
    .map(
      (p) =>
        `<div class="card property" data-property="${esc(p.name)}"><div class="label">${esc(p.name)}</div><div class="value" style="color:${scoreColor(p.score)}">${formatScore(p.score)}</div></div>`,
    )
    .join('');
  const tables = Object.keys(report.info.rowsReal)
    .map((t) => tableSection(report, t, maxHeat))
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>${esc(title)}</h1><div class="muted">Generated ${esc(when)} UTC · ${report.info.tables} tables · SDMetrics QualityReport definitions (real-data thresholds: |r| &gt; ${report.info.realCorrelationThreshold}, Cramér's V &gt; ${report.info.realAssociationThreshold})${samplingNote(report)}</div></header>
<section id="scores"><div class="overall"><div><div class="muted">Overall quality</div><div class="big" id="overall-score" style="color:${scoreColor(report.overall)}">${formatScore(report.overall)}</div></div>
<div class="cards">${props}</div></div></section>
${privacySection(options.privacy)}
${diagnosticsSection(report)}
${relationshipsSection(report)}
${tables}
</main></body></html>
`;
}
