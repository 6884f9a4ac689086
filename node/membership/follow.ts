// Keeps a node's directory in step with the registrar: long-polls GET /directory?after=EPOCH and
// hands every newer, authority-signed snapshot to the node (RunningNode.setDirectory).
import { setTimeout as delay } from 'node:timers/promises';
import type { Directory } from '../directory/directory.js';
import { openSignedDirectory } from './credential.js';
import { SignedDirectory } from './schema.js';

export interface FollowOptions {
  /** How long the registrar may hold a poll open when nothing changed. Default 25 s. */
  waitMs: number;
  /**
   * Pause after each new snapshot before polling again. While replicas register the epoch moves
   * many times a second; this bounds each node to one snapshot per interval. Default 1 s.
   */
  minIntervalMs: number;
  /** Pause after a failed poll. Default 2 s. */
  retryMs: number;
}

export const DEFAULT_FOLLOW_OPTIONS: FollowOptions = { waitMs: 25_000, minIntervalMs: 1_000, retryMs: 2_000 };

export interface FollowDeps {
  registrar: string;
  /** Trusted authority key, base64. */
  authority: string;
  network: string;
  /** Epoch the node starts at. */
  epoch: number;
  /** Called with each newer snapshot, in epoch order. */
  onDirectory: (d: Directory) => void;
  /** Told about failed polls and refused snapshots (the shell logs them). */
  onProblem?: (problem: string) => void;
  /**
   * The registrar does not know our directory (it lost its state: a new network). Following
   * stops; the node cannot stay in a network whose authority forgot it.
   */
  onLost?: (problem: string) => void;
}

export interface Follower {
  readonly epoch: number;
  stop(): Promise<void>;
}

export function followDirectory(d: FollowDeps, o: FollowOptions = DEFAULT_FOLLOW_OPTIONS): Follower {
  const controller = new AbortController();
  const signal = controller.signal;
  let epoch = d.epoch;
  const pause = (ms: number): Promise<void> => delay(ms, undefined, { signal }).catch(() => {});

  const poll = async (): Promise<'changed' | 'same' | 'failed' | 'lost'> => {
    const url = new URL(`/directory?after=${epoch}&network=${encodeURIComponent(d.network)}&waitMs=${o.waitMs}`, d.registrar);
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(o.waitMs + 10_000)]) });
      if (res.status === 204) return 'same';
      if (res.status === 409) {
        const detail = ((await res.json().catch(() => ({}))) as { detail?: string }).detail ?? 'HTTP 409';
        d.onLost?.(`the registrar no longer knows network ${d.network} at epoch ${epoch}: ${detail}`);
        return 'lost';
      }
      const body = SignedDirectory.safeParse(await res.json());
      if (!body.success) throw new Error(`HTTP ${res.status}, not a directory`);
      const check = openSignedDirectory(body.data, d.authority);
      if (!check.ok) throw new Error(check.problem);
      if (check.directory.network !== d.network) throw new Error(`directory of network ${check.directory.network}`);
      if (check.directory.epoch <= epoch) return 'same';
      epoch = check.directory.epoch;
      d.onDirectory(check.directory);
      return 'changed';
    } catch (e) {
      if (signal.aborted) return 'same';
      d.onProblem?.(`${url.origin}/directory: ${(e as Error).message}`);
      return 'failed';
    }
  };

  const loop = (async () => {
    while (!signal.aborted) {
      const r = await poll();
      if (r === 'lost') return;
      if (r === 'changed') await pause(o.minIntervalMs);
      else if (r === 'failed') await pause(o.retryMs);
    }
  })();

  return {
    get epoch() { return epoch; },
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
