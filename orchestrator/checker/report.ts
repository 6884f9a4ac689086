// The checker's report: plain JSON (numbers, strings, arrays, null), written as report.json.
// A figure that cannot be computed (no samples, nothing expected) is null, never NaN or Infinity,
// so JSON.parse(JSON.stringify(report)) gives the same report back.
import type { RejectReason } from '../../node/wire/verdict.js';
import type { ImpairmentRecord } from '../impair/record.js';
import type { MissCounts } from './classify.js';

export type { MissCounts } from './classify.js';

/** Nearest-rank percentiles over a set of samples (see percentile.ts); null when there are none. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** One point of a delivery CDF: `fraction` of expected deliveries happened within `ms`. */
export type CdfPoint = [ms: number, fraction: number];

/** Figures for a group of broadcasts: one strategy, or all of them (the totals row). */
export interface GroupStats {
  /** Strategy name, or `all` for the totals. */
  strategy: string;
  messages: number;
  /** Sum over messages of the live nodes expected to deliver it. */
  expected: number;
  /** Deliveries by expected (live) nodes. */
  delivered: number;
  lost: number;
  /** delivered / expected; null when nothing was expected. */
  deliveryRatio: number | null;
  /** Messages delivered by every live node. */
  complete: number;
  /** Latency to the last live node, over complete messages only (an incomplete one has none). */
  lastNodeMs: LatencySummary;
  /** Latency of every delivery (publish ts → delivered.t), pooled over messages and nodes. */
  deliveryMs: LatencySummary;
  /** `received` frames flagged as duplicates. */
  duplicates: number;
  duplicatesPerDelivery: number | null;
  /** `forwarded` frames and their bytes, all nodes. */
  forwarded: number;
  forwardedBytes: number;
  messagesPerBroadcast: number | null;
  bytesPerBroadcast: number | null;
  /** Per broadcast, divided by the live nodes: what one node spends on one broadcast. */
  messagesPerBroadcastPerNode: number | null;
  bytesPerBroadcastPerNode: number | null;
  /** Delivery CDF, downsampled; its last fraction equals deliveryRatio. */
  cdf: CdfPoint[];
  /** Misses classified against the fault log (classify.ts); with no faults every loss is a protocol failure. */
  misses: MissCounts;
}

export interface MessageReport {
  id: string;
  strategy: string;
  /** Node that accepted the client's broadcast. */
  entry: number;
  from: number | string;
  /** Initiator's timestamp (latencies count from here). */
  ts: number;
  /** When the entry node logged `published`. */
  publishedAt: number;
  expected: number;
  delivered: number;
  /** Live nodes that never delivered it, ascending. */
  lost: number[];
  /** Latency to the last live node; null when some live node never delivered. */
  lastNodeMs: number | null;
  deliveryMs: LatencySummary;
  duplicates: number;
  forwarded: number;
  forwardedBytes: number;
  misses: MissCounts;
  /** Live nodes that never delivered it though the faults did not excuse them (protocol failures), ascending. */
  failures: number[];
}

export interface NodeReport {
  id: number;
  /** `byzantine`: started misbehaving, owed no delivery; `unlisted`: logged events but is not in the directory. */
  status: 'live' | 'byzantine' | 'dead' | 'unlisted';
  unreliable: boolean;
  delivered: number;
  /** This node's delivery latencies across all messages. */
  deliveryMs: LatencySummary;
  duplicatesReceived: number;
  forwarded: number;
  forwardedBytes: number;
  rejected: number;
}

/** A fault window to shade on the latency-over-time plot (filled from the chaos fault log). */
export interface FaultWindow {
  start: number;
  end: number;
  label: string;
}

/** What the loader saw; absent when events came from memory. */
export interface InputSummary {
  files: number;
  lines: number;
  events: number;
  malformed: number;
  /** The first few malformed lines, so a person can find them. */
  malformedSamples: { file: string; line: number; error: string }[];
  /** Live nodes without an events file. */
  missingFiles: number[];
}

/** Events the checker could not place; all zero in a healthy run. */
export interface Anomalies {
  /**
   * received/delivered/forwarded for an id no node published. A byzantine node's own broadcasts (flood,
   * equivocate) are relayed without being published, so a run with such nodes may have some.
   */
  unknownMessageEvents: number;
  /** Deliveries by a node that is dead or not in the directory (a byzantine node's are counted apart). */
  unexpectedDeliveries: number;
  /** A second `published` for an id already published (the first one counts). */
  republished: number;
  /** A second `delivered` of the same id by the same node (the first one counts). */
  redelivered: number;
}

export interface Report {
  version: 1;
  run: {
    runId: string | null;
    backend: string | null;
    members: number;
    live: number[];
    dead: number[];
    unreliable: number[];
    /** Started with a byzantine behaviour: not in `live`, owed no delivery. */
    byzantine: number[];
  };
  input?: InputSummary;
  totals: GroupStats;
  strategies: GroupStats[];
  messages: MessageReport[];
  nodes: NodeReport[];
  rejected: Record<RejectReason, number>;
  rejectedTotal: number;
  anomalies: Anomalies;
  faults?: FaultWindow[];
  /** The chaos fault log as judged: present when one was given (even empty). */
  chaos?: ChaosSummary;
  /** The impairment in effect (impairment.json); null: none was applied. Absent: not looked up. */
  impairment?: ImpairmentRecord | null;
  /** What the byzantine nodes did that the figures leave out; present when the run has any. */
  byzantine?: ByzantineSummary;
}

/** Byzantine nodes are owed nothing and owe nothing: their part is counted here, not in the figures. */
export interface ByzantineSummary {
  /** Deliveries by byzantine nodes of judged broadcasts: neither expected nor unexpected. */
  deliveries: number;
  /** Broadcasts a byzantine node entered (published): not judged, not in `messages` or the totals. */
  broadcasts: number;
}

export interface ChaosSummary {
  faults: number;
  byKind: { kill: number; pause: number; partition: number; loss: number };
  /** Faults still in effect at the horizon (a session cut short, or a heal that failed). */
  open: number;
  /** End of observation (ms): the latest event or fault time. */
  horizon: number;
  /** Live nodes down (an open kill or pause) at the horizon. */
  downAtEnd: number[];
}
