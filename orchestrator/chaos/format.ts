// Text of `spinoza chaos`: the schedule (also --dry-run), progress lines, and the session's outcome.
import { formatReport } from '../checker/index.js';
import { faultLabel } from './fault-log.js';
import type { Schedule } from './schedule.js';
import type { ChaosProgress, ChaosResult } from './session.js';

const sec = (ms: number): string => `${(Math.round(ms / 100) / 10).toFixed(1)}s`;

/** The command that replays a session: same seed, duration, profile and entry node on the same manifest. */
export const replayCommand = (s: Schedule, via: number): string =>
  `spinoza chaos --seed ${JSON.stringify(s.seed)} --duration ${s.durationMs}ms --profile ${s.profile} --via ${via}`;

export function formatSchedule(s: Schedule, via: number): string {
  const kinds = countKinds(s.faults.map((f) => f.kind));
  const lines = [
    `chaos schedule: profile ${s.profile}, seed ${JSON.stringify(s.seed)}, ${sec(s.durationMs)} (every fault ends by ${sec(s.healAtMs)}), `
      + `${s.faults.length} fault(s)${kinds ? ` (${kinds})` : ''} on ${s.nodes.length} nodes, at most ${s.maxDown} down at once; node ${via} carries the workload and is never faulted`,
  ];
  for (const f of s.faults) lines.push(`  ${f.id.padEnd(4)} ${sec(f.at).padStart(7)} → ${sec(f.until).padStart(7)}  ${faultLabel(f, s.nodes.length)}`);
  lines.push(`replay: ${replayCommand(s, via)}`);
  return lines.join('\n') + '\n';
}

export function formatProgress(p: ChaosProgress): string {
  switch (p.phase) {
    case 'plan': return formatSchedule(p.schedule, p.via).trimEnd();
    case 'fault': {
      const r = p.record;
      return p.type === 'start'
        ? `  +${sec(p.elapsedMs)}  ${r.id} ${faultLabel(r, p.nodes)}`
        : `  +${sec(p.elapsedMs)}  ${r.id} healed after ${sec((r.end ?? r.start) - r.start)}`;
    }
    case 'running': {
      const w = p.workload;
      return `  +${sec(p.elapsedMs)}  of ${sec(p.durationMs)}: ${w.accepted} broadcasts accepted, ${w.inFlight} awaiting proof, ${p.activeFaults} fault(s) in effect`
        + (w.failed > 0 ? `, ${w.failed} failed (${w.lastError})` : '');
    }
    case 'healed': return `  +${sec(p.elapsedMs)}  every fault healed; the workload goes on over a whole network`;
    case 'settle': {
      const s = p.progress;
      return `settling: ${s.complete}/${s.total} nodes hold every accepted broadcast${s.missing > 0 ? ` (${s.missing} deliveries missing)` : ''}, ${sec(s.elapsedMs)}`;
    }
    case 'check': return 'checking the event logs against the fault log…';
  }
}

export function formatChaos(r: ChaosResult): string {
  const w = r.workload;
  const kinds = countKinds(r.faults.map((f) => f.kind));
  const lines = [
    `chaos session ${r.session} on run ${r.runId}: ${r.faults.length} fault(s)${kinds ? ` (${kinds})` : ''}, profile ${r.schedule.profile}, ${sec(r.schedule.durationMs)}`,
    `workload via node ${r.via}: ${w.sent} sent, ${w.accepted} accepted, proofs ${w.complete} complete + ${w.partial} partial, ${w.rejected} rejected, ${w.failed} failed${w.skipped > 0 ? `, ${w.skipped} ticks skipped` : ''}`,
    r.settle.ok
      ? `settled: every live node holds all ${w.accepted} accepted broadcasts, ${sec(r.settle.ms)} after the session`
      : `NOT settled after ${sec(r.settle.ms)}: ${r.settle.missing.map((m) => `node ${m.node} misses ${m.count}`).slice(0, 8).join('; ')}`,
    formatReport(r.report),
    `fault log: ${r.runDir}/faults.ndjson · report: ${r.files.html}`,
    `replay: ${replayCommand(r.schedule, r.via)}`,
    r.ok ? 'chaos ok: nothing accepted was lost, no protocol failure' : `chaos FAILED:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return lines.join('\n') + '\n';
}

function countKinds(kinds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}
