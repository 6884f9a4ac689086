// Fault-aware judgement of each (message, node) pair the checker expects a delivery for, against the
// chaos fault log (docs/chaos.md#classification). Pure: the faults come in as data, so the rules are
// tested on hand-made timelines. A pair is a miss when the node never delivered the message, or
// delivered it only after a fault that touched it had healed:
//   late-after-heal   delivered, after a fault touching the pair (in effect after publish) ended;
//   expected          never delivered, and the node was down or cut off from the origin from publish
//                     (or while the message was still in flight) until the horizon;
//   protocol-failure  never delivered, though the node was up and reachable at some point after.
import { partitionBlocks } from '../chaos/compose.js';
import type { FaultRecord } from '../chaos/fault-log.js';

export interface MissCounts {
  expected: number;
  lateAfterHeal: number;
  protocolFailure: number;
}

export const noMisses = (): MissCounts => ({ expected: 0, lateAfterHeal: 0, protocolFailure: 0 });

export function addMisses(into: MissCounts, m: MissCounts): void {
  into.expected += m.expected;
  into.lateAfterHeal += m.lateAfterHeal;
  into.protocolFailure += m.protocolFailure;
}

export interface ClassifyOptions {
  faults: readonly Pick<FaultRecord, 'kind' | 'nodes' | 'mode' | 'start' | 'end'>[];
  /** End of observation (ms): open faults last until then, and undelivered messages are judged at it. */
  horizon: number;
  /** A node that went down or was cut off within this long after publish counts as such from publish. Default 1000. */
  inFlightMs?: number;
}

export interface MessageInput {
  /** The origin: the node that accepted the broadcast. */
  entry: number;
  publishedAt: number;
  /** First delivery per node. */
  deliveredAt: ReadonlyMap<number, number>;
}

export interface Verdict {
  misses: MissCounts;
  /** Nodes with a protocol failure on this message, ascending. */
  failures: number[];
}

interface Span {
  kind: FaultRecord['kind'];
  nodes: ReadonlySet<number>;
  mode: NonNullable<FaultRecord['mode']>;
  start: number;
  end: number | null;
}

/** Whether the fault can keep `node` from getting a message from `origin` at all while in effect. */
function blocks(f: Span, origin: number, node: number): boolean {
  if (f.kind === 'kill' || f.kind === 'pause') return f.nodes.has(node) || f.nodes.has(origin);
  return f.kind === 'partition' && partitionBlocks(f.nodes, f.mode, origin, node);
}

/** Whether the fault bears on the pair at all: it blocks it, or loses frames sent by either end. */
const touches = (f: Span, origin: number, node: number): boolean =>
  blocks(f, origin, node) || (f.kind === 'loss' && (f.nodes.has(node) || f.nodes.has(origin)));

export function createClassifier(o: ClassifyOptions): (m: MessageInput, nodes: Iterable<number>) => Verdict {
  const spans: Span[] = o.faults.map((f) => ({ kind: f.kind, nodes: new Set(f.nodes), mode: f.mode ?? 'symmetric', start: f.start, end: f.end }))
    .sort((a, b) => a.start - b.start);
  const horizon = o.horizon;
  const inFlight = o.inFlightMs ?? 1000;

  return (m, nodes) => {
    const p = m.publishedAt;
    // Faults that healed before the message existed have no bearing on it.
    const relevant = spans.filter((f) => f.end === null || f.end > p);
    const verdict: Verdict = { misses: { expected: 0, lateAfterHeal: 0, protocolFailure: 0 }, failures: [] };
    for (const n of nodes) {
      const d = m.deliveredAt.get(n);
      if (d !== undefined) {
        if (relevant.some((f) => f.end !== null && f.end <= d && f.start < d && touches(f, m.entry, n))) verdict.misses.lateAfterHeal += 1;
        continue;
      }
      if (coveredUntilHorizon(relevant, m.entry, n, Math.min(p + inFlight, horizon), horizon)) verdict.misses.expected += 1;
      else {
        verdict.misses.protocolFailure += 1;
        verdict.failures.push(n);
      }
    }
    verdict.failures.sort((a, b) => a - b);
    return verdict;
  };
}

/** Whether faults blocking origin → node cover [from, horizon] without a gap (open faults reach the horizon). */
function coveredUntilHorizon(spans: readonly Span[], origin: number, node: number, from: number, horizon: number): boolean {
  let reached = from;
  for (const f of spans) {
    if (reached >= horizon) break;
    if (!blocks(f, origin, node)) continue;
    const end = f.end ?? horizon;
    if (end <= reached) continue;
    if (f.start > reached) return false; // a gap: the node could have got it then
    reached = end;
  }
  return reached >= horizon;
}
