// The `docker` backend: one container per live node on a per-run bridge network, through the Docker
// API (dockerode). Every container and network carries the run id label, so `down` (and the cleanup
// of a failed or interrupted `up`) finds them all without any other record. docs/docker.md#backend.
import { join } from 'node:path';
import Docker from 'dockerode';
import { abortError, SpinozaError } from '../errors.js';
import { waitHealthy } from '../health.js';
import { gatewayIp, pickSubnet, subnetCidr, subnetOfDirectory, type Subnet16 } from './docker/addressing.js';
import { joinerOfLabels, nodeIdOf, removeLabelled } from './docker/cleanup.js';
import { containerSpec, networkName, startContainers, unitName, watchExits } from './docker/containers.js';
import { connectEngine, dockerFailed, LABEL_RUN, labelFilter, runLabels, statusOf } from './docker/engine.js';
import { dockerFaults } from './docker/faults.js';
import { DEFAULT_IMAGE, ensureImage } from './docker/image.js';
import { dockerJoiners } from './docker/joiners.js';
import { containerLogs } from './docker/logs.js';
import { dockerPlacement, prepareOwnership } from './docker/mounts.js';
import { bridgeLimit, checkLimits, readHostFacts } from './docker/preflight.js';
import { startedNodes } from '../state.js';
import type { Backend, BackendRun, RunRef, UpOptions } from './backend.js';
import { readLogFile } from './log-file.js';

export interface DockerBackendOptions {
  /** The engine client; default: dockerode's (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** Node image; built from docker/Dockerfile when missing. Default spinoza/node:local. */
  image?: string;
  /** BASE_IMAGE for that build; default spinoza/node-base:local if present, else the Dockerfile's. */
  baseImage?: string;
  /** Extra labels on every resource (the test suite adds spinoza.test=<owner> to sweep leftovers). */
  labels?: Record<string, string>;
  /** Containers created and started at once. Default 8: the engine serialises most of the work. */
  startConcurrency?: number;
  /** Grace period when `up` has to undo a failed start. */
  cleanupGraceMs?: number;
}

export function dockerBackend(options: DockerBackendOptions = {}): Backend {
  const image = options.image ?? DEFAULT_IMAGE;
  let engine: Promise<Docker> | undefined;
  // Connected on first use: `status` of a process run never needs the engine.
  const docker = (): Promise<Docker> => (engine ??= connectEngine(options.docker).catch((e: unknown) => {
    engine = undefined; // a later call may find the engine started
    throw e;
  }));
  const remove = async (run: RunRef, graceMs: number): Promise<number[]> => {
    const idOf = unitIds(run);
    return removeLabelled(await docker(), `${LABEL_RUN}=${run.layout.runId}`, {
      graceMs,
      idOf,
      // A joiner's output goes to its own log, whether or not it was admitted (node-<id>.log links to it).
      logFile: (labels) => {
        const k = joinerOfLabels(labels);
        if (k !== undefined) return run.layout.joinerLog(k);
        const id = nodeIdOf(labels);
        return id === undefined ? undefined : run.layout.log(id);
      },
    });
  };

  return {
    name: 'docker',

    async placement(manifest, layout) {
      const d = await docker();
      // Checked before any file is written; the other limits need the image and host facts (`up`).
      const tooMany = bridgeLimit(manifest.nodes - manifest.faults.dead);
      if (tooMany) throw tooMany;
      return dockerPlacement(await pickSubnet(d, layout.runId));
    },

    async up(run, opts) {
      const d = await docker();
      try {
        await upAll(d, run, opts, { ...options, image });
      } catch (e) {
        // Undo everything this `up` started (found by label), keeping each node's output in logs/.
        const failure = opts.signal?.aborted ? abortError(opts.signal, 'starting containers') : e;
        const leftover = await remove(run, options.cleanupGraceMs ?? 2_000).then(() => undefined, (c: unknown) => c);
        if (leftover === undefined || !(failure instanceof SpinozaError)) throw failure;
        throw new SpinozaError(failure.code, `${failure.message} (and cleaning up failed: ${(leftover as Error).message})`,
          'remove what is left with `spinoza down`', { cause: failure });
      }
    },

    async running(run) {
      const alive = new Map<number, boolean>(startedNodes(run.record).map((id) => [id, false]));
      const list = await (await docker()).listContainers({ all: true, filters: labelFilter(LABEL_RUN, run.layout.runId) });
      const idOf = unitIds(run);
      for (const c of list) {
        const id = idOf(c.Labels);
        if (id !== undefined) alive.set(id, c.State === 'running');
      }
      return alive;
    },

    down: (run, opts) => remove(run, opts.graceMs),

    faults: (run) => dockerFaults(docker, run.layout.runId, (id) => unitName(run.layout.runId, run.record, id)),

    joiners: (run) => dockerJoiners(docker, run, { image, ...(options.labels && { labels: options.labels }) }),

    async logs(run, id) {
      try {
        return await containerLogs(await docker(), unitName(run.layout.runId, run.record, id));
      } catch (e) {
        // Removed by `down` (which kept a copy) or never created: the saved copy is all there is.
        if (statusOf(e) === 404) return readLogFile(run, id);
        throw e;
      }
    },
  };
}

