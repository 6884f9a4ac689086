// Each node's impairment profile while network faults are in effect: the base profile (what `spinoza
// shape` or the manifest's `initial` put in effect) plus the grudges of every active partition, with
// the drop rate of every active loss fault compounded on the nodes it covers. Pure: the executor's
// pushes follow from it, and it is tested without sockets.
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import type { PartitionMode, PlannedFault } from './schedule.js';

/**
 * The grudge map of a partition (node → peers whose frames it drops). Every node gets the whole map:
 * a node enforces grudges both as receiver (drops) and as sender (does not send what would be dropped).
 */
export function partitionGrudges(cut: readonly number[], mode: PartitionMode, all: readonly number[]): Record<string, number[]> {
  const inCut = new Set(cut);
  const rest = all.filter((id) => !inCut.has(id));
  const out: Record<string, number[]> = {};
  if (mode !== 'outbound') for (const id of cut) out[String(id)] = [...rest];
  if (mode !== 'inbound') for (const id of rest) out[String(id)] = [...cut];
  return out;
}

/** Whether node `to` cannot hear node `from` under a partition with cut side `cut`. */
export function partitionBlocks(cut: ReadonlySet<number>, mode: PartitionMode, from: number, to: number): boolean {
  const fromCut = cut.has(from);
  const toCut = cut.has(to);
  if (fromCut === toCut) return false;
  return mode === 'symmetric' || (mode === 'inbound' ? toCut : fromCut);
}

/**
 * The profile each of `nodes` should hold with `active` faults in effect; null where nothing is
 * impaired (the transport's fast path). `seed` seeds the loss draws when the base profile has none.
 */
export function networkProfiles(base: ImpairmentProfile | null, active: readonly Pick<PlannedFault, 'kind' | 'nodes' | 'mode' | 'loss'>[],
  nodes: readonly number[], seed: string): Map<number, ImpairmentProfile | null> {
  // Nothing in effect: exactly the base, so a healed network is the one the report states.
  if (active.length === 0) return new Map(nodes.map((id) => [id, base]));
  const grudges = new Map<string, Set<number>>();
  const add = (map: Record<string, readonly number[]>): void => {
    for (const [node, peers] of Object.entries(map)) {
      const set = grudges.get(node) ?? new Set<number>();
      for (const p of peers) set.add(p);
      grudges.set(node, set);
    }
  };
  if (base?.partition) add(base.partition);
  for (const f of active) if (f.kind === 'partition') add(partitionGrudges(f.nodes, f.mode ?? 'symmetric', nodes));
  const partition = Object.fromEntries([...grudges].filter(([, s]) => s.size > 0)
    .sort(([a], [b]) => Number(a) - Number(b)).map(([k, s]) => [k, [...s].sort((a, b) => a - b)]));
  const hasGrudges = Object.keys(partition).length > 0;
  const losses = active.filter((f) => f.kind === 'loss').map((f) => ({ nodes: new Set(f.nodes), loss: f.loss ?? 0 }));
  // Parsed once (and so in the node's own key order), then copied with each node's loss: a grudge map
  // over many nodes is not re-validated per node.
  const shared = ImpairmentProfile.parse({
    ...(base ?? { seed: `chaos/${seed}` }),
    ...(hasGrudges ? { partition } : {}),
  });
  if (!hasGrudges) delete shared.partition;
  const out = new Map<number, ImpairmentProfile | null>();
  for (const id of nodes) {
    let keep = 1 - (base?.loss ?? 0);
    for (const l of losses) if (l.nodes.has(id)) keep *= 1 - l.loss;
    const loss = Math.round((1 - keep) * 1e9) / 1e9;
    out.set(id, base === null && !hasGrudges && loss === 0 ? null : { ...shared, loss });
  }
  return out;
}
