// Shared by the docker suite: the label every test resource carries, and the sweep that removes
// them. No reaper container can be pulled here, so cleanup is ours: each test removes what it made
// in afterAll, and the global setup sweeps whatever a crashed earlier run left.
import Docker from 'dockerode';
import { dockerBackend } from '../../orchestrator/backends/docker.js';
import { rm } from 'node:fs/promises';
import { removeLabelled } from '../../orchestrator/backends/docker/cleanup.js';
import { LABEL_RUN } from '../../orchestrator/backends/docker/engine.js';
import { down, type Backend } from '../../orchestrator/index.js';

export const TEST_LABEL = 'spinoza.test';
/**
 * The suite run that owns a resource: the pid of the vitest main process (the global setup sets it
 * for the workers). Sweeps remove only this run's resources and those of runs that are gone, so
 * two suites on one engine never remove each other's containers mid-test.
 */
export const OWNER = process.env['SPINOZA_TEST_OWNER'] ?? String(process.pid);
const NETWORK_STEM = 'spinoza-test-';
/** testcontainers' Network takes no labels, only a name: ours start with this. */
export const TEST_NETWORK_PREFIX = `${NETWORK_STEM}${OWNER}-`;
export const IMAGE = 'spinoza/node:local';

export const docker = new Docker();

/** The docker backend as the tests use it: every resource also labelled spinoza.test=<owner>. */
export const testBackend = (): Backend => dockerBackend({ docker, labels: { [TEST_LABEL]: OWNER } });

const alive = (owner: string): boolean => {
  if (owner === OWNER) return true;
  try {
    process.kill(Number(owner), 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes the containers and networks of this suite run, and any left by suite runs that are gone. */
export async function sweep(): Promise<void> {
  const labelled = await docker.listContainers({ all: true, filters: { label: [TEST_LABEL] } });
  const owners = new Set(labelled.map((c) => c.Labels[TEST_LABEL] ?? ''));
  for (const owner of owners) if (owner === OWNER || !alive(owner)) await removeLabelled(docker, `${TEST_LABEL}=${owner}`, { graceMs: 0 });
  const named = await docker.listNetworks({ filters: { name: [NETWORK_STEM] } });
  for (const n of named.filter((x) => x.Name.startsWith(NETWORK_STEM))) {
    const owner = n.Name.slice(NETWORK_STEM.length).split('-')[0] ?? '';
    if (owner !== OWNER && alive(owner)) continue;
    const attached = await docker.getNetwork(n.Id).inspect() as { Containers?: Record<string, unknown> };
    for (const id of Object.keys(attached.Containers ?? {})) await docker.getContainer(id).remove({ force: true });
    await docker.getNetwork(n.Id).remove();
  }
}

/**
 * A test file's teardown, run even after a failure: `down` (it keeps each container's log), then a
 * forced removal by the run's label in case `down` failed, then the state home.
 */
export async function tearDownRun(home: string | undefined, runId: string | undefined, graceMs?: number): Promise<void> {
  if (home) await down({ home, ...(graceMs !== undefined && { graceMs }) }).catch(() => undefined);
  if (runId) await removeLabelled(docker, `${LABEL_RUN}=${runId}`, { graceMs: 0 });
  if (home) await rm(home, { recursive: true, force: true });
}
