// The soak's workload: one broadcast every `intervalMs` through an entry node that is never killed,
// each expected at the nodes running when it was sent. The loop is the chaos workload's (proofs
// awaited in the background, at most `maxInFlight`); a closed client is reconnected on the next tick.
import type { SpinozaClient } from '../../client/index.js';
import { realClock } from '../../orchestrator/chaos/clock.js';
import { startWorkload, type BroadcastSender } from '../../orchestrator/chaos/workload.js';

export interface SentBroadcast {
  seq: number;
  /** Wall-clock send time. */
  at: number;
  /** Null when the entry node never accepted it. */
  id: string | null;
  /** Nodes running when it was sent. */
  live: number[];
  /** From the delivery proof: live nodes with a valid receipt, and the live nodes without one. */
  proofDelivered: number | null;
  proofMissing: number[];
  complete: boolean | null;
  error: string | null;
}

export interface BroadcastLoopOptions {
  connect: () => Promise<SpinozaClient>;
  intervalMs: number;
  /** The nodes running now. */
  live: () => number[];
  proofTimeoutMs: number;
  /** Proofs awaited at once; a tick beyond it is skipped (and counted). */
  maxInFlight: number;
  signal: AbortSignal;
}

export interface BroadcastLoop {
  readonly sent: readonly SentBroadcast[];
  readonly skipped: number;
  /** Stops sending; waits up to `drainMs` for outstanding proofs, then stops waiting; closes the client. */
  stop(drainMs: number): Promise<void>;
}

/**
 * The chaos session's workload loop (orchestrator/chaos/workload.ts), with a record per broadcast and
 * a client that is reconnected after it closed.
 */
export function startBroadcasts(o: BroadcastLoopOptions): BroadcastLoop {
  const sent: SentBroadcast[] = [];
  const bySeq = new Map<number, SentBroadcast>();
  let client: Promise<SpinozaClient> | null = null;
  const sender: BroadcastSender = {
    async broadcast(text, options) {
      const c = (client ??= o.connect());
      try {
        return await (await c).broadcast(text, options);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if ((code === 'closed' || code === 'connect-failed') && client === c) client = null;
        throw e;
      }
    },
  };
  const w = startWorkload({
    sender, live: o.live, intervalMs: o.intervalMs, maxInFlight: o.maxInFlight, proofTimeoutMs: o.proofTimeoutMs,
    text: (seq) => `soak ${seq}`, clock: realClock,
    onSent: (seq, live) => {
      const b: SentBroadcast = { seq, at: Date.now(), id: null, live: [...live], proofDelivered: null, proofMissing: [], complete: null, error: null };
      sent.push(b);
      bySeq.set(seq, b);
    },
    onAccepted: (id, seq) => { bySeq.get(seq)!.id = id; },
    onSettled: (seq, outcome) => {
      const b = bySeq.get(seq)!;
      if ('result' in outcome) {
        b.proofDelivered = outcome.result.delivered;
        b.proofMissing = outcome.result.missing;
        b.complete = outcome.result.complete;
      } else b.error = (outcome.error as Error).message;
    },
  });
  if (o.signal.aborted) void w.stop(0);
  else o.signal.addEventListener('abort', () => void w.stop(0), { once: true });

  return {
    sent,
    get skipped() { return w.stats().skipped; },
    async stop(drainMs) {
      await w.stop(drainMs);
      if (client) await (await client.catch(() => null))?.close();
    },
  };
}
