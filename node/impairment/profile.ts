// Impairment profiles (DESIGN.md §4): latency, jitter, loss, bandwidth, region latency matrices and
// partitions as a grudge map; and the pure function saying what one directed link suffers.
import { z } from 'zod';
import { sha256 } from '../crypto/index.js';
import { NodeId } from '../wire/schemas.js';

/** Largest latency or jitter accepted (ms): beyond it every protocol timeout fires anyway. */
export const MAX_IMPAIRMENT_MS = 60_000;

const ms = z.number({ error: 'expected a number of milliseconds' })
  .min(0, { error: 'expected a number of milliseconds >= 0' })
  .max(MAX_IMPAIRMENT_MS, { error: `expected at most ${MAX_IMPAIRMENT_MS} ms` });
const RegionName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, { error: 'expected a region name (letters, digits, _ or -)' });
const NodeKey = z.string().regex(/^[1-9][0-9]{0,6}$/, { error: 'expected a node id' });

export const ImpairmentProfile = z.object({
  /** One-way delay added to every frame, ms (a round trip pays it twice). */
  latencyMs: ms.default(0),
  /** Uniform spread around the delay, ± ms; frames never overtake each other on a link. */
  jitterMs: ms.default(0),
  /** Probability that a frame is dropped, per direction (message-level: nothing retransmits it). */
  loss: z.number({ error: 'expected a probability from 0 to 1' })
    .min(0, { error: 'expected a probability from 0 to 1' }).max(1, { error: 'expected a probability from 0 to 1' }).default(0),
  /** Rate of each directed link, bytes per second (a token bucket per link); absent: unlimited. */
  bandwidth: z.number({ error: 'expected bytes per second' }).positive({ error: 'expected bytes per second > 0' }).optional(),
  /** Regions and their weights: nodes are assigned to regions from `seed` in proportion to weight. */
  regions: z.record(RegionName, z.object({ weight: z.number().positive({ error: 'expected a weight > 0' }) }).strict()).optional(),
  /** One-way latency between regions, ms: `matrix[from][to]`; a missing entry takes `matrix[to][from]`, then `latencyMs`. */
  matrix: z.record(RegionName, z.record(RegionName, ms)).optional(),
  /** Seeds the region assignment and each node's loss/jitter draws. */
  seed: z.string().max(128).optional(),
  /** Grudges: node → peers whose traffic it drops (asymmetric and overlapping splits alike). */
  partition: z.record(NodeKey, z.array(NodeId)).optional(),
}).strict();
export type ImpairmentProfile = z.infer<typeof ImpairmentProfile>;
export type ImpairmentProfileInput = z.input<typeof ImpairmentProfile>;

export type ProfileCheck = { ok: true; value: ImpairmentProfile } | { ok: false; field: string; message: string };

const fail = (field: string, detail: string): ProfileCheck => ({ ok: false, field, message: `${field || '(profile)'}: ${detail}` });

/**
 * Validates a profile; with `nodeIds` (the directory's) also that every node it names exists.
 * Nothing changes anywhere until this says ok.
 */
export function parseProfile(input: unknown, nodeIds?: ReadonlySet<number>): ProfileCheck {
  const parsed = ImpairmentProfile.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    const detail = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
    return fail(field, `${detail}, got ${describe(valueAt(input, issue.path))}`);
  }
  const p = parsed.data;
  const regions = new Set(Object.keys(p.regions ?? {}));
  if (p.matrix && regions.size === 0) return fail('matrix', 'a latency matrix needs `regions` to assign nodes to');
  for (const [from, row] of Object.entries(p.matrix ?? {})) {
    if (!regions.has(from)) return fail(`matrix.${from}`, `unknown region "${from}" (regions: ${[...regions].join(', ')})`);
    for (const to of Object.keys(row)) {
      if (!regions.has(to)) return fail(`matrix.${from}.${to}`, `unknown region "${to}" (regions: ${[...regions].join(', ')})`);
    }
  }
  if (nodeIds) {
    for (const [node, peers] of Object.entries(p.partition ?? {})) {
      if (!nodeIds.has(Number(node))) return fail(`partition.${node}`, `node ${node} is not in the directory`);
      const i = peers.findIndex((peer) => !nodeIds.has(peer));
      if (i >= 0) return fail(`partition.${node}.${i}`, `node ${peers[i]} is not in the directory`);
    }
  }
  return { ok: true, value: p };
}

/** What one directed link `from → to` suffers under a profile. */
export interface LinkImpairment {
  delayMs: number;
  jitterMs: number;
  loss: number;
  /** Bytes per second, or null for unlimited. */
  bandwidth: number | null;
  /** `to` holds a grudge against `from`: every frame from→to is dropped. */
  blocked: boolean;
}

export type RegionOf = (node: number) => string | undefined;

export function linkImpairment(p: ImpairmentProfile, from: number, to: number, regionOf: RegionOf): LinkImpairment {
  return {
    delayMs: oneWayDelay(p, regionOf(from), regionOf(to)),
    jitterMs: p.jitterMs,
    loss: p.loss,
    bandwidth: p.bandwidth ?? null,
    blocked: p.partition?.[String(to)]?.includes(from) ?? false,
  };
}

function oneWayDelay(p: ImpairmentProfile, a: string | undefined, b: string | undefined): number {
  if (!p.matrix || a === undefined || b === undefined) return p.latencyMs;
  return p.matrix[a]?.[b] ?? p.matrix[b]?.[a] ?? p.latencyMs;
}

/**
 * Node → region, a pure function of the profile's seed, the weights and the node set: nodes are
 * ordered by a seeded hash and cut into runs sized by weight (largest remainder), so shares are exact.
 */
export function assignRegions(p: ImpairmentProfile, nodeIds: readonly number[]): Map<number, string> {
  const out = new Map<number, string>();
  const regions = Object.entries(p.regions ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (regions.length === 0) return out;
  const total = regions.reduce((s, [, r]) => s + r.weight, 0);
  const exact = regions.map(([, r]) => (r.weight / total) * nodeIds.length);
  const counts = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (let k = 0, left = nodeIds.length - counts.reduce((s, c) => s + c, 0); k < left; k++) counts[byRemainder[k]![1]]! += 1;
  const seed = p.seed ?? '';
  const order = [...nodeIds].map((id) => [sha256('spinoza/region/v1\0', seed, '\0', String(id)).readUIntBE(0, 6), id] as const)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let at = 0;
  regions.forEach(([name], i) => {
    for (let k = 0; k < counts[i]!; k++) out.set(order[at++]![1], name);
  });
  return out;
}

/** A symmetric split into groups: every node drops the traffic of every node outside its group. */
export function splitGrudges(groups: readonly (readonly number[])[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  groups.forEach((g, i) => {
    const others = groups.filter((_, j) => j !== i).flat();
    for (const id of g) out[String(id)] = [...others];
  });
  return out;
}

/** A profile that changes nothing: the transport then runs without a shaper (the fast path). */
export function isNoop(p: ImpairmentProfile): boolean {
  const matrixIdle = Object.values(p.matrix ?? {}).every((row) => Object.values(row).every((v) => v === 0));
  const noGrudge = Object.values(p.partition ?? {}).every((peers) => peers.length === 0);
  return p.latencyMs === 0 && p.jitterMs === 0 && p.loss === 0 && p.bandwidth === undefined && matrixIdle && noGrudge;
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : JSON.stringify(v));

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
  return cur;
}
