// What the membership bench reports (printed as a table, and as JSON with --json and in the run dir),
// built purely from what the run recorded: broadcasts sent, kill rounds, and the nodes' event logs.
import { againstLive, beforeStart, certificates, expectedAt, falsePositives, minMedMax, type Certificate, type DeadWindow, type MinMedMax, type Spread } from './analyze.js';
import type { MembershipLog, Verdict } from './log.js';
import type { SentBroadcast } from './workload.js';

export interface BenchParams {
  nodes: number;
  minutes: number;
  killAtMinutes: number;
  kills: number;
  seed: string;
  latencyMs: number;
  jitterMs: number;
  loss: number;
  intervalMs: number;
  /** The membership timers the nodes ran with (the manifest's resolved defaults). */
  timers: { probePeriodMs: number; probeTimeoutMs: number; indirectProbes: number; suspicionMs: number; proposalTimeoutMs: number };
}

/** One kill round: SIGKILL → DOWN everywhere; restart → healthy → UP everywhere. */
export interface KillRound {
  node: number;
  killAt: number;
  down: Spread;
  /** DOWN proposals about it from the kill until the restart: more than a few means split votes. */
  downProposals: number;
  restartAt: number | null;
  /** Restart to the node answering /health. */
  healthyMs: number | null;
  /** Null when no node had marked it DOWN (so no UP was due). */
  up: Spread | null;
}

export interface BroadcastFigures {
  sent: number;
  /** Accepted by the entry node. */
  accepted: number;
  /** Proof complete with a receipt from every node running at send time. */
  proofFull: number;
  /** Proof partial or missing live nodes' receipts (lost receipts count here; delivery may still be whole). */
  proofShort: number;
  /** Of those, sent while a node was dead (killed, not yet UP everywhere) or up to `deliveryMs` before it was killed. */
  proofShortDuringKill: number;
  failed: number;
  skipped: number;
  /** From the event logs: accepted broadcasts delivered by every node expected to (alive throughout its delivery). */
  deliveredEverywhere: number;
  /** Accepted broadcasts some expected node never delivered (first 20). */
  missing: { seq: number; id: string; nodes: number[] }[];
  lastError: string | null;
}

export interface BenchResult {
  params: BenchParams;
  runDir: string;
  startedAt: string;
  /** From every node healthy to the end of the workload. */
  soakMs: number;
  /** When the workload began, from every node healthy (`up` probes the impairment first). */
  workloadFromMs: number;
  /** Whether Ctrl-C or an error cut the run short (the figures cover what ran). */
  interrupted: boolean;
  error: string | null;
  broadcasts: BroadcastFigures;
  /** Certified changes other than UP of a node that was alive: the figure that must be 0. */
  falsePositives: Certificate[];
  /** Non-UP certificates before every node was healthy (nodes not yet listening): reported apart. */
  duringStartUp: Certificate[];
  /** Every certified change, first application each. */
  certificates: Certificate[];
  /** Detector suspicions and DOWN proposals about live nodes: how close the run came to a false positive. */
  suspicionsOfLive: { count: number; nodes: number[] };
  proposalsAgainstLive: { count: number; nodes: number[] };
  kills: KillRound[];
  summary: { downFirstMs: MinMedMax | null; downAllMs: MinMedMax | null; healthyMs: MinMedMax | null; upAllMs: MinMedMax | null };
  /** Lines of the event logs that did not parse (a kill -9 tears at most the last one). */
  malformedLines: number;
}

export interface RunRecordForResult {
  params: BenchParams;
  runDir: string;
  startedAt: number;
  /** When every node answered /health: false positives count from here. */
  soakStart: number;
  soakEnd: number;
  /** When the first broadcast went out (0: none did). */
  workloadStart: number;
  interrupted: boolean;
  error: string | null;
  sent: readonly SentBroadcast[];
  skipped: number;
  kills: readonly KillRound[];
  windows: readonly DeadWindow[];
  log: MembershipLog;
  /** A broadcast counts against a node killed within this long after it was sent only if it delivered. */
  deliveryMs: number;
  /** Detectors take a probe or two to hear from a node that came back: verdicts this soon after are not counted. */
  verdictGraceMs: number;
}

const distinct = (vs: readonly Verdict[]): number[] => [...new Set(vs.map((v) => v.of))].sort((a, b) => a - b);

export function buildResult(r: RunRecordForResult): BenchResult {
  const certs = certificates(r.log.applied);
  const suspicions = againstLive(r.log.suspicions, r.windows, r.soakStart, r.verdictGraceMs);
  const proposals = againstLive(r.log.proposals, r.windows, r.soakStart, r.verdictGraceMs);
  return {
    params: r.params,
    runDir: r.runDir,
    startedAt: new Date(r.startedAt).toISOString(),
    soakMs: Math.max(0, r.soakEnd - r.soakStart),
    workloadFromMs: r.workloadStart === 0 ? 0 : r.workloadStart - r.soakStart,
    interrupted: r.interrupted,
    error: r.error,
    broadcasts: broadcastFigures(r),
    falsePositives: falsePositives(certs, r.windows, r.soakStart),
    duringStartUp: beforeStart(certs, r.soakStart),
    certificates: certs,
    suspicionsOfLive: { count: suspicions.length, nodes: distinct(suspicions) },
    proposalsAgainstLive: { count: proposals.length, nodes: distinct(proposals) },
    kills: [...r.kills],
    summary: {
      downFirstMs: minMedMax(r.kills.map((k) => k.down.firstMs)),
      downAllMs: minMedMax(r.kills.map((k) => k.down.allMs)),
      healthyMs: minMedMax(r.kills.map((k) => k.healthyMs)),
      upAllMs: minMedMax(r.kills.map((k) => k.up?.allMs ?? null)),
    },
    malformedLines: r.log.malformed,
  };
}

function broadcastFigures(r: RunRecordForResult): BroadcastFigures {
  const accepted = r.sent.filter((b) => b.id !== null);
  const missing: BroadcastFigures['missing'] = [];
  for (const b of accepted) {
    const got = r.log.deliveries.get(b.id!) ?? new Set<number>();
    const lacking = expectedAt(b.live, r.windows, b.at, r.deliveryMs).filter((id) => !got.has(id));
    if (lacking.length > 0) missing.push({ seq: b.seq, id: b.id!, nodes: lacking });
  }
  const full = (b: SentBroadcast): boolean => b.complete === true && b.proofMissing.length === 0;
  const short = r.sent.filter((b) => b.complete !== null && !full(b));
  const duringKill = (b: SentBroadcast): boolean => r.windows.some((w) => w.from <= b.at + r.deliveryMs && (w.until === null || w.until >= b.at));
  return {
    sent: r.sent.length,
    accepted: accepted.length,
    proofFull: r.sent.filter(full).length,
    proofShort: short.length,
    proofShortDuringKill: short.filter(duringKill).length,
    failed: r.sent.filter((b) => b.error !== null).length,
    skipped: r.skipped,
    deliveredEverywhere: accepted.length - missing.length,
    missing: missing.slice(0, 20),
    lastError: r.sent.findLast((b) => b.error !== null)?.error ?? null,
  };
}
