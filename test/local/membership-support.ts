// Shared by the membership scenarios (docs/membership.md): fast timers, status lookups, certified
// events, and a background workload whose every accepted broadcast must reach every live member.
import type { NodeEvent } from '../../node/index.js';
import { publish, waitFor, type Testnet } from './harness.js';

/** Timers a few times faster than the defaults, so scenarios take seconds. */
export const FAST = {
  membership: true, probePeriodMs: 200, probeTimeoutMs: 100, indirectProbes: 3, suspicionMs: 600, proposalTimeoutMs: 1500,
  ackTimeoutMs: 300, maxRetries: 2, antiEntropyIntervalMs: 200, repairGraceMs: 300, repairBucketMs: 200,
};

export const statusOf = (net: Testnet, at: number, of: number): string | undefined =>
  net.nodes.get(at)?.directory().nodes.find((n) => n.id === of)?.status;

export type MembershipEvent = Extract<NodeEvent, { ev: 'membership' }>;
export const certified = (net: Testnet, node: number): MembershipEvent[] =>
  (net.events.get(node) ?? []).flatMap((e) => (e.ev === 'membership' && e.what === 'certified' ? [e] : []));

/** Every certified change any node applied, once per (epoch, subject). */
export function allCertified(net: Testnet): MembershipEvent[] {
  const seen = new Map<string, MembershipEvent>();
  for (const evs of net.events.values()) for (const e of evs) if (e.ev === 'membership' && e.what === 'certified') seen.set(`${e.epoch}:${e.of}`, e);
  return [...seen.values()].sort((a, b) => (a.epoch ?? 0) - (b.epoch ?? 0));
}

export const delivered = (net: Testnet, node: number): Set<string> =>
  new Set((net.events.get(node) ?? []).flatMap((e) => (e.ev === 'delivered' ? [e.id] : [])));

/**
 * Submits a broadcast every `everyMs` through the next entry `entries()` offers (skipping nodes that
 * refuse, e.g. just suspended); `stop()` ends it and returns the accepted ids.
 */
export function workload(net: Testnet, entries: () => number[], everyMs = 150): { stop: () => Promise<string[]>; ids: string[] } {
  const ids: string[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const list = entries();
      const via = list[n % list.length]!;
      n++;
      try {
        ids.push(await publish(net, via, `workload ${n}`));
      } catch { /* the entry was killed or suspended meanwhile: the next one takes it */ }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { ids, stop: async () => { running = false; await loop; return ids; } };
}

/** Waits until each of `nodes` has delivered every id (the tree, or anti-entropy for what it missed). */
export async function allDelivered(net: Testnet, nodes: number[], ids: string[], timeoutMs = 30_000): Promise<void> {
  const missing = (): string => nodes.map((id) => [id, ids.filter((m) => !delivered(net, id).has(m)).length] as const)
    .filter(([, k]) => k > 0).map(([id, k]) => `node ${id} lacks ${k}`).join(', ');
  try {
    await waitFor(() => missing() === '', 'every broadcast at every live member', timeoutMs);
  } catch {
    throw new Error(`not every broadcast reached every live member: ${missing()}`);
  }
}
