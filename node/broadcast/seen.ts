// Bounded, time-windowed memory of message ids and (origin, nonce) pairs: the replay guard.

export class SeenSet<V> {
  private readonly map = new Map<string, { value: V; expires: number }>();

  constructor(private readonly max: number, private readonly ttlMs: number) {}

  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    return e && e.expires > now ? e.value : undefined;
  }

  add(key: string, value: V, now: number): void {
    this.map.delete(key); // a refreshed key moves to the back of the eviction order
    this.map.set(key, { value, expires: now + this.ttlMs });
    // Map iterates in insertion order: evict the oldest while over the bound or expired.
    for (const [k, e] of this.map) {
      if (this.map.size <= this.max && e.expires > now) break;
      this.map.delete(k);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
