// Recently delivered messages, kept to repair peers that missed them, and indexed by time bucket
// of the initiator's timestamp (the same on every node) so digests are a fingerprint per bucket.
import type { Broadcast, DigestBucket, StrategyName } from '../wire/schemas.js';

export interface RecentMessage {
  id: string;
  msg: Broadcast;
  entry: number;
  strategy: StrategyName;
  /** When this node delivered it. */
  at: number;
  /** Whether this node has done its forwarding duty (false after a repair delivery). */
  forwarded: boolean;
}

export const shortId = (id: string): string => id.slice(0, 12);

interface Bucket {
  ids: Set<string>;
  /** XOR of two 32-bit slices of every id: order-free, updated in O(1). */
  x1: number;
  x2: number;
}

export class RecentStore {
  private readonly byShort = new Map<string, RecentMessage>();
  private readonly buckets = new Map<number, Bucket>();

  constructor(private readonly max: number, private readonly windowMs: number, readonly bucketMs: number) {}

  bucketOf(ts: number): number {
    return Math.floor(ts / this.bucketMs);
  }

  add(m: RecentMessage): void {
    const s = shortId(m.id);
    if (this.byShort.has(s)) return;
    this.byShort.set(s, m);
    this.toggle(m, s);
    for (const [k, v] of this.byShort) {
      if (this.byShort.size <= this.max && v.at > m.at - this.windowMs) break;
      this.byShort.delete(k);
      this.toggle(v, k);
    }
  }

  get(short: string): RecentMessage | undefined {
    return this.byShort.get(short);
  }

  /** Fingerprints of buckets that ended at least `graceMs` ago and are inside the window. */
  digest(now: number, graceMs: number): DigestBucket[] {
    const [lo, hi] = this.settledRange(now, graceMs);
    const out: DigestBucket[] = [];
    for (const [b, v] of this.buckets) if (b >= lo && b <= hi) out.push({ b, n: v.ids.size, x: fingerprint(v) });
    return out.sort((p, q) => p.b - q.b);
  }

  /** Settled buckets whose fingerprint differs from a peer's (including ones only one side has). */
  differing(theirs: readonly DigestBucket[], now: number, graceMs: number): number[] {
    const [lo, hi] = this.settledRange(now, graceMs);
    const mine = new Map(this.digest(now, graceMs).map((d) => [d.b, d]));
    const out = new Set<number>();
    for (const t of theirs) {
      if (t.b < lo || t.b > hi) continue;
      const m = mine.get(t.b);
      if (!m || m.n !== t.n || m.x !== t.x) out.add(t.b);
      mine.delete(t.b);
    }
    for (const b of mine.keys()) out.add(b);
    return [...out];
  }

  /** Short ids held in the given buckets. */
  idsIn(buckets: readonly number[]): string[] {
    return buckets.flatMap((b) => [...(this.buckets.get(b)?.ids ?? [])]);
  }

  private settledRange(now: number, graceMs: number): [number, number] {
    return [this.bucketOf(now - this.windowMs) + 1, this.bucketOf(now - graceMs) - 1];
  }

  private toggle(m: RecentMessage, s: string): void {
    const b = this.bucketOf(m.msg.ts);
    let bucket = this.buckets.get(b);
    if (!bucket) this.buckets.set(b, (bucket = { ids: new Set(), x1: 0, x2: 0 }));
    if (bucket.ids.has(s)) bucket.ids.delete(s);
    else bucket.ids.add(s);
    bucket.x1 = (bucket.x1 ^ Number.parseInt(m.id.slice(0, 8), 16)) >>> 0;
    bucket.x2 = (bucket.x2 ^ Number.parseInt(m.id.slice(8, 16), 16)) >>> 0;
    if (bucket.ids.size === 0) this.buckets.delete(b);
  }
}

const fingerprint = (v: Bucket): string => v.x1.toString(16).padStart(8, '0') + v.x2.toString(16).padStart(8, '0');
