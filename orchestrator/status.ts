// `status`: every node of the current run with its role, unit state and health, and the directory
// each node holds (its epoch and its own status in it), summed up: latest epoch, who agrees, who is DOWN.
import { backendFor } from './backends/backend.js';
import { fetchDirectory, summarizeDirectories, viewOf, type DirectorySnapshot, type DirectorySummary, type NodeDirectoryView } from './directory-view.js';
import { fetchHealth, mapLimit } from './health.js';
import { openRun } from './run.js';

export type NodeRole = 'live' | 'unreliable' | 'dead';

export interface NodeStatus {
  id: number;
  address: string;
  role: NodeRole;
  /** Status in the genesis directory (dead nodes are UP there too). */
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
  /** Live nodes answering /health, out of `live`. */
  healthy: number;
  live: number;
  /** The nodes' directories together; null when no node answered GET /directory. */
  directory: DirectorySummary | null;
}

export async function status(opts: { home: string; signal?: AbortSignal; timeoutMs?: number }): Promise<RunStatus> {
  const run = await openRun(opts.home);
  const { record, directory } = run;
  const running = await (await backendFor(record.backend)).running(run);
  const live = new Set(record.live);
  const unreliable = new Set(record.unreliable);
  const pids = new Map(record.processes.map((p) => [p.id, p.pid]));
  const ask = { timeoutMs: opts.timeoutMs ?? 1_000, ...(opts.signal && { signal: opts.signal }) };
  const snapshots = new Map<number, DirectorySnapshot>();
  const nodes = await mapLimit(directory.nodes, 32, async (n): Promise<NodeStatus> => {
    const role: NodeRole = !live.has(n.id) ? 'dead' : unreliable.has(n.id) ? 'unreliable' : 'live';
    const base = { id: n.id, address: `${n.host}:${n.port}`, role, status: n.status, pid: pids.get(n.id) ?? null };
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
    healthy: nodes.filter((n) => n.health === 'ok').length,
    live: record.live.length,
    directory: summarizeDirectories(directory.nodes.map((n) => n.id), snapshots),
  };
}
