// The fault schedule of a chaos session: a pure function of (seed, duration, nodes, profile), so the
// same seed and manifest give the same schedule and a run can be replayed exactly (STYLE.md §2, §7).
// Rules (docs/chaos.md#schedule): protected nodes (the workload's entry) are never faulted; at most
// `maxDown` nodes are killed or paused at once; partitions do not overlap each other, nor do loss
// bursts; every fault ends by `healAtMs`, after which the network is whole again.
import { seededRandom } from '../../node/impairment/random.js';
import { SpinozaError } from '../errors.js';
import type { ChaosProfile } from './profile.js';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'loss';

/**
 * Who drops whose frames in a partition: `symmetric`, the cut side and the rest drop each other's;
 * `inbound`, the cut side drops everything from the rest (it goes deaf); `outbound`, the rest drops
 * everything from the cut side (it goes mute).
 */
export type PartitionMode = 'symmetric' | 'inbound' | 'outbound';

export interface PlannedFault {
  /** `f1`, `f2`, … in order of start. */
  id: string;
  kind: FaultKind;
  /** Start and end, ms from the session's start. */
  at: number;
  until: number;
  /** kill/pause: the nodes; partition: the cut side; loss: the nodes whose outgoing frames are lost. */
  nodes: number[];
  mode?: PartitionMode;
  /** loss: drop probability of each outgoing frame. */
  loss?: number;
}

export interface Schedule {
  version: 1;
  seed: string;
  profile: string;
  durationMs: number;
  /** Every fault has ended by then; the rest of the session is the heal phase. */
  healAtMs: number;
  nodes: number[];
  protected: number[];
  /** Most nodes killed or paused at once. */
  maxDown: number;
  faults: PlannedFault[];
}

export interface ScheduleInput {
  seed: string;
  durationMs: number;
  /** Every started node of the run. */
  nodes: readonly number[];
  /** Never faulted: the node the workload submits through. */
  protect: readonly number[];
  profile: ChaosProfile;
  profileName: string;
}

/**
 * A killed node is down past its planned end until its restart answers /health (a process start, a
 * directory load); the down bound counts that much more for kills. Measured here: 1–1.5 s on 2 cores.
 */
export const RESTART_ALLOWANCE_MS = 2_000;

const invalid = (message: string, hint: string): SpinozaError => new SpinozaError('chaos-invalid', message, hint);
type Interval = readonly [start: number, end: number];
type Rand = () => number;

export function planSchedule(input: ScheduleInput): Schedule {
  const { seed, durationMs, profile: p } = input;
  if (!Number.isInteger(durationMs) || durationMs <= 0) {
    throw invalid(`--duration: expected a whole number of milliseconds above 0, got ${durationMs}`, 'e.g. --duration 60s');
  }
  const nodes = [...new Set(input.nodes)].sort((a, b) => a - b);
  const all = new Set(nodes);
  const protect = [...new Set(input.protect)].sort((a, b) => a - b);
  const stranger = protect.find((id) => !all.has(id));
  if (stranger !== undefined) throw new SpinozaError('unknown-node', `node ${stranger} is not a started node of the run`, 'pick one from `spinoza status`');
  const shielded = new Set(protect);
  const candidates = nodes.filter((id) => !shielded.has(id));
  const healAtMs = Math.round(durationMs * (1 - p.healShare));
  const maxDown = Math.max(1, Math.floor(p.maxDown * nodes.length));
  const share = (s: number): number => (s > 0 ? Math.ceil(s * nodes.length - 1e-9) : 0);
  const side = (s: number): number => Math.max(1, Math.round(s * nodes.length));
  const rand = (stream: string): Rand => seededRandom(`spinoza/chaos/v1\0${seed}\0${stream}`);
  const window = { healAtMs, durationMs, healShare: p.healShare };

  const faults: Omit<PlannedFault, 'id'>[] = [];
  // Kills and pauses share one budget of nodes down at once, and never hit a node twice.
  const kills = share(p.kill);
  const pauses = share(p.pause);
  if (kills + pauses > candidates.length) {
    throw invalid(`the profile kills ${kills} and pauses ${pauses} nodes, but only ${candidates.length} may fail (node ${protect.join(', ')} carries the workload)`,
      'lower kill/pause in the chaos profile, or start more nodes');
  }
  const r = rand('down');
  const victims = shuffle(candidates, r).slice(0, kills + pauses);
  const down: Interval[] = [];
  victims.forEach((id, i) => {
    const kill = i < kills;
    const d = length(r, p.downMs, 'downMs', window);
    const extra = kill ? RESTART_ALLOWANCE_MS : 0;
    const at = place(down, d + extra, healAtMs + extra, maxDown, r, `${kills} kill(s) and ${pauses} pause(s) with at most ${maxDown} node(s) down at once`, window);
    down.push([at, at + d + extra]);
    faults.push({ kind: kill ? 'kill' : 'pause', at, until: at + d, nodes: [id] });
  });

  const rp = rand('partition');
  const cuts: Interval[] = [];
  for (let k = 0; k < p.partitions; k++) {
    const size = side(p.partitionShare);
    if (size > candidates.length) throw invalid(`a partition would cut off ${size} nodes, but only ${candidates.length} may fail`, 'lower partitionShare');
    const d = length(rp, p.partitionMs, 'partitionMs', window);
    const at = place(cuts, d, healAtMs, 1, rp, `${p.partitions} partition(s) one after another`, window);
    cuts.push([at, at + d]);
    const mode: PartitionMode = rp() < p.asymmetric ? (rp() < 0.5 ? 'inbound' : 'outbound') : 'symmetric';
    faults.push({ kind: 'partition', at, until: at + d, nodes: sortIds(shuffle(candidates, rp).slice(0, size)), mode });
  }

  const rl = rand('loss');
  const bursts: Interval[] = [];
  for (let k = 0; k < p.lossBursts; k++) {
    const size = Math.min(side(p.burstShare), candidates.length);
    if (size === 0) throw invalid('a loss burst needs a node that may fail', 'start more nodes');
    const d = length(rl, p.burstMs, 'burstMs', window);
    const at = place(bursts, d, healAtMs, 1, rl, `${p.lossBursts} loss burst(s) one after another`, window);
    bursts.push([at, at + d]);
    faults.push({ kind: 'loss', at, until: at + d, nodes: sortIds(shuffle(candidates, rl).slice(0, size)), loss: p.burstLoss });
  }
  // Background loss is the network's, not a node's: the workload's entry node suffers it too.
  if (p.loss > 0 && healAtMs > 0) faults.push({ kind: 'loss', at: 0, until: healAtMs, nodes: [...nodes], loss: p.loss });

  const ordered = faults.sort((a, b) => a.at - b.at || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.nodes[0] ?? 0) - (b.nodes[0] ?? 0));
  return {
    version: 1, seed, profile: input.profileName, durationMs, healAtMs, nodes, protected: protect, maxDown,
    faults: ordered.map((f, i) => ({ id: `f${i + 1}`, ...f })),
  };
}

