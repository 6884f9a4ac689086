// Pure dissemination plans (tree, ring, gossip) and neighborhood math: coverage properties over every
// member count up to 4,000, the seed's ring semantics, tree depth, leader rotation, gossip shape.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gossipPlan, planFor, type Plan, type PlanInput, type StrategyParams } from '../../node/broadcast/plan.js';
import { neighborhoodCount, neighborhoodOf, neighborhoodRange } from '../../node/directory/neighborhoods.js';

const S = 15; // the seed's neighborhood size (DESIGN §1)
const PARAMS: StrategyParams = { treeFanout: 4, gossipFanout: 6 };

/** A realistic message id (64 hex digits), deterministic per label. */
const idFor = (label: string | number): string => createHash('sha256').update(`plan-test/${label}`).digest('hex');
/** An entry drawn from bits of the id other than the ones plans use for leader rotation. */
const entryFor = (members: readonly number[], id: string): number => members[Number.parseInt(id.slice(56), 16) % members.length]!;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Members 1..n, as in the seed, with O(1) positions. */
const contiguous = (n: number): { members: number[]; position: (id: number) => number } => ({
  members: range(1, n),
  position: (id) => (id >= 1 && id <= n ? id - 1 : -1),
});

/**
 * Up to 4,000 members with gaps, like a directory where some nodes are DOWN / NEW: a block of 40
 * ids missing, every 7th id from 3, every 11th. The first n of them are the members.
 */
const GAPPY_IDS = range(1, 6000).filter((id) => !(id >= 100 && id < 140) && id % 7 !== 3 && id % 11 !== 0).slice(0, 4000);
const GAPPY_POS = new Int32Array(GAPPY_IDS.at(-1)! + 2).fill(-1);
GAPPY_IDS.forEach((id, i) => (GAPPY_POS[id] = i));
const gappy = (n: number): { members: number[]; position: (id: number) => number } => ({
  members: GAPPY_IDS.slice(0, n),
  position: (id) => {
    const p = GAPPY_POS[id] ?? -1;
    return p < n ? p : -1;
  },
});

interface Spread {
  /** Hops from the entry, by ring position (-1: never reached). */
  hops: Int32Array;
  maxHops: number;
  /** Largest number of peers one node sent to. */
  maxSends: number;
  errors: string[];
}

/**
 * Follows `now` and `after` of every reached node from the entry, as the engine does, and records
 * what would break "every member exactly once": a send outside the members, to the entry, or to a
 * node already reached; and members never reached.
 */
function spread(strategy: 'tree' | 'ring', input: PlanInput & { position: (id: number) => number }, params: StrategyParams = PARAMS): Spread {
  const { members, position, entry } = input;
  const n = members.length;
  const hops = new Int32Array(n).fill(-1);
  const errors: string[] = [];
  let maxSends = 0;
  hops[position(entry)] = 0;
  const queue = [entry];
  for (let head = 0; head < queue.length && errors.length < 5; head++) {
    const node = queue[head]!;
    const plan = planFor(strategy, input, node, params);
    const sends = plan.now.length + plan.after.length;
    if (sends > maxSends) maxSends = sends;
    for (const list of [plan.now, plan.after]) {
      for (const to of list) {
        const p = position(to);
        if (p < 0) errors.push(`${node} → ${to}: not a member`);
        else if (to === entry) errors.push(`${node} → ${to}: the entry is nobody's child`);
        else if (hops[p] !== -1) errors.push(`${node} → ${to}: already reached`);
        else {
          hops[p] = hops[position(node)]! + 1;
          queue.push(to);
        }
      }
    }
  }
  for (let p = 0; p < n && errors.length < 10; p++) if (hops[p] === -1) errors.push(`${members[p]} never reached`);
  let maxHops = 0;
  for (const h of hops) if (h > maxHops) maxHops = h;
  return { hops, maxHops, maxSends, errors };
}

