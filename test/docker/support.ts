// Shared by the docker suite: the label every test resource carries, and the sweep that removes
// them. No reaper container can be pulled here, so cleanup is ours: each test removes what it made
// in afterAll, and the global setup sweeps whatever a crashed earlier run left.
import Docker from 'dockerode';
import { dockerBackend } from '../../orchestrator/backends/docker.js';
import { removeLabelled } from '../../orchestrator/backends/docker/cleanup.js';
import type { Backend } from '../../orchestrator/index.js';

export const TEST_LABEL = 'spinoza.test';
/** testcontainers' Network takes no labels, only a name: ours start with this. */
export const TEST_NETWORK_PREFIX = 'spinoza-test-';
export const IMAGE = 'spinoza/node:local';

export const docker = new Docker();

/** The docker backend as the tests use it: every resource also labelled spinoza.test=1. */
export const testBackend = (): Backend => dockerBackend({ docker, labels: { [TEST_LABEL]: '1' } });

/** Removes every container and network of the test suite, from this run or an earlier one. */
export async function sweep(): Promise<void> {
  await removeLabelled(docker, `${TEST_LABEL}=1`, { graceMs: 0 });
  const named = await docker.listNetworks({ filters: { name: [TEST_NETWORK_PREFIX] } });
  for (const n of named.filter((x) => x.Name.startsWith(TEST_NETWORK_PREFIX))) {
    const attached = await docker.getNetwork(n.Id).inspect() as { Containers?: Record<string, unknown> };
    for (const id of Object.keys(attached.Containers ?? {})) await docker.getContainer(id).remove({ force: true });
    await docker.getNetwork(n.Id).remove();
  }
}
