// An opened run: its files, record and directory, plus the lookups every command needs.
import type { DirectoryData, DirectoryEntry } from '../node/directory/schema.js';
import type { BackendRun } from './backends/backend.js';
import { SpinozaError } from './errors.js';
import { currentRun, readCurrentDirectory, startedNodes, writeRecord, type RunLayout, type RunRecord } from './state.js';

export interface OpenRun {
  layout: RunLayout;
  record: RunRecord;
  /** Genesis, or after a `join` the latest directory the orchestrator verified from it (state.ts readCurrentDirectory). */
  directory: DirectoryData;
}

/** The current run of `home`, or a 'no-run' error. */
export async function openRun(home: string): Promise<OpenRun> {
  const { layout, record } = await currentRun(home);
  return { layout, record, directory: await readCurrentDirectory(layout) };
}

/** The view a backend works on; `save` persists the record (pids etc.) atomically. */
export function backendRun(run: OpenRun): BackendRun {
  const b: BackendRun = {
    layout: run.layout,
    directory: run.directory,
    record: run.record,
    save: async (record) => {
      b.record = record;
      run.record = record;
      await writeRecord(run.layout, record);
    },
  };
  return b;
}

export function nodeEntry(run: OpenRun, id: number): DirectoryEntry {
  const entry = run.directory.nodes.find((n) => n.id === id);
  if (!entry) {
    throw new SpinozaError('unknown-node', `node ${id} is not in run ${run.layout.runId}`,
      `node ids are 1..${Math.max(...run.directory.nodes.map((n) => n.id))}; see \`spinoza status\``);
  }
  return entry;
}

/**
 * The node a client talks to: `via` if given (it must have been started; a byzantine one is taken at
 * its word), else the first live node that is not unreliable (an unreliable entry node would make the
 * demo's latency its own delay).
 */
export function pickEntryNode(run: OpenRun, via?: number): DirectoryEntry {
  if (via !== undefined) {
    const entry = nodeEntry(run, via);
    if (!startedNodes(run.record).includes(via)) {
      throw new SpinozaError('unknown-node', `node ${via} is dead in run ${run.layout.runId}: it never answers`,
        `pick a live node: ${run.record.live.slice(0, 10).join(', ')}${run.record.live.length > 10 ? ', …' : ''}`);
    }
    return entry;
  }
  const unreliable = new Set(run.record.unreliable);
  const id = run.record.live.find((n) => !unreliable.has(n)) ?? run.record.live[0];
  if (id === undefined) throw new SpinozaError('no-run', `run ${run.layout.runId} has no live node`, 'start a new run with `spinoza up`');
  return nodeEntry(run, id);
}
