// Userspace impairment without sockets: profile validation (a bad-input table keyed by field), the
// pure link function for matrices and grudges, the shaper under a fake clock, the token bucket and
// the controller's fast path. The `shape` arguments and the probe's verdict: shape.test.ts.
import { describe, expect, it } from 'vitest';
import { ImpairmentController } from '../../node/impairment/controller.js';
import {
  assignRegions, ImpairmentProfile, isNoop, linkImpairment, parseProfile, seededRandom, Shaper, splitGrudges, TokenBucket,
  type Clock, type ImpairmentProfileInput,
} from '../../node/impairment/index.js';
import { Directory, type DirectoryData } from '../../node/directory/index.js';
import { deriveKeyPair } from '../../node/crypto/index.js';
import { nullSink } from '../../node/events/index.js';

const IDS = new Set([1, 2, 3, 4, 5, 6, 7, 8]);
const profile = (p: ImpairmentProfileInput) => ImpairmentProfile.parse(p);
const noRegion = (): undefined => undefined;

/** Timers on a virtual clock: advance() runs them in time order. */
class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimer = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimer = (h: unknown): void => void this.timers.delete(h as number);
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

const shaper = (p: ImpairmentProfileInput, clock: Clock, o: { self?: number; seed?: string; regionOf?: (id: number) => string | undefined } = {}) =>
  new Shaper({ self: o.self ?? 1, profile: profile(p), regionOf: o.regionOf ?? noRegion, clock, random: seededRandom(o.seed ?? 'test') });

describe('profile validation', () => {
  it('accepts a full profile and fills defaults', () => {
    const r = parseProfile({
      latencyMs: 50, jitterMs: 5, loss: 0.01, bandwidth: 1_250_000, seed: 's',
      regions: { eu: { weight: 2 }, us: { weight: 1 } }, matrix: { eu: { us: 80 } }, partition: { 1: [2, 3], 2: [1] },
    }, IDS);
    expect(r.ok).toBe(true);
    expect(parseProfile({}, IDS)).toEqual({ ok: true, value: { latencyMs: 0, jitterMs: 0, loss: 0 } });
  });

  // Every field that can be wrong, with the field the error must name.
  const BAD: Record<string, [unknown, string]> = {
    'negative latency': [{ latencyMs: -5 }, 'latencyMs'],
    'latency beyond a minute': [{ latencyMs: 120_000 }, 'latencyMs'],
    'latency as text': [{ latencyMs: '50ms' }, 'latencyMs'],
    'negative jitter': [{ jitterMs: -1 }, 'jitterMs'],
    'loss above 1': [{ loss: 1.5 }, 'loss'],
    'negative loss': [{ loss: -0.1 }, 'loss'],
    'zero bandwidth': [{ bandwidth: 0 }, 'bandwidth'],
    'zero region weight': [{ regions: { eu: { weight: 0 } } }, 'regions.eu.weight'],
    'bad region name': [{ regions: { '9x': { weight: 1 } } }, 'regions.9x'],
    'matrix without regions': [{ matrix: { eu: { us: 5 } } }, 'matrix'],
    'unknown from-region': [{ regions: { eu: { weight: 1 } }, matrix: { asia: { eu: 5 } } }, 'matrix.asia'],
    'unknown to-region': [{ regions: { eu: { weight: 1 } }, matrix: { eu: { asia: 5 } } }, 'matrix.eu.asia'],
    'negative matrix latency': [{ regions: { eu: { weight: 1 } }, matrix: { eu: { eu: -1 } } }, 'matrix.eu.eu'],
    'grudge of an unknown node': [{ partition: { 99: [1] } }, 'partition.99'],
    'grudge against an unknown node': [{ partition: { 1: [2, 42] } }, 'partition.1.1'],
    'partition key not a node id': [{ partition: { abc: [1] } }, 'partition.abc'],
    'unknown field': [{ latency: 50 }, ''],
  };
  for (const [name, [input, field]] of Object.entries(BAD)) {
    it(`rejects ${name}, naming ${field || 'the profile'}`, () => {
      const r = parseProfile(input, IDS);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.field).toBe(field);
      expect(r.message.startsWith(field || '(profile)')).toBe(true);
    });
  }
});

