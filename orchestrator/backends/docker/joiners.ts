// The docker backend's half of `spinoza join`: one more container per joiner on the run's network,
// the same image started with `--enrol`, at the next static address after every one the run uses.
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';
import type { JoinerPlacement } from '../../genesis.js';
import type { BackendRun, JoinerUnits } from '../backend.js';
import { ipSlot, MAX_NODES_PER_SUBNET, NODE_PORT, nodeIp, subnetOfDirectory } from './addressing.js';
import { joinerContainerName, joinerContainerSpec } from './containers.js';
import { dockerFailed, runLabels, statusOf } from './engine.js';
import { containerLogs, lastErrorLine } from './logs.js';
import { MOUNT, prepareJoinerOwnership } from './mounts.js';

export interface DockerJoinerOptions {
  image: string;
  labels?: Record<string, string>;
}

export function dockerJoiners(engine: () => Promise<Docker>, run: BackendRun, o: DockerJoinerOptions): JoinerUnits {
  const runId = run.layout.runId;
  const subnet = subnetOfDirectory(run.directory);
  return {
    async place(ks) {
      // Slots (nodeIp's index) of every address the run lists or a joiner took; new ones go after the highest.
      const hosts = [...run.directory.nodes.map((n) => n.host), ...(run.record.joiners ?? []).map((j) => j.host)];
      let slot = Math.max(...hosts.map((h) => ipSlot(subnet, h) ?? 0));
      const placed = new Map<number, JoinerPlacement>();
      for (const k of ks) {
        if (++slot > MAX_NODES_PER_SUBNET) {
          throw new SpinozaError('kernel-limit', `the run's /16 has no address left for joiner ${k}`, 'start a run with fewer nodes');
        }
        placed.set(k, {
          advertise: { host: nodeIp(subnet, slot), port: NODE_PORT },
          listen: { host: '0.0.0.0', port: NODE_PORT },
          directoryPath: MOUNT.genesis,
          eventsPath: `${MOUNT.events}/joiner-${k}.ndjson`,
          enrolledPath: `${MOUNT.state}/enrolled.json`,
        });
      }
      return placed;
    },

    async start(k) {
      const joiner = run.record.joiners?.find((j) => j.k === k);
      if (!joiner) throw new SpinozaError('state-invalid', `joiner ${k} is not in run.json`, 'this is a bug: please report it');
      await mkdir(run.layout.joinerState(k), { recursive: true });
      const user = await prepareJoinerOwnership(run.layout, k);
      const docker = await engine();
      try {
        const container = await docker.createContainer(joinerContainerSpec({
          runId, k, ip: joiner.host, image: o.image, layout: run.layout, labels: runLabels(runId, o.labels), user,
        }));
        await container.start();
      } catch (e) {
        throw dockerFailed(`starting joiner ${k}'s container`, e);
      }
    },

    async exited(k) {
      const docker = await engine();
      const name = joinerContainerName(runId, k);
      let state: Docker.ContainerInspectInfo['State'];
      try {
        state = (await docker.getContainer(name).inspect()).State;
      } catch (e) {
        if (statusOf(e) === 404) return 'its container is gone';
        throw dockerFailed(`inspecting ${name}`, e);
      }
      if (state.Running) return undefined;
      const last = await containerLogs(docker, name, 50).then(lastErrorLine, () => undefined);
      return `its container exited with code ${state.ExitCode}${last ? `: ${last}` : ''}`;
    },
  };
}
