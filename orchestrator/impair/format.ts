// Text of `spinoza shape`: the mode, the profile in effect, and the probe's measured figures.
import type { ImpairmentProfile } from '../../node/impairment/profile.js';
import type { ProbeResult } from './probe.js';
import type { ShapeResult } from './shape.js';

export function describeProfile(p: ImpairmentProfile | null): string {
  if (p === null) return 'none';
  const parts = [`latency ${p.latencyMs} ms${p.jitterMs > 0 ? ` ± ${p.jitterMs} ms` : ''}`, `loss ${round(p.loss * 100)}%`];
  if (p.bandwidth !== undefined) parts.push(`bandwidth ${round((p.bandwidth * 8) / 1e6)} mbit/s per link`);
  if (p.regions) parts.push(`regions ${Object.keys(p.regions).join(', ')}`);
  const grudges = Object.values(p.partition ?? {}).reduce((n, peers) => n + peers.length, 0);
  if (grudges > 0) parts.push(`partition: ${grudges} grudge(s)`);
  return parts.join(', ');
}

export function formatProbe(r: ProbeResult): string {
  const lines = [`probe: ${r.pairs.length} pair(s), ${r.pairs[0]?.sent ?? 0} pings each — ${r.tolerance}`];
  for (const f of r.pairs) {
    const expected = f.rttMs === null ? 'partitioned' : `expected ${round(f.rttMs)} ± ${round(f.toleranceMs!)} ms, loss ${round(f.loss * 100)}%`;
    const rtt = f.rttMedianMs === null ? 'no answer' : `rtt p50 ${f.rttMedianMs} p95 ${f.rttP95Ms} ms`;
    lines.push(`  ${`${f.from}→${f.to}`.padEnd(11)} ${rtt.padEnd(28)} lost ${f.lost}/${f.sent}   (${expected})`);
  }
  lines.push(`  lost ${r.lost} of ${r.sent} pings outside partitions (expected ${round(r.expectedLost)}, bound ${r.lostBound.min}..${r.lostBound.max})`);
  lines.push(r.ok ? 'ok: the measured network matches the profile' : `MISMATCH:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  return lines.join('\n');
}

export function formatShape(s: ShapeResult): string {
  return [
    `run ${s.runId}: impairment ${s.profile === null ? 'cleared' : 'applied'} (${s.mode} mode${s.modeReason ? `: ${s.modeReason}` : ''}) on ${s.applied.length} node(s)`,
    `in effect: ${describeProfile(s.profile)}`,
    formatProbe(s.probe),
  ].join('\n') + '\n';
}

const round = (x: number): number => Math.round(x * 100) / 100;
