// Network faults over HTTP: the run's control endpoints put each node's composed profile in effect
// (and must echo exactly it), /health tells when a restarted node is back. No abort signal on purpose:
// healing must finish after a Ctrl-C; every call has its own timeout instead.
import type { ImpairmentProfile } from '../../node/impairment/profile.js';
import { SpinozaError } from '../errors.js';
import { mapLimit, waitHealthy, type NodeAddress } from '../health.js';
import { getImpairment, putImpairment, type ControlTarget } from '../impair/control.js';
import type { NetworkControl } from './executor.js';

/** A control call, and a restarted node's way back to /health. */
export const CONTROL_TIMEOUT_MS = 10_000;
export const RESTART_TIMEOUT_MS = 30_000;

export function httpNetwork(target: ControlTarget): NetworkControl {
  const byId = new Map(target.nodes.map((n) => [n.id, n]));
  const addr = (id: number): NodeAddress => {
    const n = byId.get(id);
    if (!n) throw new SpinozaError('unknown-node', `node ${id} is not a live node of the run`, 'see `spinoza status`');
    return n;
  };
  return {
    async put(id, profile) {
      const state = await putImpairment(addr(id), target.token, profile, { timeoutMs: CONTROL_TIMEOUT_MS });
      // Never log a fault as in effect that a node did not take.
      if (JSON.stringify(state.profile) !== JSON.stringify(profile)) {
        throw new SpinozaError('control-failed', `node ${id} reports another impairment than the one just put`, 'is it from another build? see `spinoza logs`');
      }
    },
    waitHealthy: (id) => waitHealthy([addr(id)], { timeoutMs: RESTART_TIMEOUT_MS }),
  };
}

/**
 * The profile every live node holds before a session: chaos composes its faults with it and restores
 * it after. Every node must answer, and all must agree, before anything changes.
 */
export async function readBaseProfile(target: ControlTarget, signal?: AbortSignal): Promise<ImpairmentProfile | null> {
  const states = await mapLimit(target.nodes, 16, (n) =>
    getImpairment(n, target.token, { timeoutMs: CONTROL_TIMEOUT_MS, ...(signal && { signal }) }).then(
      (s) => ({ id: n.id, profile: s.profile }),
      (e: unknown) => {
        throw new SpinozaError('chaos-invalid', `node ${n.id} does not answer its control endpoint: ${(e as Error).message}`,
          'chaos starts from a whole testnet: check `spinoza status`, or start a new run', { cause: e });
      }));
  const first = JSON.stringify(states[0]?.profile ?? null);
  const odd = states.filter((s) => JSON.stringify(s.profile) !== first).map((s) => s.id);
  if (odd.length > 0) {
    throw new SpinozaError('chaos-invalid', `the nodes hold different impairments (nodes ${odd.slice(0, 10).join(', ')} differ from node ${states[0]!.id})`,
      'a session was cut short? put one profile back with `spinoza shape NAME` or `spinoza shape --clear`');
  }
  return states[0]?.profile ?? null;
}
