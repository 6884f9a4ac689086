// Round-trip probes over a node's real links: `ping` frames go through the same transport (and
// shaper) as the protocol's frames, the peer answers `pong`, and we time the answer. The orchestrator's
// probe (orchestrator/impair/probe.ts) asks nodes for these figures through GET /control/probe.
import { setTimeout as delay } from 'node:timers/promises';

export interface PingOptions {
  /** Pings counted in the result. */
  count: number;
  /** Spacing between pings, ms (wider than twice the jitter keeps FIFO order from inflating RTTs). */
  intervalMs: number;
  /** A ping unanswered this long after it left is lost. */
  timeoutMs: number;
  /** Time allowed to open the link first (warm-up pings, not counted), so RTTs exclude the handshake. */
  warmupMs: number;
}

export const DEFAULT_PING_OPTIONS: PingOptions = { count: 20, intervalMs: 10, timeoutMs: 2000, warmupMs: 5000 };

export interface PingResult {
  peer: number;
  sent: number;
  lost: number;
  /** Round-trip times of the answered pings, ms, in sending order. */
  rttsMs: number[];
  /** Whether a warm-up ping was answered before the counted ones (false: the link never opened). */
  linked: boolean;
}

export interface PingerDeps {
  /** Sends a frame to a node (Transport.send); `onFail` hears of a frame that could not be sent. */
  send(peer: number, data: string, onFail: (reason: string) => void): void;
  now?: () => number;
}

interface Waiter { peer: number; done: (rttMs: number | null) => void }

export class Pinger {
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly now: () => number;

  constructor(private readonly deps: PingerDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  /** A `pong` from `peer`: answers the ping with that sequence number, if it is still waited for. */
  onPong(peer: number, seq: number): void {
    const w = this.waiting.get(seq);
    if (w && w.peer === peer) w.done(this.now());
  }

  async probe(peer: number, opts: PingOptions, signal?: AbortSignal): Promise<PingResult> {
    const linked = await this.warmUp(peer, opts, signal);
    const rtts: (number | null)[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < opts.count; i++) {
      if (i > 0) await sleep(opts.intervalMs, signal);
      pending.push(this.once(peer, opts.timeoutMs).then((rtt) => void (rtts[i] = rtt)));
    }
    await Promise.all(pending);
    const answered = rtts.filter((r): r is number => r !== null);
    return { peer, sent: opts.count, lost: opts.count - answered.length, rttsMs: answered, linked };
  }

  /** Rejects every waiting ping as lost (node shutdown). */
  stop(): void {
    for (const w of [...this.waiting.values()]) w.done(null);
  }

  private async warmUp(peer: number, opts: PingOptions, signal: AbortSignal | undefined): Promise<boolean> {
    const deadline = this.now() + opts.warmupMs;
    while (this.now() < deadline) {
      const wait = Math.max(1, Math.min(opts.timeoutMs, deadline - this.now()));
      if ((await this.once(peer, wait)) !== null) return true;
      await sleep(opts.intervalMs, signal);
    }
    return false;
  }

  /** One ping; resolves with its RTT in ms, or null when lost, failed or timed out. */
  private once(peer: number, timeoutMs: number): Promise<number | null> {
    const seq = ++this.seq;
    const sentAt = this.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (at: number | null): void => {
        if (!this.waiting.has(seq)) return;
        this.waiting.delete(seq);
        clearTimeout(timer);
        resolve(at === null ? null : at - sentAt);
      };
      this.waiting.set(seq, { peer, done: finish });
      this.deps.send(peer, JSON.stringify({ type: 'ping', seq }), () => finish(null));
    });
  }
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  delay(ms, undefined, signal ? { signal } : {});
