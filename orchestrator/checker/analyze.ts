// The checker's core: a pure fold of node events into a Report, classified against who was
// started (live), who was started misbehaving (byzantine) and who never was (dead). No I/O, no
// clock: the same events give the same report.
// DESIGN.md §4 (Checker). Events may come in any order (files are read node by node), so
// everything is keyed by message id and resolved in finish(), once the published events are known.
import type { NodeEvent } from '../../node/events/schema.js';
import { REJECT_REASONS, type RejectReason } from '../../node/wire/verdict.js';
import type { FaultRecord } from '../chaos/fault-log.js';
import type { ImpairmentRecord } from '../impair/record.js';
import { createClassifier, type Verdict } from './classify.js';
import { chaosSummary, faultWindows, latestFaultTime } from './faults.js';
import { byStrategy, groupStats, type ScoredMessage } from './groups.js';
import { summarize } from './percentile.js';
import type { Anomalies, ByzantineSummary, FaultWindow, InputSummary, MessageReport, NodeReport, Report } from './report.js';

export interface Membership {
  /** Nodes started: every broadcast is expected at each of them. */
  live: readonly number[];
  /** Nodes in the directory that were never started. */
  dead: readonly number[];
  /** Every node id in the run's directory: genesis, or the one `spinoza join` verified after it. */
  members: readonly number[];
  unreliable?: readonly number[];
  /**
   * Started with a byzantine behaviour: owed no delivery (they may or may not deliver), so neither
   * expected nor unexpected; and a broadcast one of them entered is owed none either, so it is not judged.
   */
  byzantine?: readonly number[];
}

export interface AnalyzeOptions extends Membership {
  runId?: string;
  backend?: string;
  input?: InputSummary;
  /** Windows to shade; default: one per record of `faultLog`. */
  faults?: FaultWindow[];
  /** The chaos fault log: misses are classified against it (classify.ts). */
  faultLog?: readonly FaultRecord[];
  /** End of observation; default the latest event or fault time. */
  horizon?: number;
  /** See ClassifyOptions.inFlightMs. */
  inFlightMs?: number;
  /** What impairment.json says was in effect (null: none). */
  impairment?: ImpairmentRecord | null;
}

type Published = Extract<NodeEvent, { ev: 'published' }>;

interface MessageAcc {
  published: Published | undefined;
  /** First `delivered` time per node. */
  deliveredAt: Map<number, number>;
  duplicates: number;
  forwarded: number;
  forwardedBytes: number;
  /** Events about this id (other than published), to count them if nobody published it. */
  events: number;
}

interface NodeAcc {
  duplicatesReceived: number;
  forwarded: number;
  forwardedBytes: number;
  rejected: number;
}

export interface Analyzer {
  add(event: NodeEvent): void;
  /**
   * Resolves everything seen so far; `input` (what the loader read) overrides options.input.
   * Leaves the accumulated state as it was, so it may be called again after more events.
   */
  finish(input?: InputSummary): Report;
}

/** Incremental form, so the loader can stream millions of events without keeping them. */
export function createAnalyzer(options: AnalyzeOptions): Analyzer {
  const messages = new Map<string, MessageAcc>();
  const nodes = new Map<number, NodeAcc>();
  const rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  const anomalies: Anomalies = { unknownMessageEvents: 0, unexpectedDeliveries: 0, republished: 0, redelivered: 0 };
  let latest = -Infinity;

  const message = (id: string): MessageAcc => {
    let m = messages.get(id);
    if (!m) messages.set(id, (m = { published: undefined, deliveredAt: new Map(), duplicates: 0, forwarded: 0, forwardedBytes: 0, events: 0 }));
    return m;
  };
  const node = (id: number): NodeAcc => {
    let n = nodes.get(id);
    if (!n) nodes.set(id, (n = { duplicatesReceived: 0, forwarded: 0, forwardedBytes: 0, rejected: 0 }));
    return n;
  };

  function add(e: NodeEvent): void {
    if (e.t > latest) latest = e.t;
    switch (e.ev) {
      case 'published': {
        const m = message(e.id);
        // A client may retry through another entry node; the first acceptance is the broadcast.
        if (m.published === undefined || e.t < m.published.t) {
          if (m.published !== undefined) anomalies.republished += 1;
          m.published = e;
        } else anomalies.republished += 1;
        return;
      }
      case 'delivered': {
        const m = message(e.id);
        m.events += 1;
        const prev = m.deliveredAt.get(e.node);
        if (prev !== undefined) anomalies.redelivered += 1;
        if (prev === undefined || e.t < prev) m.deliveredAt.set(e.node, e.t);
        return;
      }
      case 'received': {
        const m = message(e.id);
        m.events += 1;
        if (e.dup) {
          m.duplicates += 1;
          node(e.node).duplicatesReceived += 1;
        }
        return;
      }
      case 'forwarded': {
        const m = message(e.id);
        m.events += 1;
        m.forwarded += 1;
        m.forwardedBytes += e.bytes;
        const n = node(e.node);
        n.forwarded += 1;
        n.forwardedBytes += e.bytes;
        return;
      }
      case 'rejected':
        rejected[e.reason] += 1;
        node(e.node).rejected += 1;
        return;
      default:
        // started, stopped, routed-around, proof: not needed for delivery figures.
        return;
    }
  }

  function finish(input: InputSummary | undefined = options.input): Report {
    const live = new Set(options.live);
    const byzantine = new Set(options.byzantine ?? []);
    const byzantineSeen: ByzantineSummary = { deliveries: 0, broadcasts: 0 };
    const found: Anomalies = { ...anomalies };
    const latencies = new Map<number, number[]>();
    const scored: ScoredMessage[] = [];
    const faultLog = options.faultLog ?? [];
    const horizon = options.horizon ?? Math.max(latest, latestFaultTime(faultLog), 0);
    const classify = createClassifier({ faults: faultLog, horizon, ...(options.inFlightMs !== undefined && { inFlightMs: options.inFlightMs }) });
    for (const [id, m] of messages) {
      if (m.published === undefined) {
        found.unknownMessageEvents += m.events;
        continue;
      }
      if (byzantine.has(m.published.node)) {
        byzantineSeen.broadcasts += 1;
        continue;
      }
      const verdict = classify({ entry: m.published.node, publishedAt: m.published.t, deliveredAt: m.deliveredAt }, live);
      scored.push(scoreMessage(id, m, m.published, { live, byzantine }, latencies, found, verdict));
      byzantineSeen.deliveries += [...m.deliveredAt.keys()].filter((n) => byzantine.has(n)).length;
    }
    scored.sort((a, b) => a.report.publishedAt - b.report.publishedAt || (a.report.id < b.report.id ? -1 : 1));
    const report: Report = {
      version: 1,
      run: {
        runId: options.runId ?? null,
        backend: options.backend ?? null,
        members: options.members.length,
        live: sortedIds(options.live),
        dead: sortedIds(options.dead),
        unreliable: sortedIds(options.unreliable ?? []),
        byzantine: sortedIds(options.byzantine ?? []),
      },
      ...(input ? { input } : {}),
      totals: groupStats('all', scored, live.size),
      strategies: byStrategy(scored, live.size),
      messages: scored.map((s) => s.report),
      nodes: nodeReports(options, nodes, latencies),
      rejected: { ...rejected },
      rejectedTotal: Object.values(rejected).reduce((a, b) => a + b, 0),
      anomalies: found,
    };
    const windows = options.faults ?? (options.faultLog ? faultWindows(options.faultLog, horizon, live.size) : undefined);
    if (windows) report.faults = windows;
    if (options.faultLog) report.chaos = chaosSummary(options.faultLog, live, horizon);
    if (options.impairment !== undefined) report.impairment = options.impairment;
    if (byzantine.size > 0) report.byzantine = byzantineSeen;
    return report;
  }

  return { add, finish };
}

