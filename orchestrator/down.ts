// `down`: stop every unit of the current run and drop the `current` pointer; files stay unless purged.
import { rm } from 'node:fs/promises';
import { backendFor } from './backends/backend.js';
import { currentRun, clearCurrent, writeRecord } from './state.js';

export interface DownOptions {
  home: string;
  /** Between SIGTERM and SIGKILL; default 5000. */
  graceMs?: number;
  /** Also delete the run's directory (configs, keys, events, logs). */
  purge?: boolean;
  signal?: AbortSignal;
}

export interface DownResult {
  runId: string;
  runDir: string;
  /** Ids of the nodes that were still running and were stopped. */
  stopped: number[];
  purged: boolean;
}

export async function down(opts: DownOptions): Promise<DownResult> {
  const { layout, record } = await currentRun(opts.home);
  const backend = await backendFor(record.backend);
  const stopped = await backend.down({ layout, record }, {
    graceMs: opts.graceMs ?? 5_000,
    ...(opts.signal && { signal: opts.signal }),
  });
  await writeRecord(layout, { ...record, state: 'stopped' });
  await clearCurrent(opts.home, layout.runId);
  if (opts.purge) await rm(layout.dir, { recursive: true, force: true });
  return { runId: layout.runId, runDir: layout.dir, stopped, purged: opts.purge === true };
}
