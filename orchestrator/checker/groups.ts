// Folds per-message results into the figures of one strategy (or of the whole run).
import { addMisses, noMisses } from './classify.js';
import { cdf, sortNumbers, summarize } from './percentile.js';
import type { GroupStats, MessageReport } from './report.js';

/** A message's report plus its raw delivery latencies (live nodes only), kept until grouped. */
export interface ScoredMessage {
  report: MessageReport;
  latencies: number[];
}

/** Figures for `messages`, all of one strategy or (with `all`) of every strategy. */
export function groupStats(strategy: string, messages: readonly ScoredMessage[], liveCount: number): GroupStats {
  let expected = 0;
  let delivered = 0;
  let complete = 0;
  let duplicates = 0;
  let forwarded = 0;
  let forwardedBytes = 0;
  const lastNode: number[] = [];
  const deliveries: number[] = [];
  const misses = noMisses();
  for (const { report: m, latencies } of messages) {
    addMisses(misses, m.misses);
    expected += m.expected;
    delivered += m.delivered;
    duplicates += m.duplicates;
    forwarded += m.forwarded;
    forwardedBytes += m.forwardedBytes;
    if (m.lastNodeMs !== null) {
      complete += 1;
      lastNode.push(m.lastNodeMs);
    }
    for (const l of latencies) deliveries.push(l);
  }
  const n = messages.length;
  const sorted = sortNumbers(deliveries);
  return {
    strategy,
    messages: n,
    expected,
    delivered,
    lost: expected - delivered,
    deliveryRatio: ratio(delivered, expected),
    complete,
    lastNodeMs: summarize(lastNode),
    deliveryMs: summarize(sorted),
    duplicates,
    duplicatesPerDelivery: ratio(duplicates, delivered),
    forwarded,
    forwardedBytes,
    messagesPerBroadcast: ratio(forwarded, n),
    bytesPerBroadcast: ratio(forwardedBytes, n),
    messagesPerBroadcastPerNode: ratio(forwarded, n * liveCount),
    bytesPerBroadcastPerNode: ratio(forwardedBytes, n * liveCount),
    cdf: cdf(sorted, expected),
    misses,
  };
}

/** a / b, or null when b is 0: "no data" must not read as a perfect or a zero score. */
export function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** One GroupStats per strategy, in name order. */
export function byStrategy(messages: readonly ScoredMessage[], liveCount: number): GroupStats[] {
  const groups = new Map<string, ScoredMessage[]>();
  for (const m of messages) {
    const list = groups.get(m.report.strategy);
    if (list) list.push(m);
    else groups.set(m.report.strategy, [m]);
  }
  return [...groups.keys()].sort().map((s) => groupStats(s, groups.get(s) ?? [], liveCount));
}
