// Each node's own directory, side by side (`spinoza status`): GET /directory of a node, and the pure
// summary of all of them — the latest epoch, who holds it, who lags or forks, and who is DOWN,
// UNRELIABLE, NEW or registered after genesis in it (docs/membership.md).
import { z } from 'zod';
import { getNodeJson, type NodeAddress, type NodeGetOptions } from './health.js';

/**
 * Only what status reads of GET /directory (`{...DirectoryData, hash}`, node/server/http.ts). Statuses
 * stay strings, so a status a newer node introduces shows up instead of failing the whole view.
 */
const DirectoryBody = z.object({
  network: z.string(),
  epoch: z.number().int().nonnegative(),
  hash: z.string().min(1),
  nodes: z.array(z.object({ id: z.number().int().positive(), status: z.string() })),
});
export type DirectorySnapshot = z.infer<typeof DirectoryBody>;

/** A node's directory as it holds it: epoch, hash, and its own status in it (null: not listed). */
export interface NodeDirectoryView {
  epoch: number;
  hash: string;
  status: string | null;
}

export type DirectoryResult = { ok: true; snapshot: DirectorySnapshot } | { ok: false; error: string };

/** One GET /directory of network `network`. Never throws for an unreachable or wrong node; only for an abort of `signal`. */
export async function fetchDirectory(n: NodeAddress, network: string, opts: NodeGetOptions = {}): Promise<DirectoryResult> {
  const r = await getNodeJson(n, '/directory', DirectoryBody, (b) => (b.network !== network ? `directory of network ${b.network}` : undefined), opts);
  return r.ok ? { ok: true, snapshot: r.body } : r;
}

export const viewOf = (self: number, s: DirectorySnapshot): NodeDirectoryView =>
  ({ epoch: s.epoch, hash: s.hash, status: s.nodes.find((n) => n.id === self)?.status ?? null });

/** What the answering nodes' directories say together. */
export interface DirectorySummary {
  /** The highest epoch any node holds, and the hash most of its holders agree on. */
  epoch: number;
  hash: string;
  /** Nodes holding exactly that snapshot, out of the `answered` ones. */
  agree: number;
  answered: number;
  /** Nodes on an older epoch. */
  behind: number[];
  /** Nodes on the latest epoch with another hash: a fork (see the safety caveat in docs/membership.md). */
  divergent: number[];
  /** Status in the latest snapshot. */
  down: number[];
  unreliable: number[];
  new: number[];
  /** Any other status than UP, DOWN, UNRELIABLE and NEW, by name (none today). */
  other: Record<string, number[]>;
  /** Listed in the latest snapshot, absent from genesis: registered later. */
  registered: number[];
}

const NAMED = new Set(['UP', 'DOWN', 'UNRELIABLE', 'NEW']);

/** Null when no node answered. `snapshots` is keyed by the node that served it. */
export function summarizeDirectories(genesisIds: Iterable<number>, snapshots: ReadonlyMap<number, DirectorySnapshot>): DirectorySummary | null {
  const all = [...snapshots.entries()].sort(([a], [b]) => a - b);
  if (all.length === 0) return null;
  const epoch = Math.max(...all.map(([, s]) => s.epoch));
  const atEpoch = all.filter(([, s]) => s.epoch === epoch);
  const holders = new Map<string, number[]>();
  for (const [id, s] of atEpoch) holders.set(s.hash, [...(holders.get(s.hash) ?? []), id]);
  // The most-held hash wins; a tie goes to the hash of the lowest node id, so the choice is stable.
  const [hash, agreeing] = [...holders.entries()].reduce((best, h) => (h[1].length > best[1].length ? h : best));
  const latest = atEpoch.find(([, s]) => s.hash === hash)![1];
  const having = (status: string): number[] => latest.nodes.filter((n) => n.status === status).map((n) => n.id).sort((a, b) => a - b);
  const other: Record<string, number[]> = {};
  for (const status of new Set(latest.nodes.map((n) => n.status))) if (!NAMED.has(status)) other[status] = having(status);
  const genesis = new Set(genesisIds);
  return {
    epoch,
    hash,
    agree: agreeing.length,
    answered: all.length,
    behind: all.filter(([, s]) => s.epoch < epoch).map(([id]) => id),
    divergent: atEpoch.filter(([, s]) => s.hash !== hash).map(([id]) => id),
    down: having('DOWN'),
    unreliable: having('UNRELIABLE'),
    new: having('NEW'),
    other,
    registered: latest.nodes.map((n) => n.id).filter((id) => !genesis.has(id)).sort((a, b) => a - b),
  };
}
