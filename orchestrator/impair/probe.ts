// After a profile is applied, measure what is really in effect: sampled pairs of nodes ping each other
// over their real links (GET /control/probe) and the figures are compared with the profile.
// Tolerance (stated in every result): per pair, the median RTT within max(5 ms, 20%) + jitter of
// the expected round trip; over all pings, the lost count within 4 standard deviations of the binomial
// (round-trip loss per pair 1-(1-p_ab)(1-p_ba)); a partitioned pair must lose every ping.
import { assignRegions, linkImpairment, seededRandom, type ImpairmentProfile } from '../../node/impairment/index.js';
import type { DirectoryData } from '../../node/directory/schema.js';
import { percentile, sortNumbers } from '../checker/percentile.js';
import { SpinozaError } from '../errors.js';
import { mapLimit } from '../health.js';
import { pingFrom, type ControlTarget } from './control.js';

export type ImpairmentMode = 'userspace' | 'kernel';

export const PROBE_TOLERANCE = 'per pair: median RTT within max(5 ms, 20%) + jitter of 2x one-way latency; '
  + 'all pairs: lost pings within 4 sigma of the binomial; partitioned pairs: every ping lost';

export interface ProbeOptions {
  /** Ordered pairs sampled (half of them among partitioned pairs when there are any). Default 8. */
  pairs?: number;
  /** Pings per pair. Default 40. */
  count?: number;
  /** Seeds the pair sample. */
  seed?: string;
  /** Pairs probed at once. Default 4. */
  concurrency?: number;
  mode?: ImpairmentMode;
  signal?: AbortSignal;
}

/** What one pair should show under the profile: pure. */
export interface PairExpectation {
  from: number;
  to: number;
  /** Null when the pair is partitioned (either direction blocked). */
  rttMs: number | null;
  toleranceMs: number | null;
  /** Probability a ping or its pong is lost. */
  loss: number;
}

export interface PairFigures extends PairExpectation {
  sent: number;
  lost: number;
  rttMedianMs: number | null;
  rttMeanMs: number | null;
  rttP95Ms: number | null;
  /** Whether the link opened before the counted pings. */
  linked: boolean;
}

export interface ProbeResult {
  mode: ImpairmentMode;
  profile: ImpairmentProfile | null;
  tolerance: string;
  pairs: PairFigures[];
  sent: number;
  lost: number;
  /** Over pairs that are not partitioned. */
  lossRate: number | null;
  expectedLost: number;
  lostBound: { min: number; max: number };
  ok: boolean;
  problems: string[];
}

export function expectPair(p: ImpairmentProfile | null, from: number, to: number, regionOf: (id: number) => string | undefined): PairExpectation {
  if (p === null) return { from, to, rttMs: 0, toleranceMs: 5, loss: 0 };
  const there = linkImpairment(p, from, to, regionOf);
  const back = linkImpairment(p, to, from, regionOf);
  if (there.blocked || back.blocked) return { from, to, rttMs: null, toleranceMs: null, loss: 1 };
  const rttMs = there.delayMs + back.delayMs;
  return { from, to, rttMs, toleranceMs: Math.max(5, 0.2 * rttMs) + p.jitterMs, loss: 1 - (1 - there.loss) * (1 - back.loss) };
}

/** Seeded ordered pairs of distinct live nodes; partitioned pairs get half the sample when present. */
export function samplePairs(live: readonly number[], p: ImpairmentProfile | null, n: number, seed: string): [number, number][] {
  const rand = seededRandom(`probe/${seed}`);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const alive = new Set(live);
  const grudges = Object.entries(p?.partition ?? {}).flatMap(([node, peers]) =>
    peers.filter((peer) => alive.has(peer) && alive.has(Number(node)) && peer !== Number(node)).map((peer) => [Number(node), peer] as [number, number]));
  const out = shuffle(grudges).slice(0, grudges.length > 0 ? Math.ceil(n / 2) : 0);
  const key = (a: number, b: number): string => `${a}>${b}`;
  const taken = new Set(out.map(([a, b]) => key(a, b)));
  const all = live.flatMap((a) => live.filter((b) => b !== a).map((b) => [a, b] as [number, number]));
  for (const [a, b] of shuffle(all)) {
    if (out.length >= n) break;
    if (!taken.has(key(a, b))) out.push([a, b]);
  }
  return out;
}

