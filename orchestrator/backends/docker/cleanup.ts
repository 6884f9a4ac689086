// Removing what a run (or a test) left in the engine, found by label only: no record of container
// ids is needed, so a crashed `up`, a Ctrl-C or a lost run.json leave nothing `down` cannot find.
import type Docker from 'dockerode';
import { mapLimit } from '../../health.js';
import { dockerFailed, ignoreGone, LABEL_JOINER, LABEL_NODE } from './engine.js';
import { saveLogs } from './logs.js';

export interface RemoveOptions {
  /** Between SIGTERM (forwarded by the container's init to node, which flushes its event log) and SIGKILL. */
  graceMs: number;
  /** Where to keep a container's output before it is removed (the run's logs/node-<id>.log); undefined: not kept. */
  logFile?: (labels: Readonly<Record<string, string>>) => string | undefined;
  /** The node a container runs, for the ids this resolves with; default its node label (nodeIdOf). */
  idOf?: (labels: Readonly<Record<string, string>>) => number | undefined;
  /** Engine calls in flight at once. */
  concurrency?: number;
  /**
   * A network the engine will not remove though no container is attached (a stale endpoint,
   * moby/moby#42119; only an engine restart clears it). Default: a warning on stderr.
   */
  onStuckNetwork?: (name: string) => void;
}

const STUCK_RETRIES = 5;
const STUCK_RETRY_MS = 300;
const isActiveEndpoints = (e: unknown): boolean => /active endpoints/.test(String((e as { message?: unknown })?.message ?? e));

/**
 * Stops and removes every container labelled `label` (`key=value`), then every such network.
 * Resolves with the node ids whose containers were still running. Idempotent.
 */
export async function removeLabelled(docker: Docker, label: string, opts: RemoveOptions): Promise<number[]> {
  const filters = { label: [label] };
  const containers = await docker.listContainers({ all: true, filters });
  const limit = opts.concurrency ?? 16;
  // Every step is tried for every resource; the first failure is thrown at the end, so one stuck
  // container does not leave the others (or the network) behind.
  const failures: unknown[] = [];
  const attempt = (step: () => Promise<unknown>): Promise<void> => ignoreGone(step).catch((e: unknown) => { failures.push(e); });

  const running = containers.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
  const graceS = Math.max(0, Math.ceil(opts.graceMs / 1000));
  await mapLimit(running, limit, (c) => attempt(async () => {
    // A paused container cannot take SIGTERM; unpause it first so node can still flush its events.
    if (c.State === 'paused') await docker.getContainer(c.Id).unpause();
    await docker.getContainer(c.Id).stop({ t: graceS });
  }));
  await mapLimit(containers, limit, async (c) => {
    const file = opts.logFile?.(c.Labels);
    if (file !== undefined) await attempt(() => saveLogs(docker, c.Id, file));
    // Leave the networks first, so the engine drops each endpoint while it still knows the container.
    for (const net of Object.keys(c.NetworkSettings?.Networks ?? {})) {
      await ignoreGone(() => docker.getNetwork(net).disconnect({ Container: c.Id, Force: true })).catch(() => undefined);
    }
    await attempt(() => docker.getContainer(c.Id).remove({ force: true, v: true }));
  });
  for (const n of await docker.listNetworks({ filters })) {
    await attempt(() => removeNetwork(docker, n.Id, n.Name, opts.onStuckNetwork ?? warnStuck));
  }
  if (failures.length > 0) throw dockerFailed(`removing ${label} resources (${failures.length} step(s) failed)`, failures[0]);
  const idOf = opts.idOf ?? nodeIdOf;
  return running.flatMap((c) => idOf(c.Labels) ?? []).sort((a, b) => a - b);
}

/**
 * Removes a network; while the engine says it has active endpoints, force-disconnects whatever it
 * still lists and tries again. Attached to nothing and still refused: the engine's stale endpoint,
 * reported, not thrown (nothing of the run runs on it any more).
 */
async function removeNetwork(docker: Docker, id: string, name: string, onStuck: (name: string) => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await ignoreGone(() => docker.getNetwork(id).remove());
      return;
    } catch (e) {
      if (!isActiveEndpoints(e)) throw e;
      const attached = Object.values((await docker.getNetwork(id).inspect() as { Containers?: Record<string, { Name: string }> }).Containers ?? {});
      if (i >= STUCK_RETRIES) {
        if (attached.length === 0) return onStuck(name);
        throw e;
      }
      for (const c of attached) await ignoreGone(() => docker.getNetwork(id).disconnect({ Container: c.Name, Force: true })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, STUCK_RETRY_MS));
    }
  }
}

const warnStuck = (name: string): void => {
  process.stderr.write(`warning: the engine keeps network ${name} for a stale endpoint though no container is attached (moby/moby#42119); restarting dockerd removes it\n`);
};

/** The node id label of a container, if it has a valid one. */
export function nodeIdOf(labels: Readonly<Record<string, string>>): number | undefined {
  const id = Number(labels[LABEL_NODE]);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** The joiner label (`spinoza join`'s k) of a container, if it has a valid one. */
export function joinerOfLabels(labels: Readonly<Record<string, string>>): number | undefined {
  const text = labels[LABEL_JOINER];
  const k = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(k) && k >= 0 ? k : undefined;
}
