// The docker backend's FaultTarget (chaos): container kill / start / pause / unpause. A killed
// container is not removed, so `start` brings the same node back with its config, its static IP
// and its event log (from which it knows what it delivered before).
import type Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';
import type { FaultTarget } from '../faults.js';
import { dockerFailed, statusOf } from './engine.js';

/**
 * `engine` connects on first use (a chaos session may be the process's first engine call);
 * `nameOf` gives node `id`'s container (containers.ts unitName: a joined node's is named by its k).
 */
export function dockerFaults(engine: () => Promise<Docker>, runId: string, nameOf: (id: number) => string): FaultTarget {
  const call = async (id: number, what: string, fn: (c: Docker.Container) => Promise<unknown>): Promise<void> => {
    const container = (await engine()).getContainer(nameOf(id));
    try {
      await fn(container);
    } catch (e) {
      if (statusOf(e) === 404) {
        throw new SpinozaError('node-exited', `node ${id} has no container in run ${runId}`, 'see `spinoza status`', { cause: e });
      }
      throw dockerFailed(`${what} node ${id}`, e);
    }
  };
  return {
    kill: (id) => call(id, 'killing', async (c) => {
      // 409: not running, which is what a kill wants; then wait until the engine agrees it stopped.
      await c.kill().catch((e: unknown) => { if (statusOf(e) !== 409) throw e; });
      await c.wait({ condition: 'not-running' });
    }),
    start: (id) => call(id, 'starting', (c) => c.start()),
    pause: (id) => call(id, 'pausing', (c) => c.pause()),
    resume: (id) => call(id, 'resuming', (c) => c.unpause()),
  };
}
