// The workload of a chaos session: one broadcast every `intervalMs` through a node that is never
// faulted, by the run's trusted client. The ids that node accepted are what the network must not lose;
// proofs are awaited in the background (a slow proof never delays the next broadcast).
import { setMaxListeners } from 'node:events';
import type { BroadcastOptions, BroadcastResult } from '../../client/index.js';
import type { Clock } from './executor.js';

export interface BroadcastSender {
  broadcast(text: string, options: BroadcastOptions): Promise<BroadcastResult>;
}

export interface WorkloadOptions {
  sender: BroadcastSender;
  /** Started nodes, for the proof summaries: fixed, or asked at each broadcast (nodes come and go). */
  live: readonly number[] | (() => readonly number[]);
  /** Between broadcasts. Default 200. */
  intervalMs?: number;
  /** Broadcasts awaiting their proof at once; a tick beyond it is skipped. Default 64. */
  maxInFlight?: number;
  /** How long the client waits for each proof. Default 30000. */
  proofTimeoutMs?: number;
  text: (seq: number) => string;
  clock: Clock;
  /** Each accepted id, as soon as the entry node accepts it, with the broadcast's sequence number. */
  onAccepted?: (id: string, seq: number) => void;
  /** Each broadcast as it is sent (skipped ticks are not), with the live set it is expected at. */
  onSent?: (seq: number, live: readonly number[]) => void;
  /** Each broadcast's end: its result, or why it has none (refused, timed out, or waits cut short by `stop`). */
  onSettled?: (seq: number, outcome: { result: BroadcastResult } | { error: unknown }) => void;
}

export interface WorkloadStats {
  sent: number;
  accepted: number;
  /** Proofs that came back complete, or partial (the entry gave up waiting for some receipts). */
  complete: number;
  partial: number;
  rejected: number;
  /** Sends that failed otherwise (timeout, closed socket), with the last reason. */
  failed: number;
  lastError: string | null;
  /** Ticks skipped because `maxInFlight` broadcasts were still waiting. */
  skipped: number;
  inFlight: number;
}

export interface Workload {
  stats(): WorkloadStats;
  /** Accepted ids, in order of acceptance. */
  accepted(): readonly string[];
  /** Stops sending; waits up to `drainMs` for outstanding proofs, then stops waiting for them. */
  stop(drainMs: number): Promise<WorkloadStats>;
}

export function startWorkload(o: WorkloadOptions): Workload {
  const interval = o.intervalMs ?? 200;
  const max = o.maxInFlight ?? 64;
  const ticks = new AbortController();
  const waits = new AbortController();
  // Every broadcast awaiting its proof listens on this signal: up to `max` at once is by design.
  setMaxListeners(max + 16, waits.signal);
  const ids: string[] = [];
  const pending = new Set<Promise<void>>();
  const s: WorkloadStats = { sent: 0, accepted: 0, complete: 0, partial: 0, rejected: 0, failed: 0, lastError: null, skipped: 0, inFlight: 0 };

  const fire = (seq: number): void => {
    if (s.inFlight >= max) {
      s.skipped += 1;
      return;
    }
    s.sent += 1;
    s.inFlight += 1;
    const live = typeof o.live === 'function' ? o.live() : o.live;
    o.onSent?.(seq, live);
    const p = o.sender.broadcast(o.text(seq), {
      live, timeoutMs: o.proofTimeoutMs ?? 30_000, signal: waits.signal,
      onAccepted: (id) => {
        ids.push(id);
        s.accepted += 1;
        o.onAccepted?.(id, seq);
      },
    }).then((r) => {
      if (r.proof.complete) s.complete += 1;
      else s.partial += 1;
      o.onSettled?.(seq, { result: r });
    }, (e: unknown) => {
      o.onSettled?.(seq, { error: e });
      const code = (e as { code?: string }).code;
      if (code === 'rejected') s.rejected += 1;
      // Waits we cut short at the end are not failures: the broadcast was sent (and maybe accepted).
      else if (code !== 'aborted') {
        s.failed += 1;
        s.lastError = (e as Error).message;
      }
    }).finally(() => {
      s.inFlight -= 1;
      pending.delete(p);
    });
    pending.add(p);
  };

  const loop = (async () => {
    let next = o.clock.now();
    for (let seq = 1; !ticks.signal.aborted; seq++) {
      fire(seq);
      next += interval;
      try {
        await o.clock.sleep(next - o.clock.now(), ticks.signal);
      } catch {
        return; // stopped
      }
    }
  })();

  return {
    stats: () => ({ ...s }),
    accepted: () => ids,
    async stop(drainMs) {
      ticks.abort();
      await loop;
      const drained = Promise.all([...pending]);
      const timer = new AbortController();
      await Promise.race([drained, o.clock.sleep(drainMs, timer.signal).catch(() => {})]);
      timer.abort();
      waits.abort();
      await Promise.all([...pending]);
      return { ...s };
    },
  };
}
