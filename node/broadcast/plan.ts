// Pure dissemination plans: which peers a node sends a message to. No sockets, no timers.
// The tree and the ring share one neighborhood planner; gossip picks seeded random peers.
import { neighborhoodCount, neighborhoodOf, neighborhoodRange } from '../directory/neighborhoods.js';
import type { StrategyName } from '../wire/schemas.js';

export interface PlanInput {
  /** Member ids in ring order (the directory's nodes in good standing). */
  members: readonly number[];
  neighborhoodSize: number;
  /** Node the message entered at: root of the tree / start of the ring walk. */
  entry: number;
  /** Message id (hex): seeds per-message leader rotation and gossip choices. */
  id: string;
  /** Ring position of a member, -1 if none; O(1) lookups from the directory (default: a linear scan). */
  position?: (id: number) => number;
}

export interface Plan {
  /** Peers sent to as soon as the message is accepted. */
  now: number[];
  /** Peers sent to once every peer in `now` has acked (the ring's hand-over to the next neighborhood). */
  after: number[];
}

const EMPTY: Plan = { now: [], after: [] };

/** 32 bits of the message id at `offset` (hex chars), as an unsigned integer. */
const idBits = (id: string, offset = 0): number => Number.parseInt(id.slice(offset, offset + 8), 16) >>> 0;

/**
 * Neighborhoods form a k-ary tree rooted at the entry's neighborhood (rotated so every entry is a root).
 * Each neighborhood has one leader; the leader sends to its own members and to the leaders of its
 * child neighborhoods. With `rotateLeaders`, a neighborhood's leader is chosen by the message id,
 * spreading forwarding load across members from message to message.
 */
export function neighborhoodTreePlan(input: PlanInput, node: number, fanout: number, rotateLeaders: boolean, sequential: boolean): Plan {
  const { members, neighborhoodSize: size, entry } = input;
  const n = members.length;
  const position = input.position ?? ((id: number) => members.indexOf(id));
  const pos = position(node);
  const entryPos = position(entry);
  if (pos < 0 || entryPos < 0) return EMPTY;
  const m = neighborhoodCount(n, size);
  const rootNh = neighborhoodOf(entryPos, size);
  const leaderPos = (nh: number): number => {
    if (nh === rootNh) return entryPos;
    const [start, end] = neighborhoodRange(nh, n, size);
    return rotateLeaders ? start + (idBits(input.id) % (end - start)) : start;
  };
  const nh = neighborhoodOf(pos, size);
  if (leaderPos(nh) !== pos) return EMPTY;

  const [start, end] = neighborhoodRange(nh, n, size);
  const own: number[] = [];
  for (let p = start; p < end; p++) if (p !== pos) own.push(members[p]!);
  const q = (nh - rootNh + m) % m; // this neighborhood's place in the tree
  const next: number[] = [];
  for (let c = fanout * q + 1; c <= fanout * q + fanout && c < m; c++) next.push(members[leaderPos((rootNh + c) % m)]!);
  // Child leaders first: they head the longest paths, so the next level starts before our own members.
  return sequential ? { now: own, after: next } : { now: [...next, ...own], after: [] };
}

/** A small seeded PRNG (mulberry32): the same id and node always choose the same peers. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Push gossip with fanout D: the node's ring successor, then distinct random members up to D (never
 * itself, never the one it heard from). The successor edge keeps the overlay connected, so a push
 * reaches every live node even when random choices miss one (when the successor is the sender, it
 * has the message already); random edges give the speed.
 */
export function gossipPlan(input: PlanInput, node: number, fanout: number, heardFrom?: number): Plan {
  const { members } = input;
  const position = input.position ?? ((id: number) => members.indexOf(id));
  const pos = position(node);
  if (pos < 0 || members.length < 2 || fanout < 1) return EMPTY;
  const successor = members[(pos + 1) % members.length]!;
  const first = successor === heardFrom ? [] : [successor];
  const candidates = members.filter((id) => id !== node && id !== heardFrom && id !== successor);
  const rand = seededRandom(idBits(input.id) ^ Math.imul(node, 0x9e3779b1));
  const k = Math.min(fanout - first.length, candidates.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (candidates.length - i));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return { now: [...first, ...candidates.slice(0, k)], after: [] };
}

export interface StrategyParams {
  treeFanout: number;
  gossipFanout: number;
}

/** The one entry point the engine calls: a node's plan for a message under a strategy. */
export function planFor(strategy: StrategyName, input: PlanInput, node: number, p: StrategyParams, heardFrom?: number): Plan {
  switch (strategy) {
    case 'tree':
      return neighborhoodTreePlan(input, node, p.treeFanout, true, false);
    case 'ring':
      // The seed's walk: the entry's neighborhood, then each next one in ring order, its first node leading.
      return neighborhoodTreePlan(input, node, 1, false, true);
    case 'gossip':
      return gossipPlan(input, node, p.gossipFanout, heardFrom);
  }
}
