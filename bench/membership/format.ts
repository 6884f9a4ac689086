// The membership bench's text: the final table, and the progress lines printed while it runs.
import type { Certificate, MinMedMax, Spread } from './analyze.js';
import type { BenchResult, KillRound } from './result.js';

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${Math.round(v)} ms`);
const ids = (xs: readonly number[]): string => (xs.length === 0 ? 'none' : xs.join(', '));
const pct = (p: number): string => `${+(p * 100).toFixed(3)}%`;

/** `mm:ss` since the start of the soak. */
export const clock = (elapsedMs: number): string => {
  const s = Math.max(0, Math.floor(elapsedMs / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, ' ')}:${String(s % 60).padStart(2, '0')}`;
};

const certLine = (c: Certificate): string => `epoch ${c.epoch}: ${c.kind.toUpperCase()} of node ${c.of} (applied by ${c.appliedBy} nodes)`;

/** A spread as `first / all`, naming who never applied it. */
const spreadText = (s: Spread | null): string =>
  s === null ? '–' : `${ms(s.firstMs)} / ${s.allMs === null ? `not all (missing ${ids(s.missing)})` : ms(s.allMs)}`;

export function formatRound(i: number, of: number, k: KillRound): string {
  return `kill ${i}/${of}: node ${k.node} · DOWN first / everywhere ${spreadText(k.down)} (${k.downProposals} proposals) · ` +
    `restart → healthy ${ms(k.healthyMs)} · UP first / everywhere ${k.up === null ? 'n/a (never DOWN)' : spreadText(k.up)}`;
}

export function formatResult(r: BenchResult): string {
  const p = r.params;
  const t = p.timers;
  const b = r.broadcasts;
  const lines = [
    `spinoza membership soak: ${p.nodes} node processes on 127.0.0.1, membership on with the default timers ` +
      `(probe every ${t.probePeriodMs} ms, timeout ${t.probeTimeoutMs} ms, k=${t.indirectProbes}, suspicion ${t.suspicionMs} ms, proposal ${t.proposalTimeoutMs} ms)`,
    `network: ${p.latencyMs} ± ${p.jitterMs} ms one-way, ${pct(p.loss)} frame loss per direction on every link (userspace mode, probed at up)`,
    `ran ${(r.soakMs / 60_000).toFixed(1)} min from every node healthy (soak ${p.minutes} min, kill rounds from minute ${p.killAtMinutes}), ` +
      `a broadcast every ${p.intervalMs / 1000} s from minute ${(r.workloadFromMs / 60_000).toFixed(1)} (after the impairment probe)` +
      (r.interrupted ? ' — INTERRUPTED, figures cover what ran' : '') + (r.error ? ` — FAILED: ${r.error}` : ''),
    '',
    `false positives (certified non-UP changes of live nodes): ${r.falsePositives.length}`,
    ...r.falsePositives.map((c) => `  ${certLine(c)}`),
    `suspicions of live nodes (detector verdicts, not certified): ${r.suspicionsOfLive.count} (nodes ${ids(r.suspicionsOfLive.nodes)})`,
    `DOWN proposals against live nodes: ${r.proposalsAgainstLive.count} (nodes ${ids(r.proposalsAgainstLive.nodes)})`,
    ...(r.duringStartUp.length > 0 ? [`certified during start-up (before every node was healthy; not counted): ${r.duringStartUp.map(certLine).join('; ')}`] : []),
    `certificates in all: ${r.certificates.length}; latest epoch ${Math.max(0, ...r.certificates.map((c) => c.epoch))}`,
    `broadcasts: ${b.sent} sent, ${b.accepted} accepted, ${b.proofFull} with a full proof, ${b.proofShort} short (${b.proofShortDuringKill} around a kill), ` +
      `${b.failed} failed, ${b.skipped} skipped` +
      ` · delivered to every live node (event logs): ${b.deliveredEverywhere}/${b.accepted}`,
    ...b.missing.map((m) => `  broadcast ${m.seq} (${m.id.slice(0, 12)}…) never delivered by ${ids(m.nodes)}`),
    ...(b.lastError ? [`  last failure: ${b.lastError}`] : []),
    '',
    killTable(r),
  ];
  return lines.join('\n') + '\n';
}

function killTable(r: BenchResult): string {
  if (r.kills.length === 0) return 'kills: none ran';
  const head = ['kill', 'node', 'DOWN first', 'DOWN all', 'proposals', 'healthy', 'UP all'];
  const num = (v: number | null): string => (v === null ? '–' : String(Math.round(v)));
  const rows = r.kills.map((k, i) => [String(i + 1), String(k.node), num(k.down.firstMs), allCell(k.down), String(k.downProposals), num(k.healthyMs), allCell(k.up)]);
  const s = r.summary;
  const stat = (name: 'min' | 'median' | 'max'): string[] =>
    [name, '', ...[s.downFirstMs, s.downAllMs, null, s.healthyMs, s.upAllMs].map((v: MinMedMax | null) => (v === null ? '' : String(Math.round(v[name]))))];
  const summary = r.kills.length > 1 ? [stat('min'), stat('median'), stat('max')] : [];
  const widths = head.map((h, i) => Math.max(h.length, ...[...rows, ...summary].map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = line(widths.map((w) => '-'.repeat(w)));
  return [
    'ms from SIGKILL to DOWN applied on the first / every live node (DOWN proposals made meanwhile); from restart to /health answering, and to UP applied on every live node',
    line(head), rule, ...rows.map(line), ...(summary.length > 0 ? [rule, ...summary.map(line)] : []),
  ].join('\n');
}

const allCell = (s: Spread | null): string => (s === null ? 'n/a' : s.allMs === null ? `– (${s.missing.length} missing)` : String(Math.round(s.allMs)));