/** The whole fold at once: `analyze(events, { live, dead, members })`. */
export function analyze(events: Iterable<NodeEvent>, options: AnalyzeOptions): Report {
  const a = createAnalyzer(options);
  for (const e of events) a.add(e);
  return a.finish();
}

function scoreMessage(
  id: string,
  m: MessageAcc,
  p: Published,
  { live, byzantine }: { live: ReadonlySet<number>; byzantine: ReadonlySet<number> },
  nodeLatencies: Map<number, number[]>,
  anomalies: Anomalies,
  verdict: Verdict,
): ScoredMessage {
  const latencies: number[] = [];
  for (const [n, t] of m.deliveredAt) {
    // Latency counts from the initiator's timestamp, as the client would measure it.
    const latency = t - p.ts;
    const perNode = nodeLatencies.get(n);
    if (perNode) perNode.push(latency);
    else nodeLatencies.set(n, [latency]);
    if (live.has(n)) latencies.push(latency);
    else if (!byzantine.has(n)) anomalies.unexpectedDeliveries += 1;
  }
  const lost = [...live].filter((n) => !m.deliveredAt.has(n)).sort((a, b) => a - b);
  const deliveryMs = summarize(latencies);
  const report: MessageReport = {
    id,
    strategy: p.strategy,
    entry: p.node,
    from: p.from,
    ts: p.ts,
    publishedAt: p.t,
    expected: live.size,
    delivered: latencies.length,
    lost,
    lastNodeMs: lost.length === 0 && live.size > 0 ? deliveryMs.max : null,
    deliveryMs,
    duplicates: m.duplicates,
    forwarded: m.forwarded,
    forwardedBytes: m.forwardedBytes,
    misses: verdict.misses,
    failures: verdict.failures,
  };
  return { report, latencies };
}

/** Every node the run knows of or that logged anything, ascending by id. */
function nodeReports(options: AnalyzeOptions, nodes: ReadonlyMap<number, NodeAcc>, latencies: ReadonlyMap<number, number[]>): NodeReport[] {
  const live = new Set(options.live);
  const dead = new Set(options.dead);
  const unreliable = new Set(options.unreliable ?? []);
  const byzantine = new Set(options.byzantine ?? []);
  const ids = new Set([...options.members, ...options.live, ...options.dead, ...byzantine, ...nodes.keys(), ...latencies.keys()]);
  return sortedIds([...ids]).map((id) => {
    const n = nodes.get(id);
    const l = latencies.get(id) ?? [];
    return {
      id,
      status: live.has(id) ? 'live' : byzantine.has(id) ? 'byzantine' : dead.has(id) ? 'dead' : 'unlisted',
      unreliable: unreliable.has(id),
      delivered: l.length,
      deliveryMs: summarize(l),
      duplicatesReceived: n?.duplicatesReceived ?? 0,
      forwarded: n?.forwarded ?? 0,
      forwardedBytes: n?.forwardedBytes ?? 0,
      rejected: n?.rejected ?? 0,
    };
  });
}

function sortedIds(ids: readonly number[]): number[] {
  return [...ids].sort((a, b) => a - b);
}
