// The report as a person reads it in a terminal: one row per strategy plus totals, then what
// went wrong (lost messages, rejected inputs, unreadable lines). The CLI prints it; we never do.
import { REJECT_REASONS } from '../../node/wire/verdict.js';
import { describeProfile } from '../impair/format.js';
import { fmtBytes, fmtMs, fmtNum, fmtPct } from './numbers.js';
import type { GroupStats, Report } from './report.js';
import { renderTable, type Column } from './table.js';

/** Incomplete messages listed in full; the rest are counted. */
export const LOST_MESSAGES_SHOWN = 10;
/** Missing node ids listed per message. */
export const LOST_NODES_SHOWN = 12;

const COLUMNS: Column[] = [
  { header: 'strategy', align: 'left' },
  { header: 'msgs', align: 'right' },
  { header: 'delivered', align: 'right' },
  { header: 'ratio', align: 'right' },
  { header: 'last p50', align: 'right' },
  { header: 'last p99', align: 'right' },
  { header: 'last max', align: 'right' },
  { header: 'node p50', align: 'right' },
  { header: 'node p99', align: 'right' },
  { header: 'dup/deliv', align: 'right' },
  { header: 'msgs/bc/node', align: 'right' },
  { header: 'bytes/bc/node', align: 'right' },
];

/** The cells of one summary row; shared with the HTML page so both show the same figures. */
export function summaryCells(g: GroupStats): string[] {
  return [
    g.strategy,
    String(g.messages),
    `${g.delivered}/${g.expected}`,
    fmtPct(g.deliveryRatio),
    fmtMs(g.lastNodeMs.p50),
    fmtMs(g.lastNodeMs.p99),
    fmtMs(g.lastNodeMs.max),
    fmtMs(g.deliveryMs.p50),
    fmtMs(g.deliveryMs.p99),
    fmtNum(g.duplicatesPerDelivery),
    fmtNum(g.messagesPerBroadcastPerNode),
    fmtBytes(g.bytesPerBroadcastPerNode),
  ];
}

export const SUMMARY_HEADERS: readonly string[] = COLUMNS.map((c) => c.header);

export function formatReport(report: Report): string {
  const rows = report.strategies.map(summaryCells);
  if (report.strategies.length !== 1) rows.push(summaryCells(report.totals));
  return [
    runLine(report),
    renderTable(COLUMNS, rows),
    'latencies in ms from the initiator timestamp; last = to the last live node (complete messages only), node = every delivery',
    ...byzantineSection(report),
    ...impairmentSection(report),
    ...chaosSection(report),
    ...lostSection(report),
    ...rejectedSection(report),
    ...inputSection(report),
    ...anomalySection(report),
  ].join('\n');
}

function runLine(r: Report): string {
  const { run } = r;
  const name = run.runId === null ? 'run' : `run ${run.runId}${run.backend === null ? '' : ` (${run.backend})`}`;
  const byzantine = run.byzantine.length > 0 ? `, ${run.byzantine.length} byzantine` : '';
  return `${name}: ${run.members} nodes, ${run.live.length} live, ${run.dead.length} dead, ${run.unreliable.length} unreliable${byzantine}; ${r.totals.messages} broadcasts`;
}

/** Which nodes were byzantine and what of theirs the figures leave out; nothing when there were none. */
export function byzantineLine(r: Report): string | null {
  const b = r.byzantine;
  if (b === undefined || r.run.byzantine.length === 0) return null;
  return `byzantine: nodes ${r.run.byzantine.join(', ')}, owed no delivery: ${b.deliveries} deliveries by them not counted, ` +
    `${b.broadcasts} broadcasts entered at them not judged`;
}

function byzantineSection(r: Report): string[] {
  const line = byzantineLine(r);
  return line === null ? [] : [line];
}