/** Compares measured figures with the profile: pure, so the verdict is tested without sockets. */
export function evaluateProbe(pairs: PairFigures[], profile: ImpairmentProfile | null, mode: ImpairmentMode): ProbeResult {
  const problems: string[] = [];
  let expectedLost = 0;
  let variance = 0;
  let lost = 0;
  let sent = 0;
  for (const f of pairs) {
    const at = `${f.from}→${f.to}`;
    if (f.rttMs === null) {
      if (f.lost < f.sent) problems.push(`${at}: partitioned, yet ${f.sent - f.lost} of ${f.sent} pings were answered`);
      continue;
    }
    sent += f.sent;
    lost += f.lost;
    expectedLost += f.sent * f.loss;
    variance += f.sent * f.loss * (1 - f.loss);
    if (f.rttMedianMs === null) problems.push(`${at}: no ping answered (expected RTT ${fmt(f.rttMs)} ms)${f.linked ? '' : '; the link never opened'}`);
    else if (Math.abs(f.rttMedianMs - f.rttMs) > f.toleranceMs!) {
      problems.push(`${at}: median RTT ${fmt(f.rttMedianMs)} ms, expected ${fmt(f.rttMs)} ± ${fmt(f.toleranceMs!)} ms`);
    }
  }
  const slack = 4 * Math.sqrt(variance);
  const lostBound = { min: Math.max(0, Math.ceil(expectedLost - slack)), max: Math.floor(expectedLost + slack) };
  if (lost < lostBound.min || lost > lostBound.max) {
    problems.push(`lost ${lost} of ${sent} pings, expected ${fmt(expectedLost)} (bound ${lostBound.min}..${lostBound.max}, 4 sigma)`);
  }
  return {
    mode, profile, tolerance: PROBE_TOLERANCE, pairs, sent, lost, lossRate: sent > 0 ? lost / sent : null,
    expectedLost, lostBound, ok: problems.length === 0, problems,
  };
}

/** Probes sampled pairs of `live` nodes and evaluates the figures against `profile`. */
export async function probe(target: ControlTarget, directory: DirectoryData, live: readonly number[],
  profile: ImpairmentProfile | null, o: ProbeOptions = {}): Promise<ProbeResult> {
  const count = o.count ?? 40;
  const regions = profile ? assignRegions(profile, directory.nodes.map((n) => n.id)) : new Map<number, string>();
  const byId = new Map(target.nodes.map((n) => [n.id, n]));
  const pairs = samplePairs(live.filter((id) => byId.has(id)), profile, o.pairs ?? 8, o.seed ?? 'probe');
  const jitter = profile?.jitterMs ?? 0;
  const maxDelay = Math.max(profile?.latencyMs ?? 0, ...Object.values(profile?.matrix ?? {}).flatMap((r) => Object.values(r)));
  // Pings further apart than 4x jitter never queue behind each other (FIFO would inflate RTTs).
  const intervalMs = Math.max(10, Math.ceil(4 * jitter) + 1);
  const timeoutMs = Math.ceil(2 * (maxDelay + jitter)) + 1000;
  const figures = await mapLimit(pairs, o.concurrency ?? 4, async ([from, to]): Promise<PairFigures> => {
    const expected = expectPair(profile, from, to, (id) => regions.get(id));
    // A partitioned pair needs no warm-up: its link is not supposed to open.
    const warmupMs = expected.rttMs === null ? 0 : 8000;
    const r = await pingFrom(byId.get(from)!, target.token, { peer: to, count, intervalMs, timeoutMs, warmupMs }, {
      timeoutMs: warmupMs + count * intervalMs + timeoutMs + 10_000, ...(o.signal && { signal: o.signal }),
    });
    const sorted = sortNumbers([...r.rttsMs]);
    const mean = sorted.length === 0 ? null : sorted.reduce((s, x) => s + x, 0) / sorted.length;
    return {
      ...expected, sent: r.sent, lost: r.lost, linked: r.linked, rttMeanMs: mean && round(mean),
      rttMedianMs: nullable(percentile(sorted, 50)), rttP95Ms: nullable(percentile(sorted, 95)),
    };
  });
  return evaluateProbe(figures, profile, o.mode ?? 'userspace');
}

/** Throws probe-mismatch when the measured figures deviate from the profile. */
export function assertProbe(r: ProbeResult): ProbeResult {
  if (r.ok) return r;
  throw new SpinozaError('probe-mismatch', `the network does not behave as the profile says (${r.mode} mode): ${r.problems.slice(0, 3).join('; ')}`
    + (r.problems.length > 3 ? `; and ${r.problems.length - 3} more` : ''),
  'a loaded machine inflates RTTs: retry, or run `spinoza shape --json` to see every measured pair');
}

const round = (x: number): number => Math.round(x * 100) / 100;
const nullable = (x: number | null): number | null => (x === null ? null : round(x));
const fmt = (x: number): string => String(round(x));
