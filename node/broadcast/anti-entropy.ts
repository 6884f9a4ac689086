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

  constructor(private readonly d: AntiEntropyDeps) {
    this.rand = seededRandom(d.seed);
  }

  start(): void {
    if (this.d.params.antiEntropyIntervalMs > 0) this.timer = setInterval(() => this.round(), this.d.params.antiEntropyIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: a digest to `antiEntropyPeers` random members. */
  round(): void {
    const others = this.d.directory().members.filter((m) => m !== this.d.self);
    if (others.length === 0) return;
    const data = encodeFrame({ type: 'digest', buckets: this.d.recent.digest(this.d.now(), this.d.params.repairGraceMs) } satisfies Digest);
    for (let i = 0; i < Math.min(this.d.params.antiEntropyPeers, others.length); i++) {
      const j = i + Math.floor(this.rand() * (others.length - i));
      [others[i], others[j]] = [others[j]!, others[i]!];
      this.d.send(others[i]!, data);
    }
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
