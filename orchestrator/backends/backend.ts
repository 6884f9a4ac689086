// The backend seam: how a run's nodes are started, observed and stopped. `process` is the embedded
// default; docker, compose and swarm implement the same interface (DESIGN.md §4).
import type { DirectoryData } from '../../node/directory/schema.js';
import { SpinozaError } from '../errors.js';
import type { JoinerPlacement, Placement } from '../genesis.js';
import type { FaultTarget } from './faults.js';
import type { BackendName, Manifest } from '../manifest.js';
import type { RunLayout, RunRecord } from '../state.js';

/** What a backend gets to work on: the run's files and record, and the directory it serves. */
export interface BackendRun {
  readonly layout: RunLayout;
  readonly directory: DirectoryData;
  /** The record as last written; backends persist what `down` will need (pids, containers) through `save`. */
  record: RunRecord;
  save(record: RunRecord): Promise<void>;
}

/** Enough to find a run's units again from another process (`status`, `down`). */
export type RunRef = Pick<BackendRun, 'layout' | 'record'>;

export type UpProgress =
  | { phase: 'preflight' }
  /** Building the node image (docker): `step` is the builder's current step, e.g. `Step 5/17`. */
  | { phase: 'image'; step: string }
  | { phase: 'starting'; started: number; total: number }
  | { phase: 'waiting'; ready: number; total: number };

export interface UpOptions {
  signal?: AbortSignal;
  onProgress?: (p: UpProgress) => void;
  /** How long every live node has to answer /health. */
  healthTimeoutMs: number;
}

export interface DownOptions {
  /** Time between SIGTERM (or a container stop) and a forced kill. */
  graceMs: number;
  signal?: AbortSignal;
}

export interface Backend {
  readonly name: BackendName;
  /**
   * Where the run's nodes will live, decided before genesis is written (the directory holds their
   * addresses). May ask the backend's engine (e.g. a free subnet). Default: localPlacement.
   */
  placement?(manifest: Manifest, layout: RunLayout, signal?: AbortSignal): Promise<Placement>;
  /**
   * Starts every node in `run.record.live` and resolves once each answers /health as itself.
   * On failure or abort it stops everything it started, then throws (a SpinozaError).
   */
  up(run: BackendRun, opts: UpOptions): Promise<void>;
  /** Whether each live node's unit (process, container) still exists. */
  running(run: RunRef): Promise<Map<number, boolean>>;
  /** Stops everything of the run; idempotent. Resolves with the ids it stopped. */
  down(run: RunRef, opts: DownOptions): Promise<number[]>;
  /** Node `id`'s output (stdout and stderr), also after `down`. */
  logs(run: RunRef, id: number): Promise<string>;
  /** Kill, restart, pause and resume of single nodes, for chaos (orchestrator/chaos); absent: not supported. */
  faults?(run: BackendRun): FaultTarget;
  /** Nodes added to the running testnet by `spinoza join` (orchestrator/join.ts); absent: not supported. */
  joiners?(run: BackendRun): JoinerUnits;
}

/**
 * A backend's half of `spinoza join`. Joiner k has no node id until a quorum admits it, so its unit
 * (process, container) is named by k; run.json maps k to the id later (state.ts JoinerRecord).
 */
export interface JoinerUnits {
  /** Where joiners `ks` will live: addresses no node of the run uses (and free now), and the paths they open. */
  place(ks: readonly number[], signal?: AbortSignal): Promise<Map<number, JoinerPlacement>>;
  /**
   * Starts joiner k from its EnrolConfig (layout.joinerConfig(k)), which `place` and the caller have
   * written; records its unit (a pid) through `run.save`. Resolves once started, not admitted.
   */
  start(k: number, signal?: AbortSignal): Promise<void>;
  /** Undefined while joiner k's unit runs; else how it ended (with its last error line). */
  exited(k: number): Promise<string | undefined>;
}

export type BackendFactory = () => Backend;

/** Backends by name; the later milestones add their factories here. */
export async function backendFor(name: BackendName): Promise<Backend> {
  switch (name) {
    case 'process': {
      const { processBackend } = await import('./process.js');
      return processBackend();
    }
    case 'docker': {
      const { dockerBackend } = await import('./docker.js');
      return dockerBackend();
    }
    case 'compose':
    case 'swarm':
      throw new SpinozaError('not-implemented', `the ${name} backend is not available yet`,
        'use --backend process (the default) for now');
  }
}
