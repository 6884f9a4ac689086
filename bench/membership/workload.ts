// The soak's workload: one broadcast every `intervalMs` through an entry node that is never killed,
// each expected at the nodes running when it was sent. Proofs are awaited in the background, so a
// slow one never delays the next broadcast; a closed client is reconnected on the next tick.
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { SpinozaClient } from '../../client/index.js';

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

export function startBroadcasts(o: BroadcastLoopOptions): BroadcastLoop {
  const sent: SentBroadcast[] = [];
  const pending = new Set<Promise<void>>();
  const ticks = new AbortController();
  const waits = new AbortController();
  const stopTicks = AbortSignal.any([ticks.signal, o.signal]);
  const stopWaits = AbortSignal.any([waits.signal, o.signal]);
  // Every broadcast awaiting its proof listens on this signal: up to `maxInFlight` at once is by design.
  setMaxListeners(o.maxInFlight + 16, stopWaits);
  let client: Promise<SpinozaClient> | null = null;
  let skipped = 0;

  const fire = (seq: number): void => {
    if (pending.size >= o.maxInFlight) {
      skipped += 1;
      return;
    }
    const b: SentBroadcast = { seq, at: Date.now(), id: null, live: o.live(), proofDelivered: null, proofMissing: [], complete: null, error: null };
    sent.push(b);
    client ??= o.connect();
    const p = client
      .then((c) => c.broadcast(`soak ${seq}`, { live: b.live, timeoutMs: o.proofTimeoutMs, signal: stopWaits, onAccepted: (id) => { b.id = id; } }))
      .then((r) => {
        b.proofDelivered = r.delivered;
        b.proofMissing = r.missing;
        b.complete = r.complete;
      }, (e: unknown) => {
        b.error = (e as Error).message;
        if ((e as { code?: string }).code === 'closed' || (e as { code?: string }).code === 'connect-failed') client = null;
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  const loop = (async () => {
    let next = Date.now();
    for (let seq = 1; !stopTicks.aborted; seq++) {
      fire(seq);
      next += o.intervalMs;
      await delay(Math.max(0, next - Date.now()), undefined, { signal: stopTicks }).catch(() => undefined);
    }
  })();

  return {
    sent,
    get skipped() { return skipped; },
    async stop(drainMs) {
      ticks.abort();
      await loop;
      const timer = new AbortController();
      await Promise.race([Promise.all([...pending]), delay(drainMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
      timer.abort();
      waits.abort();
      await Promise.all([...pending]);
      if (client) await (await client.catch(() => null))?.close();
    },
  };
}
