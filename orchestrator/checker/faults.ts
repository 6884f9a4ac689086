// The fault log as the report shows it: shaded windows for the timeline, and a summary of what ran.
import { faultLabel, type FaultRecord } from '../chaos/fault-log.js';
import type { ChaosSummary, FaultWindow } from './report.js';

/** One window per fault; an open fault is shaded up to the horizon. */
export function faultWindows(faults: readonly FaultRecord[], horizon: number, liveCount: number): FaultWindow[] {
  return faults.map((f) => ({ start: f.start, end: f.end ?? Math.max(f.start, horizon), label: faultLabel(f, liveCount) }));
}

/** The latest time the log mentions (a fault's start or end). */
export const latestFaultTime = (faults: readonly FaultRecord[]): number =>
  faults.reduce((t, f) => Math.max(t, f.start, f.end ?? 0), -Infinity);

export function chaosSummary(faults: readonly FaultRecord[], live: ReadonlySet<number>, horizon: number): ChaosSummary {
  const byKind = { kill: 0, pause: 0, partition: 0, loss: 0 };
  for (const f of faults) byKind[f.kind] += 1;
  const open = faults.filter((f) => f.end === null);
  const down = new Set(open.filter((f) => f.kind === 'kill' || f.kind === 'pause').flatMap((f) => f.nodes).filter((id) => live.has(id)));
  return { faults: faults.length, byKind, open: open.length, horizon, downAtEnd: [...down].sort((a, b) => a - b) };
}