describe('tree: every member exactly once', () => {
  const layouts = { 'ids 1..N': contiguous, 'ids with gaps (some nodes DOWN)': gappy };

  it.each(Object.entries(layouts))('for every N from 1 to 4,000 (S = 15, fanout 4), %s', (_, layout) => {
    for (let n = 1; n <= 4000; n++) {
      const { members, position } = layout(n);
      const id = idFor(n);
      const entry = entryFor(members, id);
      const { errors, maxSends } = spread('tree', { members, position, neighborhoodSize: S, entry, id });
      if (errors.length > 0) expect({ n, entry, id, errors }).toEqual({ n, entry, id, errors: [] });
      // Each node forwards to its own neighborhood and a few child leaders, no more.
      if (maxSends > S - 1 + PARAMS.treeFanout) expect({ n, maxSends }).toBeUndefined();
    }
  });

  const hexId = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
  const shape = fc.record({
    n: fc.integer({ min: 1, max: 4000 }),
    size: fc.integer({ min: 1, max: 64 }),
    fanout: fc.integer({ min: 1, max: 16 }),
    entryIndex: fc.nat(),
    id: hexId,
    gaps: fc.boolean(),
  });

  it.each(['tree', 'ring'] as const)('%s: for any N ≤ 4,000, size ≤ 64, fanout ≤ 16, entry and id (property)', (strategy) => {
    fc.assert(
      fc.property(shape, ({ n, size, fanout, entryIndex, id, gaps }) => {
        const { members, position } = (gaps ? gappy : contiguous)(n);
        const entry = members[entryIndex % n]!;
        const { errors } = spread(strategy, { members, position, neighborhoodSize: size, entry, id }, { ...PARAMS, treeFanout: fanout });
        expect(errors).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('plans the same with the position option as with the default linear scan', () => {
    const { members, position } = gappy(500);
    const id = idFor('scan');
    for (const strategy of ['tree', 'ring', 'gossip'] as const) {
      for (const node of members) {
        const input = { members, neighborhoodSize: S, entry: members[123]!, id };
        expect(planFor(strategy, { ...input, position }, node, PARAMS)).toEqual(planFor(strategy, input, node, PARAMS));
      }
    }
  });

  it('gives nothing to send to a node outside the members, or when the entry is not a member', () => {
    const { members, position } = gappy(300);
    const id = idFor('outside');
    const down = 3; // id 3 is a gap
    expect(position(down)).toBe(-1);
    for (const strategy of ['tree', 'ring', 'gossip'] as const) {
      expect(planFor(strategy, { members, position, neighborhoodSize: S, entry: members[0]!, id }, down, PARAMS)).toEqual({ now: [], after: [] });
    }
    for (const strategy of ['tree', 'ring'] as const) {
      for (const node of members) expect(planFor(strategy, { members, position, neighborhoodSize: S, entry: down, id }, node, PARAMS)).toEqual({ now: [], after: [] });
    }
  });
});

describe('tree: depth and leaders', () => {
  /**
   * Bound. Neighborhoods are numbered 0..M-1 from the root's (M = ceil(N/S)) and arranged as a
   * k-ary heap: the children of q are kq+1..kq+k. The root's leader is the entry (0 hops); the
   * leader of a neighborhood at heap depth d is reached in d hops, and its members in d + 1.
   * The deepest index M-1 has depth D = the least D with (k^(D+1) - 1)/(k - 1) ≥ M, which is at most
   * ceil(log_k M). So the last node is at most D + 1 ≤ 1 + ceil(log_k M) hops from the entry, and
   * exactly D + 1 when the deepest neighborhoods have a member besides their leader.
   */
  const heapDepth = (m: number, k: number): number => {
    let depth = 0;
    for (let levelSize = 1, total = 1; total < m; depth++) {
      levelSize *= k;
      total += levelSize;
    }
    return depth;
  };

  it.each([
    [200, 3],
    [1000, 4],
    [4000, 5],
  ])('N = %i, S = 15, fanout 4: the last node is %i hops from the entry, within 1 + ceil(log4 M)', (n, expected) => {
    const m = neighborhoodCount(n, S);
    const depth = heapDepth(m, 4);
    expect(depth + 1).toBe(expected);
    expect(depth + 1).toBeLessThanOrEqual(1 + Math.ceil(Math.log(m) / Math.log(4)));
    const { members, position } = contiguous(n);
    for (let trial = 0; trial < 20; trial++) {
      const id = idFor(`depth-${n}-${trial}`);
      const { maxHops, errors } = spread('tree', { members, position, neighborhoodSize: S, entry: entryFor(members, id), id });
      expect(errors).toEqual([]);
      expect(maxHops).toBe(expected);
    }
  });

  it('is logarithmic where the ring is linear: N = 4,000 takes 5 tree hops and 267 ring hops', () => {
    const { members, position } = contiguous(4000);
    const input = { members, position, neighborhoodSize: S, entry: 1, id: idFor('vs') };
    expect(spread('tree', input).maxHops).toBe(5);
    expect(spread('ring', input).maxHops).toBe(267);
  });

  /** The member of a neighborhood that leads it: the one with something to send. */
  const leaderOf = (input: PlanInput, nh: number): number[] => {
    const [start, end] = neighborhoodRange(nh, input.members.length, input.neighborhoodSize);
    return input.members.slice(start, end).filter((node) => {
      const p: Plan = planFor('tree', input, node, PARAMS);
      return p.now.length + p.after.length > 0;
    });
  };

  it('rotates the leader of a non-root neighborhood with the message id; the root is led by the entry', () => {
    const { members, position } = contiguous(1000);
    const leaders = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const input = { members, position, neighborhoodSize: S, entry: 7, id: idFor(`rotate-${i}`) };
      const [leader, ...others] = leaderOf(input, 5);
      expect(others).toEqual([]);
      expect(leader).toBeGreaterThanOrEqual(5 * S + 1);
      expect(leader).toBeLessThanOrEqual(6 * S);
      leaders.add(leader!);
      expect(leaderOf(input, 0)).toEqual([7]);
    }
    // 200 ids over 15 members: every member leads at some point.
    expect(leaders.size).toBe(S);
  });

  it('picks the same leaders for the same message id', () => {
    const { members, position } = contiguous(1000);
    const input = { members, position, neighborhoodSize: S, entry: 500, id: idFor('same') };
    expect(leaderOf(input, 10)).toEqual(leaderOf({ ...input }, 10));
  });
});

describe('ring: the seed walk', () => {
  it('sends to its own neighborhood now, and to the next neighborhood’s first member after', () => {
    // N = 40, S = 15: neighborhoods 1..15, 16..30, 31..40. The message enters at 20.
    const { members, position } = contiguous(40);
    const input = { members, position, neighborhoodSize: S, entry: 20, id: idFor('ring') };
    const plan = (node: number): Plan => planFor('ring', input, node, PARAMS);
    expect(plan(20)).toEqual({ now: range(16, 30).filter((x) => x !== 20), after: [31] });
    expect(plan(31)).toEqual({ now: range(32, 40), after: [1] });
    expect(plan(1)).toEqual({ now: range(2, 15), after: [] }); // back at the entry's neighborhood: done
    for (const node of [...range(2, 19), ...range(21, 30), ...range(32, 40)]) expect(plan(node)).toEqual({ now: [], after: [] });
  });

  it('walks the neighborhoods in ring order from the entry’s, wrapping, each led by its first member (any N)', () => {
    for (const n of [1, 2, 14, 15, 16, 29, 30, 31, 100, 1000, 3900]) {
      const { members, position } = gappy(n);
      const m = neighborhoodCount(n, S);
      for (const entryPos of new Set([0, n - 1, Math.floor(n / 2)])) {
        const input = { members, position, neighborhoodSize: S, entry: members[entryPos]!, id: idFor(`walk-${n}`) };
        const root = neighborhoodOf(entryPos, S);
        const expected = range(1, m - 1).map((i) => members[neighborhoodRange((root + i) % m, n, S)[0]]!);
        const walked: number[] = [];
        let plan = planFor('ring', input, input.entry, PARAMS);
        while (plan.after.length > 0) {
          expect(plan.after).toHaveLength(1);
          walked.push(plan.after[0]!);
          plan = planFor('ring', input, plan.after[0]!, PARAMS);
        }
        expect(walked).toEqual(expected);
      }
    }
  });

  it('does not rotate leaders: the plan is the same for every message id', () => {
    const { members, position } = contiguous(100);
    const plans = range(0, 20).map((i) => planFor('ring', { members, position, neighborhoodSize: S, entry: 50, id: idFor(`ring-id-${i}`) }, 61, PARAMS));
    for (const p of plans) expect(p).toEqual({ now: range(62, 75), after: [76] });
  });

  it.each([15, 150, 1500, 3900, 4000])('N = %i: the last node is ceil(N/15) hops away, one neighborhood after another', (n) => {
    const { members, position } = contiguous(n);
    const { maxHops, errors } = spread('ring', { members, position, neighborhoodSize: S, entry: 1, id: idFor(`ring-${n}`) });
    expect(errors).toEqual([]);
    expect(maxHops).toBe(Math.ceil(n / S));
  });
});

describe('gossip', () => {
  const D = PARAMS.gossipFanout;
  const input = (n: number, id: string): PlanInput & { position: (id: number) => number } => ({ ...gappy(n), neighborhoodSize: S, entry: GAPPY_IDS[0]!, id });

  it('sends to min(D, N - 1) distinct peers, never itself, led by its ring successor', () => {
    for (const n of [1, 2, 3, 6, 7, 8, 50, 1000]) {
      const inp = input(n, idFor(`g-${n}`));
      inp.members.forEach((node, p) => {
        const plan = gossipPlan(inp, node, D);
        expect(plan.after).toEqual([]);
        expect(plan.now).toHaveLength(Math.min(D, n - 1));
        expect(new Set(plan.now).size).toBe(plan.now.length);
        expect(plan.now).not.toContain(node);
        for (const peer of plan.now) expect(inp.position(peer)).toBeGreaterThanOrEqual(0);
        if (n > 1) expect(plan.now[0]).toBe(inp.members[(p + 1) % n]);
      });
    }
  });

  it('never sends back to the node it heard from; the other peers still number min(D, N - 2)', () => {
    for (const n of [2, 3, 7, 8, 50, 1000]) {
      const inp = input(n, idFor(`h-${n}`));
      inp.members.forEach((node, p) => {
        for (const heardFrom of new Set([inp.members[(p + n - 1) % n]!, inp.members[(p + 1) % n]!, inp.members[(p + 3) % n]!])) {
          if (heardFrom === node) continue;
          const plan = gossipPlan(inp, node, D, heardFrom);
          expect(plan.now).not.toContain(heardFrom);
          expect(plan.now).not.toContain(node);
          expect(plan.now).toHaveLength(Math.min(D, n - 2));
          const successor = inp.members[(p + 1) % n]!;
          if (successor !== heardFrom) expect(plan.now[0]).toBe(successor);
        }
      });
    }
  });

  it('is deterministic for the same (id, node), and varies with the id', () => {
    const a = input(1000, idFor('det'));
    const node = a.members[400]!;
    expect(gossipPlan(a, node, D, 12)).toEqual(gossipPlan({ ...a, members: [...a.members] }, node, D, 12));
    const variants = new Set(range(0, 30).map((i) => gossipPlan(input(1000, idFor(`det-${i}`)), node, D).now.slice(1).join()));
    expect(variants.size).toBeGreaterThan(25);
  });

  it('stays connected: following ring successors from any member visits every member', () => {
    for (const n of [2, 3, 16, 999]) {
      const inp = input(n, idFor(`succ-${n}`));
      for (const start of [inp.members[0]!, inp.members[n - 1]!, inp.members[n >> 1]!]) {
        const visited = new Set<number>();
        for (let node = start; !visited.has(node); node = gossipPlan(inp, node, D).now[0]!) visited.add(node);
        expect(visited.size).toBe(n);
      }
    }
  });

  it('reaches every member when each node pushes to its plan (N = 1..300 and 4,000, D = 1, 2, 6)', () => {
    for (const d of [1, 2, 6]) {
      for (const n of [...range(1, 300), 4000]) {
        const inp = input(n, idFor(`flood-${d}-${n}`));
        const reached = new Set([inp.entry]);
        const queue: [number, number | undefined][] = [[inp.entry, undefined]];
        for (let head = 0; head < queue.length; head++) {
          const [node, from] = queue[head]!;
          for (const peer of planFor('gossip', inp, node, { ...PARAMS, gossipFanout: d }, from).now) {
            if (!reached.has(peer)) {
              reached.add(peer);
              queue.push([peer, node]);
            }
          }
        }
        if (reached.size !== n) expect({ d, n, reached: reached.size }).toEqual({ d, n, reached: n });
      }
    }
  });
});

describe('neighborhoods (DESIGN §1: ids 1..N, node i has id i + 1, runs of 15 consecutive ids)', () => {
  it.each([
    [0, 0],
    [1, 1],
    [14, 1],
    [15, 1],
    [16, 2],
    [30, 2],
    [31, 3],
    [200, 14],
    [1000, 67],
    [3900, 260],
    [4000, 267],
  ])('%i nodes form %i neighborhoods', (n, count) => {
    expect(neighborhoodCount(n, S)).toBe(count);
  });

  it.each([
    // [ring position, neighborhood]: node i (id i + 1) is in neighborhood floor(i / 15).
    [0, 0],
    [14, 0],
    [15, 1],
    [29, 1],
    [30, 2],
    [3899, 259],
  ])('position %i is in neighborhood %i', (pos, nh) => {
    expect(neighborhoodOf(pos, S)).toBe(nh);
  });

  it.each([
    [0, 40, [0, 15]],
    [1, 40, [15, 30]],
    [2, 40, [30, 40]], // the last one is short
    [259, 3900, [3885, 3900]],
    [266, 4000, [3990, 4000]],
  ] as const)('neighborhood %i of %i nodes spans positions %j', (k, n, span) => {
    expect(neighborhoodRange(k, n, S)).toEqual(span);
  });

  it('partitions the ring: ranges are consecutive, cover 0..N-1, and agree with neighborhoodOf (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 100 }), (n, size) => {
        const m = neighborhoodCount(n, size);
        const bad: string[] = [];
        let next = 0;
        for (let k = 0; k < m; k++) {
          const [start, end] = neighborhoodRange(k, n, size);
          const full = k < m - 1 ? end - start === size : end - start >= 1 && end - start <= size;
          if (start !== next || !full || neighborhoodOf(start, size) !== k || neighborhoodOf(end - 1, size) !== k) bad.push(`${k}: [${start}, ${end})`);
          next = end;
        }
        expect(bad).toEqual([]);
        expect(next).toBe(n);
      }),
    );
  });
});
