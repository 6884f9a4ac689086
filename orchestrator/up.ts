// `up`: genesis from the manifest, run files in the state dir, nodes started by the backend.
import { rm } from 'node:fs/promises';
import type { Backend, UpProgress } from './backends/backend.js';
import { backendFor } from './backends/backend.js';
import { SpinozaError } from './errors.js';
import { buildGenesis } from './genesis.js';
import { applyInitialImpairment } from './impair/initial.js';
import type { ByzantineKind, Manifest } from './manifest.js';
import { backendRun, type OpenRun } from './run.js';
import { currentRun, newRunId, readRecord, runLayout, setCurrent, writeRecord, writeRunFiles, type RunRecord } from './state.js';

export interface UpOptions {
  /** State home: runs/<runId>/ and the `current` pointer live here. */
  home: string;
  manifest: Manifest;
  /** Pins the run id (and so the network id); default a fresh `sp-xxxxxxxx`. */
  runId?: string;
  /** Time every node has to answer /health; default 30 s + 50 ms per node. */
  healthTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: UpProgress) => void;
  /** Injected backend (tests); default: the manifest's. */
  backend?: Backend;
}

export interface UpResult {
  runId: string;
  runDir: string;
  backend: string;
  network: string;
  nodes: { id: number; host: string; port: number }[];
  live: number[];
  dead: number[];
  unreliable: number[];
  /** Started with a byzantine behaviour (manifest faults.byzantine); not in `live`. */
  byzantine: { id: number; kind: ByzantineKind }[];
}

export async function up(opts: UpOptions): Promise<UpResult> {
  const { manifest } = opts;
  const backend = opts.backend ?? (await backendFor(manifest.backend));
  await assertNoActiveRun(opts.home, backend);
  const runId = opts.runId ?? newRunId();
  const layout = runLayout(opts.home, runId);
  await clearStaleRunDir(layout, backend);

  const placement = await backend.placement?.(manifest, layout, opts.signal);
  const genesis = buildGenesis(manifest, runId, layout, placement);
  await writeRunFiles(layout, manifest, genesis);
  const record: RunRecord = {
    runId,
    backend: backend.name,
    createdAt: new Date().toISOString(),
    state: 'starting',
    ...genesis.roles,
    processes: [],
  };
  await writeRecord(layout, record);
  // Point `current` at the run before anything starts, so `down` finds even a crashed `up`.
  await setCurrent(opts.home, runId);

  const run: OpenRun = { layout, record, directory: genesis.directory };
  const brun = backendRun(run);
  try {
    await backend.up(brun, {
      healthTimeoutMs: opts.healthTimeoutMs ?? 30_000 + 50 * (genesis.roles.live.length + genesis.roles.byzantine.length),
      ...(opts.signal && { signal: opts.signal }),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
    });
  } catch (e) {
    // The backend has stopped what it started; keep the files (logs) for inspection.
    await brun.save({ ...brun.record, state: 'failed' });
    throw e;
  }
  try {
    await applyInitialImpairment(run, manifest, opts.signal);
  } catch (e) {
    // Figures measured on a network other than the manifest's would mislead: the run fails whole.
    await backend.down(brun, { graceMs: 2_000 });
    await brun.save({ ...brun.record, state: 'failed' });
    throw e;
  }
  await brun.save({ ...brun.record, state: 'up' });
  return {
    runId,
    runDir: layout.dir,
    backend: backend.name,
    network: genesis.directory.network,
    nodes: genesis.directory.nodes.map(({ id, host, port }) => ({ id, host, port })),
    ...genesis.roles,
  };
}

/** One run per state home at a time: their ports and `current` pointer would collide. */
async function assertNoActiveRun(home: string, backend: Backend): Promise<void> {
  let existing;
  try {
    existing = await currentRun(home);
  } catch (e) {
    if (e instanceof SpinozaError && (e.code === 'no-run' || e.code === 'state-invalid')) return;
    throw e;
  }
  if (await anyRunning(existing.layout.runId, home, backend)) {
    throw new SpinozaError('run-active', `run ${existing.layout.runId} is still up in ${existing.layout.home}`,
      'stop it first with `spinoza down`');
  }
}

/** A pinned run id may name an old run: its stale events would pollute the new run's report. */
async function clearStaleRunDir(layout: ReturnType<typeof runLayout>, backend: Backend): Promise<void> {
  if (await anyRunning(layout.runId, layout.home, backend)) {
    throw new SpinozaError('run-active', `run ${layout.runId} is still up`, 'stop it first with `spinoza down`');
  }
  await rm(layout.dir, { recursive: true, force: true });
}

async function anyRunning(runId: string, home: string, backend: Backend): Promise<boolean> {
  const layout = runLayout(home, runId);
  let record: RunRecord;
  try {
    record = await readRecord(layout);
  } catch {
    return false; // no readable record: nothing of it can be running that we could find
  }
  if (record.state === 'stopped') return false;
  const owner = record.backend === backend.name ? backend : await backendFor(record.backend);
  const running = await owner.running({ layout, record });
  return [...running.values()].some(Boolean);
}
