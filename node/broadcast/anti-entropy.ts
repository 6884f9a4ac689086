// Anti-entropy repair: every round a node sends a fingerprint per settled time bucket to a few
// random members. Where fingerprints differ, the receiver lists its ids for those buckets; the
// sender pushes what the receiver lacks and asks for what it lacks itself. In steady state a round
// costs a few bytes per bucket; a node that was paused, partitioned or restarted catches up.
// docs/protocol.md#repair
import type { Directory } from '../directory/directory.js';
import { encodeFrame } from '../wire/codec.js';
import type { BucketIds, Digest, Repair, Want } from '../wire/schemas.js';
import { seededRandom } from './plan.js';
import type { RecentStore } from './recent.js';

/** Partners besides the ring neighbours. */
const RANDOM_PARTNERS = 4;

export interface AntiEntropyDeps {
  self: number;
  directory: () => Directory;
  recent: RecentStore;
  /** Whether the message with this short id was delivered here (also before a restart). */
  has: (short: string) => boolean;
  send(peer: number, data: string): void;
  now: () => number;
  params: { antiEntropyIntervalMs: number; antiEntropyPeers: number; repairGraceMs: number };
  seed: number;
}

export class AntiEntropy {
  private timer: NodeJS.Timeout | undefined;
  private readonly rand: () => number;
  private cache: { hash: string; partners: number[] } | undefined;

  constructor(private readonly d: AntiEntropyDeps) {
    this.rand = seededRandom(d.seed);
  }

  start(): void {
    if (this.d.params.antiEntropyIntervalMs > 0) this.timer = setInterval(() => this.round(), this.d.params.antiEntropyIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: a digest to `antiEntropyPeers` members drawn from this node's partner set. */
  round(): void {
    const partners = this.partners();
    if (partners.length === 0) return;
    const data = encodeFrame({ type: 'digest', buckets: this.d.recent.digest(this.d.now(), this.d.params.repairGraceMs) } satisfies Digest);
    for (let i = 0; i < Math.min(this.d.params.antiEntropyPeers, partners.length); i++) {
      const j = i + Math.floor(this.rand() * (partners.length - i));
      [partners[i], partners[j]] = [partners[j]!, partners[i]!];
      this.d.send(partners[i]!, data);
    }
  }

  /**
   * A small, stable set: ring predecessor and successor (the ring keeps every node reachable by
   * repair) plus a few members fixed by a seeded draw. Drawing from all members instead made every
   * node open a signed link to nearly every other (measured at 200 containers: idle CPU of 1.3
   * cores and ~150 ARP entries per container).
   */
  private partners(): number[] {
    const dir = this.d.directory();
    if (this.cache?.hash === dir.hash) return [...this.cache.partners];
    const members = dir.members;
    const pos = dir.position(this.d.self);
    const n = members.length;
    const set = new Set<number>();
    if (pos >= 0 && n > 1) {
      set.add(members[(pos + 1) % n]!);
      set.add(members[(pos - 1 + n) % n]!);
    }
    const others = members.filter((m) => m !== this.d.self && !set.has(m));
    const draw = seededRandom(this.d.seed ^ 0x5bd1e995);
    for (let i = 0; i < Math.min(RANDOM_PARTNERS, others.length); i++) {
      const j = i + Math.floor(draw() * (others.length - i));
      [others[i], others[j]] = [others[j]!, others[i]!];
      set.add(others[i]!);
    }
    set.delete(this.d.self);
    this.cache = { hash: dir.hash, partners: [...set] };
    return [...set];
  }

  onDigest(peer: number, digest: Digest): void {
    const differ = this.d.recent.differing(digest.buckets, this.d.now(), this.d.params.repairGraceMs);
    if (differ.length === 0) return;
    this.d.send(peer, encodeFrame({ type: 'bucket-ids', buckets: differ, ids: this.d.recent.idsIn(differ) } satisfies BucketIds));
  }

  onBucketIds(peer: number, frame: BucketIds): void {
    const theirs = new Set(frame.ids);
    const wanted = frame.ids.filter((s) => !this.d.has(s));
    if (wanted.length > 0) this.d.send(peer, encodeFrame({ type: 'want', ids: wanted } satisfies Want));
    this.push(peer, this.d.recent.idsIn(frame.buckets).filter((s) => !theirs.has(s)));
  }

  onWant(peer: number, want: Want): void {
    this.push(peer, want.ids);
  }

  private push(peer: number, shorts: string[]): void {
    for (const s of shorts) {
      const m = this.d.recent.get(s);
      if (m) this.d.send(peer, encodeFrame({ type: 'repair', msg: m.msg, entry: m.entry, strategy: m.strategy } satisfies Repair));
    }
  }
}
