// node/membership/detector.ts on a fake clock and a simulated network of detectors: a dead node
// is suspected then proposed within a bound; a node that answers only indirect probes never is;
// under 5% random loss no live node is proposed (seeded, so every run is the same).
import { describe, expect, it } from 'vitest';
import { FailureDetector, type DetectorEvent, type DetectorOptions } from '../../node/membership/detector.js';
import { seededRandom } from '../../node/impairment/random.js';

const OPTS: DetectorOptions = { periodMs: 100, probeTimeoutMs: 40, indirectProbes: 3, suspicionMs: 300 };
const STEP = 10;
const LATENCY = 5;

interface SimOptions {
  n: number;
  dead?: number[];
  /** Ordered pairs [from, to] whose messages are always lost. */
  cut?: [number, number][];
  loss?: number;
  seed?: string;
}

/**
 * Every node runs a detector; probes, probe-reqs and acks travel with a fixed latency and may be
 * lost. Returns the events every live node's detector emitted, with their times.
 */
function simulate(o: SimOptions, durationMs: number): { node: number; e: DetectorEvent }[] {
  const ids = Array.from({ length: o.n }, (_, i) => i + 1);
  const dead = new Set(o.dead ?? []);
  const cut = new Set((o.cut ?? []).map(([a, b]) => `${a}>${b}`));
  const lossRng = seededRandom(`loss/${o.seed ?? 'x'}`);
  const lost = (from: number, to: number): boolean => dead.has(to) || cut.has(`${from}>${to}`) || lossRng() < (o.loss ?? 0);
  const det = new Map(ids.filter((id) => !dead.has(id)).map((id) => [id, new FailureDetector(id, OPTS, seededRandom(`det/${o.seed ?? 'x'}/${id}`))]));
  for (const d of det.values()) d.setMembers(ids, 0);
  type Msg = { at: number; from: number; to: number; m: { kind: 'probe' | 'ack'; of: number; forward?: number } | { kind: 'req'; target: number } };
  let queue: Msg[] = [];
  const send = (now: number, from: number, to: number, m: Msg['m']): void => { if (!lost(from, to)) queue.push({ at: now + LATENCY, from, to, m }); };
  const log: { node: number; e: DetectorEvent }[] = [];
  const pending = new Map<string, number[]>(); // helper>target → requesters
  for (let now = 0; now <= durationMs; now += STEP) {
    const due = queue.filter((q) => q.at <= now);
    queue = queue.filter((q) => q.at > now);
    for (const q of due) {
      const d = det.get(q.to)!;
      if (q.m.kind === 'probe') send(now, q.to, q.from, { kind: 'ack', of: q.to });
      else if (q.m.kind === 'req') {
        const k = `${q.to}>${q.m.target}`;
        pending.set(k, [...(pending.get(k) ?? []), q.from]);
        send(now, q.to, q.m.target, { kind: 'probe', of: q.m.target });
      } else {
        log.push(...d.onAck(q.m.of, now).events.map((e) => ({ node: q.to, e })));
        if (q.m.of === q.from) {
          for (const r of pending.get(`${q.to}>${q.from}`) ?? []) send(now, q.to, r, { kind: 'ack', of: q.from });
          pending.delete(`${q.to}>${q.from}`);
        }
      }
    }
    for (const [id, d] of det) {
      const out = d.tick(now);
      for (const a of out.actions) {
        if (a.kind === 'probe') send(now, id, a.to, { kind: 'probe', of: a.to });
        else send(now, id, a.via, { kind: 'req', target: a.target });
      }
      log.push(...out.events.map((e) => ({ node: id, e })));
    }
  }
  return log;
}

describe('FailureDetector', () => {
  it('a dead node is suspected, then proposed down by every live node, within a bound', () => {
    const n = 8;
    const log = simulate({ n, dead: [5] }, 5000);
    expect(log.every(({ e }) => e.node === 5)).toBe(true);
    // Round-robin over reshuffled laps: probed within two laps (2n periods), then 2 timeouts, then suspicion.
    const bound = 2 * n * OPTS.periodMs + 2 * OPTS.probeTimeoutMs + OPTS.suspicionMs + 2 * STEP;
    for (let id = 1; id <= n; id++) {
      if (id === 5) continue;
      const mine = log.filter((l) => l.node === id).map((l) => l.e);
      expect(mine.map((e) => e.kind)).toEqual(['suspect', 'propose-down']);
      expect(mine[1]!.at - mine[0]!.at).toBeGreaterThanOrEqual(OPTS.suspicionMs);
      expect(mine[1]!.at).toBeLessThanOrEqual(bound);
    }
  });

  it('a node its prober cannot reach, but helpers can, is never suspected', () => {
    // 1 cannot talk to 4 in either direction; helpers relay 4's acks.
    const log = simulate({ n: 6, cut: [[1, 4], [4, 1]] }, 10_000);
    expect(log).toEqual([]);
  });

  it('a suspect that answers again is refuted, never proposed', () => {
    const d = new FailureDetector(1, { ...OPTS, indirectProbes: 0 }, seededRandom('refute'));
    d.setMembers([1, 2], 0);
    const events: DetectorEvent[] = [];
    for (let now = 0; now <= 200; now += STEP) events.push(...d.tick(now).events);
    expect(events.map((e) => e.kind)).toEqual(['suspect']);
    events.push(...d.onAck(2, 210).events);
    for (let now = 220; now <= 2000; now += STEP) {
      const out = d.tick(now);
      events.push(...out.events);
      for (const a of out.actions) if (a.kind === 'probe') events.push(...d.onAck(a.to, now).events);
    }
    expect(events.map((e) => e.kind)).toEqual(['suspect', 'alive']);
    expect(d.state(2)).toBe('alive');
  });

  it('check() probes at once, outside the round-robin', () => {
    const d = new FailureDetector(1, OPTS, seededRandom('check'));
    d.setMembers([1, 2, 3], 0);
    d.tick(0);
    expect(d.check(3, 5).actions.concat(d.check(2, 5).actions).map((a) => a.kind === 'probe' && a.to).filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });

  it('under 5% random loss no live node is ever proposed (16 nodes, 3,000 periods, 3 seeds)', () => {
    for (const seed of ['a', 'b', 'c']) {
      const log = simulate({ n: 16, loss: 0.05, seed }, 3000 * OPTS.periodMs / 10);
      expect(log.filter((l) => l.e.kind === 'propose-down')).toEqual([]);
    }
  });
});
