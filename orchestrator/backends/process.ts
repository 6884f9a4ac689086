// The `process` backend: one detached Node.js process per live node on this machine (no Docker).
// Detached so `spinoza up` can exit and the testnet keeps running; pids go to run.json for `down`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { abortError, SpinozaError } from '../errors.js';
import { waitHealthy, type NodeAddress } from '../health.js';
import { assertPortsFree } from '../ports.js';
import { startedNodes } from '../state.js';
import type { Backend, BackendRun, DownOptions, RunRef, UpOptions } from './backend.js';
import { readLogFile } from './log-file.js';
import { findByArgPrefix, isOurProcess, terminate, type Proc } from './pids.js';
import { processFaults } from './process-faults.js';
import { processJoiners } from './process-joiners.js';

export interface ProcessBackendOptions {
  /** The node entry script; default: dist/node/main.js of this package. */
  nodeEntry?: string;
  /** Grace period when `up` has to undo a failed start. */
  cleanupGraceMs?: number;
}

/**
 * dist/node/main.js next to this compiled file (dist/orchestrator/backends/). When this module runs
 * from its .ts source (tests), the sibling is main.ts, so fall back to the package's dist/.
 */
export function defaultNodeEntry(): string {
  const compiled = fileURLToPath(new URL('../../node/main.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../../dist/node/main.js', import.meta.url));
}

export function processBackend(options: ProcessBackendOptions = {}): Backend {
  const entry = options.nodeEntry ?? defaultNodeEntry();
  /** The run's node processes: those in run.json (joiners too), plus any found by their config path (see findByArgPrefix). */
  const procsOf = (run: RunRef): Proc[] => {
    const recorded = [
      ...run.record.processes.map((p) => ({ pid: p.pid, marker: launchOf(run, p.id).file })),
      ...(run.record.joiners ?? []).flatMap((j) => (j.pid === undefined ? [] : [{ pid: j.pid, marker: run.layout.joinerConfig(j.k) }])),
    ];
    const known = new Set<number>();
    const unique = recorded.filter((p) => !known.has(p.pid) && known.add(p.pid));
    const found = findByArgPrefix(dirname(run.layout.nodeConfig(1)) + sep).filter((p) => !known.has(p.pid));
    return [...unique, ...found];
  };

  return {
    name: 'process',

    async up(run, opts) {
      if (!existsSync(entry)) {
        throw new SpinozaError('node-entry-missing', `node entry ${entry} not found`, 'build first: `npm run build`');
      }
      opts.onProgress?.({ phase: 'preflight' });
      const host = run.directory.nodes[0]!.host;
      await assertPortsFree(host, run.directory.nodes.map((n) => n.port));
      const children = new Map<number, ChildProcess>();
      const exits = new Map<number, string>();
      try {
        await startAll(run, opts, entry, children, exits);
        const byId = new Map(run.directory.nodes.map((n) => [n.id, n]));
        const targets: NodeAddress[] = startedNodes(run.record).map((id) => address(byId, id));
        await waitHealthy(targets, {
          timeoutMs: opts.healthTimeoutMs,
          ...(opts.signal && { signal: opts.signal }),
          onProgress: (ready, total) => opts.onProgress?.({ phase: 'waiting', ready, total }),
          failure: () => exitedError(run, exits),
        });
      } catch (e) {
        // Undo everything this `up` started: a failed start leaves no process behind.
        await terminate(procsOf(run), options.cleanupGraceMs ?? 2_000);
        throw opts.signal?.aborted ? abortError(opts.signal, 'starting nodes') : e;
      } finally {
        for (const child of children.values()) child.removeAllListeners('exit');
      }
    },

    async running(run) {
      const alive = new Map<number, boolean>(startedNodes(run.record).map((id) => [id, false]));
      for (const p of run.record.processes) alive.set(p.id, isOurProcess(p.pid, launchOf(run, p.id).file));
      return alive;
    },

    async down(run, opts: DownOptions) {
      const procs = procsOf(run).filter((p) => isOurProcess(p.pid, p.marker));
      await terminate(procs, opts.graceMs);
      const idOf = markerIds(run);
      return procs.flatMap((p) => idOf.get(p.marker) ?? []).sort((a, b) => a - b);
    },

    logs: readLogFile,

    faults: (run) => processFaults(run, entry),

    joiners: (run) => processJoiners(run, entry),
  };
}