describe('linkImpairment', () => {
  const regions = { eu: { weight: 1 }, us: { weight: 1 }, ap: { weight: 1 } };
  const regionOf = (id: number): string => (id <= 2 ? 'eu' : id <= 4 ? 'us' : 'ap');
  const p = profile({ latencyMs: 10, jitterMs: 2, loss: 0.05, regions, matrix: { eu: { us: 40, eu: 1 }, us: { ap: 90 } } });

  it('takes the matrix entry, then its mirror, then the base latency', () => {
    expect(linkImpairment(p, 1, 3, regionOf).delayMs).toBe(40); // eu→us
    expect(linkImpairment(p, 3, 1, regionOf).delayMs).toBe(40); // us→eu: mirror
    expect(linkImpairment(p, 1, 2, regionOf).delayMs).toBe(1); // eu→eu
    expect(linkImpairment(p, 5, 3, regionOf).delayMs).toBe(90); // ap→us: mirror
    expect(linkImpairment(p, 5, 6, regionOf).delayMs).toBe(10); // ap→ap: base
    expect(linkImpairment(p, 5, 1, regionOf)).toEqual({ delayMs: 10, jitterMs: 2, loss: 0.05, bandwidth: null, blocked: false });
  });

  it('grudges block one direction: 1 drops 2, 2 still hears 1', () => {
    const g = profile({ partition: { 1: [2] } });
    expect(linkImpairment(g, 2, 1, noRegion).blocked).toBe(true);
    expect(linkImpairment(g, 1, 2, noRegion).blocked).toBe(false);
  });

  it('overlapping splits: every listed direction blocked, nothing else', () => {
    const g = profile({ partition: { 1: [2, 3], 3: [1, 4], 4: [2] } });
    const blocked = [...IDS].flatMap((a) => [...IDS].filter((b) => a !== b && linkImpairment(g, a, b, noRegion).blocked).map((b) => `${a}>${b}`));
    expect(blocked.sort()).toEqual(['1>3', '2>1', '2>4', '3>1', '4>3']);
  });

  it('splitGrudges makes a symmetric split', () => {
    const g = profile({ partition: splitGrudges([[1, 2], [3], [4, 5]]) });
    for (const a of [1, 2, 3, 4, 5]) {
      for (const b of [1, 2, 3, 4, 5]) {
        const apart = (a <= 2) !== (b <= 2) || (a === 3) !== (b === 3);
        if (a !== b) expect(linkImpairment(g, a, b, noRegion).blocked).toBe(apart);
      }
    }
  });

  it('assigns regions by weight, exactly and reproducibly', () => {
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const w = profile({ seed: 'r', regions: { eu: { weight: 3 }, us: { weight: 1 }, ap: { weight: 1 } } });
    const a = assignRegions(w, ids);
    const count = (r: string) => [...a.values()].filter((x) => x === r).length;
    expect([count('eu'), count('us'), count('ap')]).toEqual([60, 20, 20]);
    expect([...assignRegions(w, ids)]).toEqual([...a]);
    expect([...assignRegions({ ...w, seed: 'other' }, ids)]).not.toEqual([...a]);
  });

  it('isNoop: only a profile that changes nothing', () => {
    expect(isNoop(profile({}))).toBe(true);
    expect(isNoop(profile({ partition: { 1: [] } }))).toBe(true);
    for (const p of [{ latencyMs: 1 }, { jitterMs: 1 }, { loss: 0.001 }, { bandwidth: 1e6 }, { partition: { 1: [2] } }]) {
      expect(isNoop(profile(p))).toBe(false);
    }
  });
});

