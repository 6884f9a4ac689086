// Userspace impairment of a node's links (DESIGN.md §4, docs/impairment.md): where the kernel has no
// sch_netem (this machine, Docker Desktop, WSL2), the transport passes every frame to a peer through
// this shaper. Send side: a token bucket per link (bandwidth), then loss, then delay ± jitter in FIFO
// order. Receive side: frames from a peer this node holds a grudge against are dropped.
//
// Loss here is message-level: a dropped frame is gone, nothing retransmits it. Kernel netem drops
// packets and TCP retransmits them, which shows up as delay rather than loss; so 1% here is harsher
// than `netem loss 1%`, and the protocol's own timeouts and retries are what recover.
import { linkImpairment, type ImpairmentProfile, type LinkImpairment, type RegionOf } from './profile.js';
import { seededRandom } from './random.js';
import { TokenBucket } from './token-bucket.js';

/** Time and timers, injected so the shaper runs under a fake clock in tests. */
export interface Clock {
  /** Monotonic milliseconds (fractions allowed). */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  // Unref'd: frames waiting out their delay never keep a stopping process alive.
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ShaperOptions {
  /** Bytes a link may send at once after an idle period (token bucket depth). */
  burstBytes: number;
  /** Bytes queued per link beyond which a send is refused (the peer is then routed around, as for a full socket). */
  maxQueueBytes: number;
}

export const DEFAULT_SHAPER_OPTIONS: ShaperOptions = { burstBytes: 16 << 10, maxQueueBytes: 8 << 20 };

export interface ShaperDeps {
  self: number;
  profile: ImpairmentProfile;
  regionOf: RegionOf;
  clock?: Clock;
  /** Uniform [0, 1) draws for loss and jitter; default seeded from the profile's seed and `self`. */
  random?: () => number;
}

interface Pending { at: number; bytes: number; deliver: () => void }
interface LinkState {
  readonly imp: LinkImpairment;
  readonly bucket: TokenBucket | null;
  readonly queue: Pending[];
  head: number;
  queuedBytes: number;
  /** Departure time of the last frame: a later frame never leaves before it (no reordering). */
  lastAt: number;
  timer: unknown;
}

export class Shaper {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly links = new Map<number, LinkState>();
  private readonly grudges = new Map<number, boolean>();
  private stopped = false;

  constructor(private readonly deps: ShaperDeps, private readonly opts: ShaperOptions = DEFAULT_SHAPER_OPTIONS) {
    this.clock = deps.clock ?? realClock;
    this.random = deps.random ?? seededRandom(`${deps.profile.seed ?? ''}/shaper/${deps.self}`);
  }

  /**
   * Sends a frame of `bytes` to `peer` as the profile says: `deliver` runs now, later, or never (lost
   * or blocked). Returns false only when the link's queue is full.
   */
  send(peer: number, bytes: number, deliver: () => void): boolean {
    if (this.stopped) return false;
    const link = this.link(peer);
    if (link.imp.blocked) return true;
    if (link.queuedBytes + bytes > this.opts.maxQueueBytes) return false;
    if (link.imp.loss > 0 && this.random() < link.imp.loss) return true;
    const now = this.clock.now();
    let at = link.bucket ? link.bucket.reserve(bytes, now) : now;
    if (link.imp.jitterMs > 0) at += Math.max(0, link.imp.delayMs + (2 * this.random() - 1) * link.imp.jitterMs);
    else at += link.imp.delayMs;
    if (at < link.lastAt) at = link.lastAt;
    link.lastAt = at;
    if (at <= now && link.head === link.queue.length) {
      deliver();
      return true;
    }
    link.queue.push({ at, bytes, deliver });
    link.queuedBytes += bytes;
    if (link.timer === undefined) this.arm(link, at - now);
    return true;
  }

  /** Whether frames arriving from `peer` are dropped: this node holds a grudge against it. */
  dropsFrom(peer: number): boolean {
    let blocked = this.grudges.get(peer);
    if (blocked === undefined) {
      blocked = linkImpairment(this.deps.profile, peer, this.deps.self, this.deps.regionOf).blocked;
      this.grudges.set(peer, blocked);
    }
    return blocked;
  }

  /** What the link to `peer` suffers (for GET /control/impairment and tests). */
  impairmentTo(peer: number): LinkImpairment {
    return this.link(peer).imp;
  }

  /** Frames queued on all links (tests, metrics). */
  get queued(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.queue.length - l.head;
    return n;
  }

  /**
   * Hands every queued frame over now, in order, and stops: used when the profile changes, so no
   * frame is lost and none overtakes another at the switch (like `tc qdisc replace`).
   */
  flush(): void {
    this.stopped = true;
    for (const link of this.links.values()) {
      this.disarm(link);
      for (let i = link.head; i < link.queue.length; i++) link.queue[i]!.deliver();
      link.queue.length = 0;
      link.head = 0;
      link.queuedBytes = 0;
    }
  }

  /** Drops every queued frame and stops (transport shutdown). */
  stop(): void {
    this.stopped = true;
    for (const link of this.links.values()) {
      this.disarm(link);
      link.queue.length = 0;
      link.head = 0;
      link.queuedBytes = 0;
    }
  }

  private link(peer: number): LinkState {
    let link = this.links.get(peer);
    if (!link) {
      const imp = linkImpairment(this.deps.profile, this.deps.self, peer, this.deps.regionOf);
      const bucket = imp.bandwidth === null ? null : new TokenBucket(imp.bandwidth, this.opts.burstBytes, this.clock.now());
      link = { imp, bucket, queue: [], head: 0, queuedBytes: 0, lastAt: 0, timer: undefined };
      this.links.set(peer, link);
    }
    return link;
  }

  private arm(link: LinkState, ms: number): void {
    // Timers fire in whole milliseconds: round up, and re-arm if a frame is still not due.
    link.timer = this.clock.setTimer(() => this.release(link), Math.max(1, Math.ceil(ms)));
  }

  private disarm(link: LinkState): void {
    if (link.timer !== undefined) this.clock.clearTimer(link.timer);
    link.timer = undefined;
  }

  private release(link: LinkState): void {
    link.timer = undefined;
    const now = this.clock.now();
    while (link.head < link.queue.length && link.queue[link.head]!.at <= now) {
      const p = link.queue[link.head++]!;
      link.queuedBytes -= p.bytes;
      p.deliver();
    }
    if (link.head === link.queue.length) {
      link.queue.length = 0;
      link.head = 0;
      return;
    }
    if (link.head > 1024) {
      link.queue.splice(0, link.head);
      link.head = 0;
    }
    // A deliver() that sent again on this link may have armed the timer already.
    if (link.timer === undefined) this.arm(link, link.queue[link.head]!.at - now);
  }
}