const KIND_ORDER: Record<FaultKind, number> = { loss: 0, partition: 1, kill: 2, pause: 3 };

interface Window {
  healAtMs: number;
  durationMs: number;
  healShare: number;
}

/** A fault's length drawn from `[min, max]`, cut to what fits before the heal phase. */
function length(r: Rand, [min, max]: readonly [number, number], field: string, w: Window): number {
  if (min > w.healAtMs) {
    throw invalid(`${field}: a fault lasts at least ${min} ms, but every fault must end by ${w.healAtMs} ms `
      + `(the first ${Math.round((1 - w.healShare) * 100)}% of a ${w.durationMs} ms session)`, `raise --duration, or lower ${field} in the chaos profile`);
  }
  const hi = Math.min(max, w.healAtMs);
  return min + Math.floor(r() * (hi - min + 1));
}

/**
 * A start for a fault of length `d` in [0, end − d] such that, with it, no instant has more than
 * `limit` of `taken` in effect. Seeded tries first (spreading faults over the session), then the
 * earliest fit; none at all is a clear error, never a silently smaller schedule.
 */
export function place(taken: readonly Interval[], d: number, end: number, limit: number, r: Rand, what: string, w: Window): number {
  const latest = end - d;
  for (let i = 0; i < 32; i++) {
    const at = Math.floor(r() * (latest + 1));
    if (fits(taken, at, at + d, limit)) return at;
  }
  const starts = [0, ...taken.map(([, e]) => e)].filter((s) => s <= latest).sort((a, b) => a - b);
  const found = starts.find((s) => fits(taken, s, s + d, limit));
  if (found !== undefined) return found;
  throw invalid(`the schedule cannot fit ${what} before the heal phase at ${end} ms of ${w.durationMs} ms`,
    'raise --duration, shorten the faults, or allow more at once (maxDown) in the chaos profile');
}

/** Whether adding [s, e) keeps every instant at or below `limit` intervals (half-open: an end frees its slot). */
export function fits(taken: readonly Interval[], s: number, e: number, limit: number): boolean {
  const overlapping = taken.filter(([a, b]) => a < e && s < b);
  if (overlapping.length < limit) return true;
  return maxOverlap([...overlapping.map(([a, b]) => [Math.max(a, s), Math.min(b, e)] as const), [s, e]]) <= limit;
}

/** Most intervals in effect at one instant (ends sort before starts at the same time). */
export function maxOverlap(intervals: readonly Interval[]): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step;
    most = Math.max(most, now);
  }
  return most;
}

function shuffle<T>(xs: readonly T[], r: Rand): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const sortIds = (ids: number[]): number[] => ids.sort((a, b) => a - b);