/** The node a container of the run runs: its node label, or for a joiner the id it was admitted as. */
function unitIds(run: RunRef): (labels: Readonly<Record<string, string>>) => number | undefined {
  const admitted = new Map((run.record.joiners ?? []).flatMap((j) => (j.id === undefined ? [] : [[j.k, j.id] as const])));
  return (labels) => {
    const k = joinerOfLabels(labels);
    return k === undefined ? nodeIdOf(labels) : admitted.get(k);
  };
}

/** Preflight, image, network, containers, health: in that order, each step's failure named. */
async function upAll(docker: Docker, run: BackendRun, opts: UpOptions, o: DockerBackendOptions & { image: string }): Promise<void> {
  const { layout, record } = run;
  const started = startedNodes(record);
  opts.onProgress?.({ phase: 'preflight' });
  const limit = checkLimits(started.length, await readHostFacts(docker));
  if (limit) throw limit;
  await ensureImage(docker, {
    image: o.image,
    logFile: join(layout.dir, 'logs', 'image-build.log'),
    onStep: (step) => opts.onProgress?.({ phase: 'image', step }),
    ...(o.baseImage !== undefined && { baseImage: o.baseImage }),
    ...(opts.signal && { signal: opts.signal }),
  });
  opts.signal?.throwIfAborted();
  const subnet = subnetOfDirectory(run.directory);
  const labels = runLabels(layout.runId, o.labels);
  await createNetwork(docker, layout.runId, subnet, labels);
  const user = await prepareOwnership(layout, started);

  const exits = await watchExits(docker, layout.runId);
  try {
    const total = started.length;
    opts.onProgress?.({ phase: 'starting', started: 0, total });
    await startContainers(docker, started, (id) => containerSpec({ runId: layout.runId, id, image: o.image, subnet, layout, labels, user }), {
      limit: o.startConcurrency ?? 8,
      onStarted: (started) => opts.onProgress?.({ phase: 'starting', started, total }),
      ...(opts.signal && { signal: opts.signal }),
    }).catch((e: unknown) => {
      throw opts.signal?.aborted ? e : dockerFailed('starting a node container', e);
    });
    const byId = new Map(run.directory.nodes.map((n) => [n.id, n]));
    await waitHealthy(started.map((id) => ({ id, host: byId.get(id)!.host, port: byId.get(id)!.port })), {
      timeoutMs: opts.healthTimeoutMs,
      ...(opts.signal && { signal: opts.signal }),
      onProgress: (ready, all) => opts.onProgress?.({ phase: 'waiting', ready, total: all }),
      failure: () => {
        const dead = exits.first();
        return dead && new SpinozaError('node-exited', `node ${dead.id}'s container ${dead.how} during start-up`,
          `its output is kept in ${layout.log(dead.id)} (\`spinoza logs ${dead.id}\`)`);
      },
    });
  } finally {
    exits.stop();
  }
}

async function createNetwork(docker: Docker, runId: string, subnet: Subnet16, labels: Record<string, string>): Promise<void> {
  try {
    await docker.createNetwork({
      Name: networkName(runId),
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: labels,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnetCidr(subnet), Gateway: gatewayIp(subnet) }] },
    });
  } catch (e) {
    throw dockerFailed(`creating network ${networkName(runId)} (${subnetCidr(subnet)})`, e,
      'another network may have taken the subnet meanwhile: run `spinoza up` again');
  }
}
