// Pure figures of the membership bench: certificates deduplicated across nodes, which of them hit a
// node that was alive (false positives), how long a killed node took to be DOWN and a restarted one
// UP on every live node, and min/median/max over the kill rounds.
import type { Applied, Verdict } from './log.js';

/** When a node was not alive for our purposes: from its SIGKILL until it was UP again everywhere. */
export interface DeadWindow {
  node: number;
  from: number;
  /** Null while it is not back (or never came back). */
  until: number | null;
}

/** One certified change, as the network applied it. */
export interface Certificate {
  of: number;
  epoch: number;
  kind: string;
  /** When the first node applied it (the proposer, as a rule). */
  firstAt: number;
  /** Nodes that applied it. */
  appliedBy: number;
}

/** The same certificate reaches every node: one entry per (epoch, kind, subject), first application first. */
export function certificates(applied: readonly Applied[]): Certificate[] {
  const byKey = new Map<string, Certificate & { by: Set<number> }>();
  for (const a of applied) {
    const key = `${a.epoch}/${a.kind}/${a.of}`;
    const c = byKey.get(key) ?? { of: a.of, epoch: a.epoch, kind: a.kind, firstAt: a.t, appliedBy: 0, by: new Set<number>() };
    c.firstAt = Math.min(c.firstAt, a.t);
    c.by.add(a.observer);
    byKey.set(key, c);
  }
  return [...byKey.values()].map(({ by, ...c }) => ({ ...c, appliedBy: by.size })).sort((x, y) => x.firstAt - y.firstAt);
}

const deadAt = (windows: readonly DeadWindow[], node: number, t: number, graceMs = 0): boolean =>
  windows.some((w) => w.node === node && t >= w.from && (w.until === null || t <= w.until + graceMs));

/**
 * Certified changes other than UP (DOWN, a suspension, anything else) of a node that was alive when
 * first applied, from `since` on (before it, the network was still starting).
 */
export const falsePositives = (certs: readonly Certificate[], windows: readonly DeadWindow[], since: number): Certificate[] =>
  certs.filter((c) => c.kind !== 'up' && c.firstAt >= since && !deadAt(windows, c.of, c.firstAt));

/** Non-UP certificates first applied before `since` (start-up: some nodes not listening yet). */
export const beforeStart = (certs: readonly Certificate[], since: number): Certificate[] =>
  certs.filter((c) => c.kind !== 'up' && c.firstAt < since);

/**
 * Detector suspicions or DOWN proposals about a node that was alive. `graceMs` extends each dead
 * window: detectors take a probe or two to hear from a node that came back.
 */
export const againstLive = (verdicts: readonly Verdict[], windows: readonly DeadWindow[], since: number, graceMs: number): Verdict[] =>
  verdicts.filter((v) => v.kind !== 'up' && v.t >= since && !deadAt(windows, v.of, v.t, graceMs));

/** How long after `since` the change `kind` of `of` was applied: by the first observer, and by all of them. */
export interface Spread {
  firstMs: number | null;
  /** Null until every observer has applied it. */
  allMs: number | null;
  /** Observers that have not applied it (yet). */
  missing: number[];
}

export function timing(applied: readonly Applied[], of: number, kind: string, since: number, observers: readonly number[]): Spread {
  const at = new Map<number, number>();
  for (const a of applied) {
    if (a.of !== of || a.kind !== kind || a.t < since) continue;
    at.set(a.observer, Math.min(at.get(a.observer) ?? Infinity, a.t));
  }
  const seen = observers.filter((id) => at.has(id)).map((id) => at.get(id)! - since);
  const missing = observers.filter((id) => !at.has(id));
  return {
    firstMs: seen.length > 0 ? Math.min(...seen) : null,
    allMs: missing.length === 0 && seen.length > 0 ? Math.max(...seen) : null,
    missing,
  };
}

export interface MinMedMax {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** Null when there are no values. The median of an even count is the mean of the middle two. */
export function minMedMax(values: readonly (number | null)[]): MinMedMax | null {
  const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { min: xs[0]!, median, max: xs.at(-1)!, n: xs.length };
}

/** Nodes a broadcast sent at `at` had to reach: alive then, and not killed while it was delivered. */
export function expectedAt(live: readonly number[], windows: readonly DeadWindow[], at: number, deliveryMs: number): number[] {
  return live.filter((id) => !windows.some((w) => w.node === id && w.from <= at + deliveryMs && (w.until === null || w.until >= at)));
}

/** Seeded choice of `k` distinct victims (Fisher–Yates on a copy). */
export function pickVictims(candidates: readonly number[], k: number, random: () => number): number[] {
  const xs = [...candidates];
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs.slice(0, k);
}