function lostSection(r: Report): string[] {
  const incomplete = r.messages.filter((m) => m.lost.length > 0);
  if (incomplete.length === 0) return [`lost: none (${r.totals.complete}/${r.totals.messages} broadcasts reached every live node)`];
  const lines = [`lost: ${incomplete.length} of ${r.totals.messages} broadcasts missed ${r.totals.lost} deliveries`];
  for (const m of incomplete.slice(0, LOST_MESSAGES_SHOWN)) {
    const shown = m.lost.slice(0, LOST_NODES_SHOWN).join(', ');
    const more = m.lost.length > LOST_NODES_SHOWN ? `, … ${m.lost.length - LOST_NODES_SHOWN} more` : '';
    lines.push(`  ${m.id} (${m.strategy}, via node ${m.entry}): ${m.lost.length}/${m.expected} missing: ${shown}${more}`);
  }
  if (incomplete.length > LOST_MESSAGES_SHOWN) lines.push(`  … and ${incomplete.length - LOST_MESSAGES_SHOWN} more broadcasts (see report.json)`);
  return lines;
}

function rejectedSection(r: Report): string[] {
  if (r.rejectedTotal === 0) return ['rejected: none'];
  const rows = REJECT_REASONS.filter((reason) => r.rejected[reason] > 0).map((reason) => [reason, String(r.rejected[reason])]);
  const table = renderTable([{ header: 'reason', align: 'left' }, { header: 'count', align: 'right' }], rows);
  return [`rejected: ${r.rejectedTotal} inputs`, ...table.split('\n').map((l) => `  ${l}`)];
}

function inputSection(r: Report): string[] {
  const i = r.input;
  if (!i) return [];
  const lines = [`input: ${i.files} event files, ${i.events} events, ${i.malformed} malformed lines`];
  const first = i.malformedSamples[0];
  if (first) lines.push(`  first malformed: ${first.file}:${first.line}: ${first.error}`);
  if (i.missingFiles.length > 0) lines.push(`  no events file for live nodes: ${i.missingFiles.join(', ')}`);
  return lines;
}

function anomalySection(r: Report): string[] {
  const found = Object.entries(r.anomalies).filter(([, n]) => n > 0);
  return found.length === 0 ? [] : [`anomalies: ${found.map(([k, n]) => `${k}=${n}`).join(', ')}`];
}

/** Which impairment was in effect and what the probe measured; nothing when it was not looked up. */
export function impairmentLine(r: Report): string | null {
  const i = r.impairment;
  if (i === undefined) return null;
  if (i === null || i.profile === null) return 'impairment: none applied';
  const probe = i.probe;
  const measured = probe === null ? 'not measured'
    : `probe ${probe.ok ? 'ok' : 'MISMATCH'}: ${probe.pairs.length} pairs, median RTT ${medianOf(probe.pairs.map((p) => p.rttMedianMs))} ms, lost ${probe.lost}/${probe.sent} pings`;
  return `impairment (${i.mode} mode, by ${i.source === 'up' ? 'the manifest at up' : '`spinoza shape`'}): ${describeProfile(i.profile)}; ${measured}`;
}

function impairmentSection(r: Report): string[] {
  const line = impairmentLine(r);
  return line === null ? [] : [line];
}

function chaosSection(r: Report): string[] {
  const c = r.chaos;
  if (!c) return [];
  const kinds = Object.entries(c.byKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [`faults: ${c.faults}${kinds ? ` (${kinds})` : ''}, ${c.open} still open${c.downAtEnd.length > 0 ? `, down at the end: ${c.downAtEnd.join(', ')}` : ''}`];
  const cols: Column[] = [{ header: 'misses', align: 'left' }, { header: 'expected', align: 'right' }, { header: 'late-after-heal', align: 'right' }, { header: 'protocol-failure', align: 'right' }];
  const row = (g: GroupStats): string[] => [g.strategy, String(g.misses.expected), String(g.misses.lateAfterHeal), String(g.misses.protocolFailure)];
  const rows = r.strategies.map(row);
  if (r.strategies.length !== 1) rows.push(row(r.totals));
  lines.push(...renderTable(cols, rows).split('\n').map((l) => `  ${l}`));
  const failed = r.messages.filter((m) => m.failures.length > 0);
  for (const m of failed.slice(0, LOST_MESSAGES_SHOWN)) lines.push(`  protocol failure: ${m.id} (via node ${m.entry}) never reached ${m.failures.slice(0, LOST_NODES_SHOWN).join(', ')}`);
  return lines;
}

function medianOf(xs: readonly (number | null)[]): string {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return v.length === 0 ? '–' : String(v[Math.floor((v.length - 1) / 2)]);
}