/**
 * How node `id` is started: from its NodeConfig (`--config nodes/node-<id>.json`), or, for a node
 * admitted by `spinoza join`, from its EnrolConfig (`--enrol nodes/joiner-<k>.json`), which resumes
 * as the node it was admitted as. `file` is also the marker that tells our process from a reused pid.
 */
export function launchOf(run: RunRef, id: number): { mode: 'config' | 'enrol'; file: string; log: string } {
  const joiner = run.record.joiners?.find((j) => j.id === id);
  return joiner
    ? { mode: 'enrol', file: run.layout.joinerConfig(joiner.k), log: run.layout.joinerLog(joiner.k) }
    : { mode: 'config', file: run.layout.nodeConfig(id), log: run.layout.log(id) };
}

/** Node id by the config file in its command line, for every node of the run that has one. */
function markerIds(run: RunRef): Map<string, number> {
  const ids = new Map(startedNodes(run.record).map((id) => [run.layout.nodeConfig(id), id] as const));
  for (const j of run.record.joiners ?? []) if (j.id !== undefined) ids.set(run.layout.joinerConfig(j.k), j.id);
  return ids;
}

/** Spawns every live node, saving pids as it goes so even a crashed `up` can be cleaned by `down`. */
async function startAll(
  run: BackendRun,
  opts: UpOptions,
  entry: string,
  children: Map<number, ChildProcess>,
  exits: Map<number, string>,
): Promise<void> {
  const started = startedNodes(run.record);
  const total = started.length;
  let lastSave = Date.now();
  for (const id of started) {
    opts.signal?.throwIfAborted();
    const child = spawnNode(entry, run.layout.nodeConfig(id), run.layout.log(id));
    children.set(id, child);
    child.once('exit', (code, sig) => exits.set(id, sig ? `killed by ${sig}` : `exited with code ${code}`));
    run.record = { ...run.record, processes: [...run.record.processes, { id, pid: child.pid! }] };
    // Saving after every spawn would rewrite run.json N times (N² bytes at thousands of nodes).
    if (Date.now() - lastSave > 200 || run.record.processes.length === total) {
      await run.save(run.record);
      lastSave = Date.now();
    }
    opts.onProgress?.({ phase: 'starting', started: run.record.processes.length, total });
  }
}

/**
 * Starts one node detached, its output appended to `logPath`; also chaos's restart (process-faults.ts)
 * and `spinoza join` (process-joiners.ts, mode `enrol`).
 */
export function spawnNode(entry: string, configPath: string, logPath: string, mode: 'config' | 'enrol' = 'config'): ChildProcess {
  const log = openSync(logPath, 'a');
  try {
    const child = spawn(process.execPath, [entry, `--${mode}`, configPath], {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
    // A failed spawn reports through 'error' as well as a missing pid; without a listener it would crash us.
    child.once('error', () => {});
    if (child.pid === undefined) throw new SpinozaError('node-exited', `could not start ${process.execPath} ${entry}`);
    child.unref();
    return child;
  } finally {
    closeSync(log); // the child holds its own copy of the descriptor
  }
}

function address(byId: ReadonlyMap<number, NodeAddress>, id: number): NodeAddress {
  const entry = byId.get(id);
  if (!entry) throw new SpinozaError('state-invalid', `node ${id} is live in run.json but not in genesis.json`);
  return { id, host: entry.host, port: entry.port };
}

function exitedError(run: BackendRun, exits: Map<number, string>): SpinozaError | undefined {
  const first = exits.entries().next();
  if (first.done) return undefined;
  const [id, how] = first.value;
  const last = lastLine(run.layout.log(id));
  return new SpinozaError('node-exited', `node ${id} ${how} during start-up${last ? `: ${last}` : ''}`,
    `see its log: ${run.layout.log(id)}`);
}

export function lastLine(file: string): string | undefined {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    const line = lines.findLast((l) => /error/i.test(l)) ?? lines.at(-1);
    return line && line.length > 200 ? `${line.slice(0, 200)}…` : line;
  } catch {
    return undefined;
  }
}
