// Node containers: how one is specified, starting many with a concurrency limit, and watching for
// ones that die while `up` waits for health.
import type Docker from 'dockerode';
import type { RunLayout, RunRecord } from '../../state.js';
import { nodeIp, type Subnet16 } from './addressing.js';
import { LABEL_JOINER, LABEL_NODE, LABEL_RUN } from './engine.js';
import { containerLogs, lastErrorLine } from './logs.js';
import { binds, joinerBinds, MOUNT } from './mounts.js';
import { nodeIdOf } from './cleanup.js';

export const containerName = (runId: string, id: number): string => `spinoza-${runId}-node-${id}`;
/** A `spinoza join` container: named by its k, since its node id comes only with its admission. */
export const joinerContainerName = (runId: string, k: number): string => `spinoza-${runId}-joiner-${k}`;
export const networkName = (runId: string): string => `spinoza-${runId}`;

/** The container that runs node `id`: a genesis node's, or the joiner's that was admitted as `id`. */
export function unitName(runId: string, record: Pick<RunRecord, 'joiners'>, id: number): string {
  const joiner = record.joiners?.find((j) => j.id === id);
  return joiner ? joinerContainerName(runId, joiner.k) : containerName(runId, id);
}

export interface NodeContainer {
  runId: string;
  id: number;
  image: string;
  subnet: Subnet16;
  layout: RunLayout;
  labels: Record<string, string>;
  /** `uid:gid`, or undefined for the image's user. */
  user: string | undefined;
}

export function containerSpec(c: NodeContainer): Docker.ContainerCreateOptions {
  return unitSpec(c, {
    name: containerName(c.runId, c.id),
    cmd: ['--config', MOUNT.config],
    label: [LABEL_NODE, String(c.id)],
    binds: binds(c.layout, c.id),
    ip: nodeIp(c.subnet, c.id),
  });
}

export interface JoinerContainer extends Omit<NodeContainer, 'id' | 'subnet'> {
  k: number;
  /** Its static address on the run's network (the one its EnrolConfig advertises). */
  ip: string;
}

/** Joiner k's container: the same image on the same network, started with `--enrol` (node/main.ts). */
export const joinerContainerSpec = (c: JoinerContainer): Docker.ContainerCreateOptions => unitSpec(c, {
  name: joinerContainerName(c.runId, c.k),
  cmd: ['--enrol', MOUNT.config],
  label: [LABEL_JOINER, String(c.k)],
  binds: joinerBinds(c.layout, c.k),
  ip: c.ip,
});

interface UnitParts {
  name: string;
  cmd: string[];
  label: [string, string];
  binds: string[];
  ip: string;
}

function unitSpec(c: Pick<NodeContainer, 'runId' | 'image' | 'labels' | 'user'>, u: UnitParts): Docker.ContainerCreateOptions {
  const network = networkName(c.runId);
  return {
    name: u.name,
    Image: c.image,
    Cmd: u.cmd,
    Labels: { ...c.labels, [u.label[0]]: u.label[1] },
    ...(c.user !== undefined && { User: c.user }),
    // The image's HEALTHCHECK starts a node process per probe (~0.17 s CPU): at hundreds of
    // containers that is a core's worth. The orchestrator probes /health from the host instead.
    Healthcheck: { Test: ['NONE'] },
    HostConfig: {
      // The daemon's tini as PID 1: reaps zombies and forwards SIGTERM to node (docs/docker.md).
      Init: true,
      NetworkMode: network,
      Binds: u.binds,
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: u.ip } } } },
  };
}

/**
 * Creates and starts a container for each id, at most `limit` at once, calling `onStarted` after
 * each. On the first failure or an abort it starts nothing more, waits for the calls in flight (so
 * a cleanup after it sees every container that exists), then throws.
 */
export async function startContainers(
  docker: Docker,
  ids: readonly number[],
  spec: (id: number) => Docker.ContainerCreateOptions,
  opts: { limit: number; signal?: AbortSignal; onStarted?: (started: number) => void },
): Promise<void> {
  let next = 0;
  let started = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < ids.length && failure === undefined && !opts.signal?.aborted) {
      const id = ids[next++]!;
      try {
        const container = await docker.createContainer(spec(id));
        await container.start();
        opts.onStarted?.(++started);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.limit, ids.length)) }, worker));
  opts.signal?.throwIfAborted();
  if (failure) throw failure.error;
}

/** Node containers of the run that died, with the reason their output gives; fed by the engine's events. */
export interface ExitWatch {
  /** The first death seen so far, as `node N exited with code X: <last error line>`. */
  first(): { id: number; how: string } | undefined;
  stop(): void;
}

export async function watchExits(docker: Docker, runId: string): Promise<ExitWatch> {
  const died = new Map<number, string>();
  const stream = await docker.getEvents({ filters: { type: ['container'], event: ['die'], label: [`${LABEL_RUN}=${runId}`] } });
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const ev = parseEvent(line);
      if (ev) void onDie(ev);
    }
  });
  // The stream ends when we stop it or the engine goes away; either way the health wait still times out.
  stream.on('error', () => {});
  const onDie = async (ev: DieEvent): Promise<void> => {
    const id = nodeIdOf(ev.Actor?.Attributes ?? {});
    if (id === undefined || died.has(id)) return;
    const how = `exited with code ${ev.Actor?.Attributes?.exitCode ?? '?'}`;
    died.set(id, how);
    const last = await containerLogs(docker, ev.id ?? '', 50).then(lastErrorLine, () => undefined);
    if (last) died.set(id, `${how}: ${last}`);
  };
  return {
    first: () => {
      const entry = died.entries().next();
      return entry.done ? undefined : { id: entry.value[0], how: entry.value[1] };
    },
    stop: () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
  };
}

function parseEvent(line: string): DieEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line) as DieEvent;
  } catch {
    return undefined; // not an event line; the health wait covers a death we miss
  }
}

interface DieEvent {
  id?: string;
  Actor?: { Attributes?: Record<string, string> };
}
