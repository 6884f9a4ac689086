// report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets) so it
// opens from a CI artifact or a scp'd state dir with nothing else around it.
import { REJECT_REASONS } from '../../node/wire/verdict.js';
import { SUMMARY_HEADERS, byzantineLine, impairmentLine, summaryCells } from './format.js';
import { fmtMs } from './numbers.js';
import type { Report } from './report.js';
import { maxOf, minPositive } from './scale.js';
import { PALETTE, escapeXml, plotSvg, type Band, type Series } from './svg.js';

/** Incomplete broadcasts listed on the page; report.json has them all. */
export const LOST_ROWS_SHOWN = 50;
/** Largest / smallest latency above which a plot's latency axis turns logarithmic. */
export const LOG_AXIS_SPREAD = 30;

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 20px}th,td{padding:3px 10px;border-bottom:1px solid #ddd}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:bold;border-top:2px solid #888}
.plots{display:flex;flex-wrap:wrap;gap:16px}.note{color:#666;font-size:0.9em}`;

export function renderHtml(report: Report): string {
  const title = `spinoza-testnet report${report.run.runId === null ? '' : ` — ${report.run.runId}`}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p>${escapeXml(runSummary(report))}</p>
${impairmentLine(report) === null ? '' : `<p>${escapeXml(impairmentLine(report)!)}</p>`}
<h2>Summary</h2>
${summaryTable(report)}
<p class="note">Latencies in ms from the initiator's timestamp. last = to the last live node (complete broadcasts only); node = every delivery. Ratios are rounded down.</p>
<div class="plots">
${cdfPlot(report)}
${timelinePlot(report)}
</div>
${chaosHtml(report)}
<h2>Lost</h2>
${lostTable(report)}
<h2>Rejected inputs</h2>
${rejectedTable(report)}
${inputNote(report)}
</body></html>
`;
}

function runSummary(r: Report): string {
  const { run } = r;
  const byzantine = byzantineLine(r);
  return `${run.backend ?? 'unknown'} backend: ${run.members} nodes, ${run.live.length} live, ${run.dead.length} dead (${run.dead.join(', ') || 'none'}), ${run.unreliable.length} unreliable; ${r.totals.messages} broadcasts.` +
    (byzantine === null ? '' : ` ${byzantine}.`);
}

function summaryTable(r: Report): string {
  const head = `<tr>${SUMMARY_HEADERS.map((h, i) => `<th class="${i === 0 ? '' : 'n'}">${escapeXml(h)}</th>`).join('')}</tr>`;
  const row = (cells: string[], cls: string): string => `<tr class="${cls}">${cells.map((c, i) => `<td class="${i === 0 ? '' : 'n'}">${escapeXml(c)}</td>`).join('')}</tr>`;
  const rows = r.strategies.map((g) => row(summaryCells(g), ''));
  if (r.strategies.length !== 1) rows.push(row(summaryCells(r.totals), 'total'));
  return `<table>${head}${rows.join('')}</table>`;
}

const colorOf = (r: Report, strategy: string): string => PALETTE[r.strategies.findIndex((g) => g.strategy === strategy) % PALETTE.length] ?? '#000';

function cdfPlot(r: Report): string {
  const series: Series[] = r.strategies.map((g) => ({ label: g.strategy, color: colorOf(r, g.strategy), points: g.cdf, mode: 'step' }));
  const xLog = spansDecades(r.strategies.flatMap((g) => g.cdf.map((p) => p[0])));
  return plotSvg({ title: 'Delivery CDF', xLabel: 'latency (ms)', yLabel: 'fraction of expected deliveries', series, yMax: 1, xLog });
}

/** Latency to the last live node per broadcast over the run; fault windows shaded behind. */
function timelinePlot(r: Report): string {
  const starts = [...r.messages.map((m) => m.publishedAt), ...(r.faults ?? []).map((f) => f.start)];
  const t0 = starts.length === 0 ? 0 : starts.reduce((a, b) => Math.min(a, b));
  const sec = (t: number): number => (t - t0) / 1000;
  const complete = r.messages.filter((m) => m.lastNodeMs !== null);
  const top = complete.reduce((a, m) => Math.max(a, m.lastNodeMs ?? 0), 0) || 1;
  const series: Series[] = r.strategies.map((g) => ({
    label: g.strategy,
    color: colorOf(r, g.strategy),
    mode: 'points',
    points: complete.filter((m) => m.strategy === g.strategy).map((m) => [sec(m.publishedAt), m.lastNodeMs ?? 0]),
  }));
  const incomplete = r.messages.filter((m) => m.lastNodeMs === null);
  // An incomplete broadcast has no last-node latency: mark it on the top edge so it is not missed.
  if (incomplete.length > 0) series.push({ label: 'incomplete', color: '#d00', mode: 'cross', points: incomplete.map((m) => [sec(m.publishedAt), Infinity]) });
  const bands: Band[] = (r.faults ?? []).map((f) => ({ start: sec(f.start), end: sec(f.end), label: f.label }));
  const yLog = spansDecades(complete.map((m) => m.lastNodeMs ?? 0));
  return plotSvg({ title: 'Latency to last live node over time', xLabel: 'publish time (s from start)', yLabel: 'ms', series, bands, yMax: top, yLog });
}

/** Latencies spanning more than ~1.5 decades read better on a log axis (tree next to ring). */
function spansDecades(values: readonly number[]): boolean {
  const lo = minPositive(values);
  return lo !== null && maxOf(values) / lo >= LOG_AXIS_SPREAD;
}

function lostTable(r: Report): string {
  const incomplete = r.messages.filter((m) => m.lost.length > 0);
  if (incomplete.length === 0) return '<p>None: every broadcast reached every live node.</p>';
  const rows = incomplete
    .slice(0, LOST_ROWS_SHOWN)
    .map((m) => `<tr><td>${escapeXml(m.id)}</td><td>${escapeXml(m.strategy)}</td><td class="n">${m.entry}</td><td class="n">${m.lost.length}/${m.expected}</td><td>${escapeXml(m.lost.join(', '))}</td></tr>`);
  const more = incomplete.length > LOST_ROWS_SHOWN ? `<p class="note">… and ${incomplete.length - LOST_ROWS_SHOWN} more in report.json.</p>` : '';
  return `<table><tr><th>id</th><th>strategy</th><th class="n">entry</th><th class="n">missing</th><th>missing nodes</th></tr>${rows.join('')}</table>${more}`;
}

function rejectedTable(r: Report): string {
  if (r.rejectedTotal === 0) return '<p>None.</p>';
  const rows = REJECT_REASONS.filter((k) => r.rejected[k] > 0).map((k) => `<tr><td>${k}</td><td class="n">${r.rejected[k]}</td></tr>`);
  return `<table><tr><th>reason</th><th class="n">count</th></tr>${rows.join('')}<tr class="total"><td>total</td><td class="n">${r.rejectedTotal}</td></tr></table>`;
}

function inputNote(r: Report): string {
  const i = r.input;
  if (!i) return '';
  const slowest = r.nodes.reduce<{ id: number; p99: number } | null>((best, n) => (n.deliveryMs.p99 !== null && (best === null || n.deliveryMs.p99 > best.p99) ? { id: n.id, p99: n.deliveryMs.p99 } : best), null);
  const slow = slowest === null ? '' : ` Slowest node by p99 delivery: ${slowest.id} (${fmtMs(slowest.p99)} ms).`;
  return `<p class="note">Read ${i.files} event files, ${i.events} events, ${i.malformed} malformed lines.${escapeXml(slow)}</p>`;
}

/** Misses by class and every fault of the log, with its window (the timeline shades the same windows). */
function chaosHtml(r: Report): string {
  const c = r.chaos;
  if (!c) return '';
  const row = (g: Report['totals']): string => `<tr><td>${escapeXml(g.strategy)}</td><td class="n">${g.misses.expected}</td><td class="n">${g.misses.lateAfterHeal}</td><td class="n">${g.misses.protocolFailure}</td></tr>`;
  const misses = [...r.strategies.map(row), ...(r.strategies.length !== 1 ? [row(r.totals)] : [])].join('');
  const t0 = Math.min(...(r.faults ?? []).map((f) => f.start), ...r.messages.map((m) => m.publishedAt));
  const sec = (t: number): string => ((t - t0) / 1000).toFixed(1);
  const faults = (r.faults ?? []).map((f) => `<tr><td>${escapeXml(f.label)}</td><td class="n">${sec(f.start)}</td><td class="n">${sec(f.end)}</td></tr>`).join('');
  return `<h2>Faults</h2>
<p>${c.faults} faults, ${c.open} still open at the end${c.downAtEnd.length > 0 ? `; down at the end: ${c.downAtEnd.join(', ')}` : ''}. A miss is <em>expected</em> when the node was down or cut off from the origin for the message's whole life, <em>late-after-heal</em> when it was delivered after a fault touching it healed, otherwise a <em>protocol failure</em>.</p>
<table><tr><th>misses</th><th class="n">expected</th><th class="n">late-after-heal</th><th class="n">protocol-failure</th></tr>${misses}</table>
<table><tr><th>fault</th><th class="n">from (s)</th><th class="n">to (s)</th></tr>${faults}</table>`;
}
