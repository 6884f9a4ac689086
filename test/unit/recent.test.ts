// The anti-entropy store: per-bucket fingerprints agree iff the id sets agree; eviction keeps them true.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecentStore, shortId, type RecentMessage } from '../../node/broadcast/recent.js';
import type { Broadcast } from '../../node/wire/schemas.js';

const BUCKET = 1000;
const msg = (n: number, ts: number, at = ts): RecentMessage => ({
  id: createHash('sha256').update(String(n)).digest('hex'),
  msg: { ts } as Broadcast,
  entry: 1, strategy: 'tree', at, forwarded: true,
});

describe('RecentStore', () => {
  it('gives equal digests for equal sets, whatever the order of arrival', () => {
    const a = new RecentStore(100, 60_000, BUCKET);
    const b = new RecentStore(100, 60_000, BUCKET);
    const ms = Array.from({ length: 20 }, (_, i) => msg(i, 10_000 + i * 300));
    ms.forEach((m) => a.add(m));
    [...ms].reverse().forEach((m) => b.add(m));
    expect(a.digest(30_000, 2000)).toEqual(b.digest(30_000, 2000));
    expect(a.differing(b.digest(30_000, 2000), 30_000, 2000)).toEqual([]);
  });

  it('finds the bucket a missing message belongs to, from either side', () => {
    const full = new RecentStore(100, 60_000, BUCKET);
    const partial = new RecentStore(100, 60_000, BUCKET);
    for (let i = 0; i < 10; i++) {
      full.add(msg(i, 10_000 + i * 500));
      if (i !== 4) partial.add(msg(i, 10_000 + i * 500));
    }
    const missingBucket = Math.floor((10_000 + 4 * 500) / BUCKET);
    expect(full.differing(partial.digest(30_000, 2000), 30_000, 2000)).toEqual([missingBucket]);
    expect(partial.differing(full.digest(30_000, 2000), 30_000, 2000)).toEqual([missingBucket]);
    expect(full.idsIn([missingBucket])).toContain(shortId(msg(4, 0).id));
  });

  it('leaves buckets that are not settled yet out of the digest', () => {
    const s = new RecentStore(100, 60_000, BUCKET);
    s.add(msg(1, 29_500));
    expect(s.digest(30_000, 2000)).toEqual([]);
    expect(s.digest(40_000, 2000).map((d) => d.b)).toEqual([29]);
  });

  it('stays bounded and its fingerprints follow evictions', () => {
    const s = new RecentStore(5, 60_000, BUCKET);
    for (let i = 0; i < 12; i++) s.add(msg(i, 10_000));
    const ref = new RecentStore(5, 60_000, BUCKET);
    for (let i = 7; i < 12; i++) ref.add(msg(i, 10_000));
    expect(s.digest(30_000, 2000)).toEqual(ref.digest(30_000, 2000));
    expect(s.get(shortId(msg(0, 0).id))).toBeUndefined();
  });
});