describe('shaper (fake clock)', () => {
  it('delays each frame by the latency', () => {
    const clock = new FakeClock();
    const s = shaper({ latencyMs: 50 }, clock);
    const at: number[] = [];
    s.send(2, 10, () => at.push(clock.t));
    clock.advance(49);
    expect(at).toEqual([]);
    clock.advance(1);
    expect(at).toEqual([50]);
  });

  it('keeps FIFO order on a link under heavy jitter, and spreads delays within ± jitter', () => {
    const clock = new FakeClock();
    const s = shaper({ latencyMs: 50, jitterMs: 40 }, clock);
    const got: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 300; i++) {
      const sentAt = clock.t;
      s.send(2, 10, () => { got.push(i); delays.push(clock.t - sentAt); });
      clock.advance(1);
    }
    clock.advance(200);
    expect(got).toEqual([...Array(300).keys()]);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(91);
  });

  it('drops frames at the loss rate, within a 4-sigma binomial bound, the same for the same seed', () => {
    const run = (seed: string): number => {
      const s = shaper({ loss: 0.1 }, new FakeClock(), { seed });
      let delivered = 0;
      for (let i = 0; i < 10_000; i++) s.send(2, 10, () => delivered++);
      return 10_000 - delivered;
    };
    const lost = run('a');
    expect(Math.abs(lost - 1000)).toBeLessThanOrEqual(4 * Math.sqrt(10_000 * 0.1 * 0.9));
    expect(run('a')).toBe(lost);
  });

  it('limits throughput with a token bucket', () => {
    const clock = new FakeClock();
    const s = shaper({ bandwidth: 100_000 }, clock); // 100 kB/s, 16 KiB burst
    let last = 0;
    for (let i = 0; i < 100; i++) s.send(2, 1000, () => { last = clock.t; });
    clock.advance(2000);
    // 100 kB minus the burst at 100 kB/s: 836 ms, rounded up to a timer tick.
    expect(last).toBeGreaterThanOrEqual(836);
    expect(last).toBeLessThanOrEqual(838);
  });

  it('zero impairment on a link: delivered at once, no timer', () => {
    const clock = new FakeClock();
    const s = shaper({ partition: { 5: [1] } }, clock);
    let n = 0;
    s.send(2, 10, () => n++);
    expect(n).toBe(1);
    expect(s.queued).toBe(0);
  });

  it('grudges: sends to a peer that drops us vanish; frames from a peer we drop are refused', () => {
    const clock = new FakeClock();
    const s = shaper({ partition: { 2: [1], 1: [3] } }, clock);
    let n = 0;
    expect(s.send(2, 10, () => n++)).toBe(true);
    clock.advance(10);
    expect(n).toBe(0);
    expect(s.dropsFrom(3)).toBe(true);
    expect(s.dropsFrom(2)).toBe(false);
  });

  it('refuses frames beyond the queue bound; flush delivers the rest in order', () => {
    const clock = new FakeClock();
    const s = new Shaper({ self: 1, profile: profile({ latencyMs: 100 }), regionOf: noRegion, clock }, { burstBytes: 1000, maxQueueBytes: 30 });
    const got: number[] = [];
    expect([0, 1, 2, 3].map((i) => s.send(2, 10, () => got.push(i)))).toEqual([true, true, true, false]);
    s.flush();
    expect(got).toEqual([0, 1, 2]);
    expect(s.send(2, 10, () => got.push(9))).toBe(false);
  });
});

describe('token bucket', () => {
  it('lets a burst through, then paces at the rate', () => {
    const b = new TokenBucket(1000, 500, 0);
    expect(b.reserve(500, 0)).toBe(0);
    expect(b.reserve(500, 0)).toBe(500);
    expect(b.reserve(250, 600)).toBe(750);
    expect(b.reserve(100, 5000)).toBe(5000);
  });
});

describe('controller', () => {
  const keys = [1, 2, 3].map((i) => deriveKeyPair('imp', 'node', i));
  const data: DirectoryData = {
    network: 'imp-test', epoch: 0, neighborhoodSize: 15, initiators: [],
    nodes: keys.map((k, i) => ({ id: i + 1, host: '127.0.0.1', port: 9000 + i, publicKey: k.publicKey.toString('base64'), status: 'UP' })),
  };
  it('installs no shaper for null or a no-op profile (the fast path), one otherwise; a bad profile changes nothing', () => {
    const installed: (Shaper | null)[] = [];
    const c = new ImpairmentController({ self: 1, directory: () => new Directory(data), install: (s) => installed.push(s), events: nullSink, now: () => 7 });
    expect(c.apply({ latencyMs: 0 }).ok).toBe(true);
    expect(c.apply({ latencyMs: 20 }).ok).toBe(true);
    const bad = c.apply({ partition: { 1: [9] } });
    expect(bad.ok).toBe(false);
    expect(c.apply(null).ok).toBe(true);
    expect(installed.map((s) => s !== null)).toEqual([false, true, false]);
    expect(c.current).toEqual({ mode: 'userspace', profile: null, since: 7, region: null });
  });
});
