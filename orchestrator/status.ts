// `status`: every node of the current run with its role, unit state and health, and the directory
// each node holds (its epoch and its own status in it), summed up: latest epoch, who agrees, who is DOWN.
import { backendFor } from './backends/backend.js';
import { fetchDirectory, summarizeDirectories, viewOf, type DirectorySnapshot, type DirectorySummary, type NodeDirectoryView } from './directory-view.js';
import { fetchHealth, mapLimit } from './health.js';
import type { ByzantineKind } from './manifest.js';
import { openRun } from './run.js';
import type { RunRecord } from './state.js';

/** `byzantine`: started with a test-only misbehaviour (manifest faults.byzantine), probed like live ones. */
export type NodeRole = 'live' | 'unreliable' | 'byzantine' | 'dead';

export interface NodeStatus {
  id: number;
  address: string;
  role: NodeRole;
  /** The misbehaviour of a byzantine node; absent for every other role. */
  behaviour?: ByzantineKind;
  /**
   * Status in the run's directory as the orchestrator knows it: genesis.json, or after a `join` the
   * directory it verified (run.ts openRun). Dead nodes are UP in genesis too.
   */
  status: string;
  pid: number | null;
  /** Whether its unit (process) exists; null for dead nodes, which are never started. */
  running: boolean | null;
  /** `ok` when /health answered as this node; `n/a` for dead nodes. */
  health: 'ok' | 'down' | 'n/a';
  epoch: number | null;
  /** Why /health failed, when it did. */
  error?: string;
  /** The directory this node holds (GET /directory): null when it did not answer. */
  directory: NodeDirectoryView | null;
  /** Why GET /directory failed on a node that answered /health. */
  directoryError?: string;
}

export interface RunStatus {
  runId: string;
  runDir: string;
  backend: string;
  state: string;
  createdAt: string;
  network: string;
  nodes: NodeStatus[];
  /** Live nodes answering /health, out of `live` (byzantine nodes are probed but not counted here). */
  healthy: number;
  live: number;
  /** The nodes' directories together; null when no node answered GET /directory. */
  directory: DirectorySummary | null;
}

/**
 * A node's role from the run record. A joiner is `live` once admitted (its id is in `live`); a node
 * in no list is `dead`: listed in the directory, never started.
 */
export function nodeRole(record: Pick<RunRecord, 'live' | 'unreliable' | 'byzantine'>, id: number): { role: NodeRole; behaviour?: ByzantineKind } {
  const byzantine = record.byzantine?.find((b) => b.id === id);
  if (byzantine) return { role: 'byzantine', behaviour: byzantine.kind };
  if (!record.live.includes(id)) return { role: 'dead' };
  return { role: record.unreliable.includes(id) ? 'unreliable' : 'live' };
}

export async function status(opts: { home: string; signal?: AbortSignal; timeoutMs?: number }): Promise<RunStatus> {
  const run = await openRun(opts.home);
  const { record, directory } = run;
  const running = await (await backendFor(record.backend)).running(run);
  const pids = new Map(record.processes.map((p) => [p.id, p.pid]));
  const ask = { timeoutMs: opts.timeoutMs ?? 1_000, ...(opts.signal && { signal: opts.signal }) };
  const snapshots = new Map<number, DirectorySnapshot>();
  const nodes = await mapLimit(directory.nodes, 32, async (n): Promise<NodeStatus> => {
    const { role, behaviour } = nodeRole(record, n.id);
    const base = { id: n.id, address: `${n.host}:${n.port}`, role, ...(behaviour && { behaviour }), status: n.status, pid: pids.get(n.id) ?? null };
    if (role === 'dead') return { ...base, running: null, health: 'n/a', epoch: null, directory: null };
    const h = await fetchHealth(n, ask);
    const unit = running.get(n.id) ?? false;
    if (!h.ok) return { ...base, running: unit, health: 'down', epoch: null, error: h.error, directory: null };
    const d = await fetchDirectory(n, directory.network, ask);
    if (!d.ok) return { ...base, running: unit, health: 'ok', epoch: h.epoch, directory: null, directoryError: d.error };
    snapshots.set(n.id, d.snapshot);
    return { ...base, running: unit, health: 'ok', epoch: h.epoch, directory: viewOf(n.id, d.snapshot) };
  });
  return {
    runId: record.runId,
    runDir: run.layout.dir,
    backend: record.backend,
    state: record.state,
    createdAt: record.createdAt,
    network: directory.network,
    nodes,
    healthy: nodes.filter((n) => (n.role === 'live' || n.role === 'unreliable') && n.health === 'ok').length,
    live: record.live.length,
    directory: summarizeDirectories(directory.nodes.map((n) => n.id), snapshots),
  };
}
