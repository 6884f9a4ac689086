// SeenSet, the replay guard's memory: a hard bound on entries, a TTL, and oldest-first eviction.
// Time is passed in, so nothing here sleeps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenSet } from '../../node/broadcast/seen.js';

const TTL = 1000;
const keysOf = (s: SeenSet<number>, keys: string[], now: number): string[] => keys.filter((k) => s.get(k, now) !== undefined);

describe('SeenSet', () => {
  it('returns what was added, until the TTL runs out (exclusive)', () => {
    const s = new SeenSet<number>(10, TTL);
    s.add('a', 1, 0);
    expect(s.get('a', 0)).toBe(1);
    expect(s.get('a', TTL - 1)).toBe(1);
    expect(s.get('a', TTL)).toBeUndefined();
    expect(s.get('b', 0)).toBeUndefined();
  });

  it('keeps falsy values distinct from absence', () => {
    const s = new SeenSet<number | string | boolean>(10, TTL);
    s.add('zero', 0, 0);
    s.add('empty', '', 0);
    s.add('false', false, 0);
    expect([s.get('zero', 1), s.get('empty', 1), s.get('false', 1)]).toEqual([0, '', false]);
  });

  it('never holds more than its bound, evicting the oldest first', () => {
    const max = 5;
    const s = new SeenSet<number>(max, TTL);
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    keys.forEach((k, i) => {
      s.add(k, i, i);
      expect(s.size).toBe(Math.min(i + 1, max));
      // The newest `max` keys survive, in order.
      expect(keysOf(s, keys, i)).toEqual(keys.slice(Math.max(0, i + 1 - max), i + 1));
    });
  });

  it('drops expired entries when it is next written to, even under the bound', () => {
    const s = new SeenSet<number>(100, TTL);
    for (let i = 0; i < 10; i++) s.add(`old${i}`, i, i);
    expect(s.size).toBe(10);
    s.add('new', 0, 5 + TTL); // old0..old5 have expired by now
    expect(s.size).toBe(5);
    expect(s.get('old5', 5 + TTL)).toBeUndefined();
    expect(s.get('old6', 5 + TTL)).toBe(6);
  });

  it('re-adding a key updates its value and restarts its TTL', () => {
    const s = new SeenSet<number>(10, TTL);
    s.add('a', 1, 0);
    s.add('a', 2, 500);
    expect(s.size).toBe(1);
    expect(s.get('a', TTL + 100)).toBe(2);
    expect(s.get('a', 500 + TTL)).toBeUndefined();
  });

  // The engine's copy counter (node.ts) re-adds keys. A re-added key is the most recent write;
  // under the bound the oldest write should go first, not the key just refreshed.
  it('re-adding a key makes it the newest: under the bound it is evicted last', () => {
    const s = new SeenSet<number>(3, TTL);
    s.add('a', 1, 0);
    s.add('b', 1, 1);
    s.add('c', 1, 2);
    s.add('a', 2, 3); // refresh a
    s.add('d', 1, 4); // over the bound: b is the oldest write
    expect(keysOf(s, ['a', 'b', 'c', 'd'], 4)).toEqual(['a', 'c', 'd']);
  });

  it('with a bound of 0 remembers nothing', () => {
    const s = new SeenSet<number>(0, TTL);
    s.add('a', 1, 0);
    expect(s.size).toBe(0);
    expect(s.get('a', 0)).toBeUndefined();
  });

  it('matches a model for any sequence of distinct keys and non-decreasing times (property)', () => {
    const step = fc.record({ dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * TTL })), value: fc.integer() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(step, { maxLength: 80 }), (max, steps) => {
        const s = new SeenSet<number>(max, TTL);
        const added: { key: string; value: number; at: number }[] = [];
        let now = 0;
        steps.forEach(({ dt, value }, i) => {
          now += dt;
          s.add(`k${i}`, value, now);
          added.push({ key: `k${i}`, value, at: now });
          // Live: among the newest `max` writes, those younger than the TTL.
          const live = added.slice(-max).filter((e) => e.at + TTL > now);
          expect(s.size).toBe(live.length);
          for (const e of added) expect(s.get(e.key, now)).toBe(live.includes(e) ? e.value : undefined);
        });
      }),
      { numRuns: 300 },
    );
  });
});
