// Waiting for a registration-built testnet (compose) to be ready for a broadcast: at least N nodes
// registered, and every registered node answering /health at the registrar's current epoch, so all
// of them plan the broadcast on the same directory (docs/compose.md#readiness).
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { Directory } from '../node/directory/directory.js';
import { fetchRegistrarHealth, fetchSignedDirectory, JoinError } from '../node/membership/join.js';
import { openSignedDirectory } from '../node/membership/credential.js';
import { NodeId } from '../node/wire/schemas.js';
import { ClientError } from './errors.js';
import { mapLimit } from './concurrency.js';

export interface ReadyOptions {
  registrar: string;
  /** Authority key (base64) the directory must be signed with. */
  authority: string;
  /** Registered nodes to wait for. Default 1. */
  nodes?: number;
  timeoutMs: number;
  /** Pause between rounds. Default 1000. */
  pollMs?: number;
  /** /health probes in flight at once. Default 32. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: ReadyProgress) => void;
}

export interface ReadyProgress {
  registered: number;
  wanted: number;
  epoch: number;
  /** Registered nodes answering /health at `epoch` (null before they were probed). */
  current: number | null;
  /** Why the registrar could not be asked (not up yet, not resolvable); absent when it answered. */
  unreachable?: string;
}

const NodeHealth = z.object({ ok: z.literal(true), id: NodeId, epoch: z.number().int() });

/** Resolves with the directory once it is stable and every node in it runs at its epoch. */
export async function waitReady(o: ReadyOptions): Promise<Directory> {
  const deadline = Date.now() + o.timeoutMs;
  const wanted = o.nodes ?? 1;
  let last = '';
  const report = (p: ReadyProgress): void => {
    const line = JSON.stringify(p);
    if (line !== last) o.onProgress?.(p);
    last = line;
  };
  for (;;) {
    const round = await readyRound(o, wanted, report).catch((e: unknown) => {
      if (!(e instanceof JoinError) || e.code === 'untrusted-directory') throw e;
      report({ registered: 0, wanted, epoch: 0, current: null, unreachable: e.message }); // not up yet: try again
      return undefined;
    });
    if (round) return round;
    if (Date.now() + (o.pollMs ?? 1000) > deadline) {
      throw new ClientError('timeout', `the testnet was not ready in ${o.timeoutMs} ms (last: ${last || 'registrar unreachable'})`);
    }
    await delay(o.pollMs ?? 1000, undefined, o.signal ? { signal: o.signal } : {});
  }
}

async function readyRound(o: ReadyOptions, wanted: number, report: (p: ReadyProgress) => void): Promise<Directory | undefined> {
  const health = await fetchRegistrarHealth(o.registrar, o.signal);
  if (health.nodes < wanted) {
    report({ registered: health.nodes, wanted, epoch: health.epoch, current: null });
    return undefined;
  }
  const check = openSignedDirectory(await fetchSignedDirectory(o.registrar, o.signal), o.authority);
  if (!check.ok) throw new JoinError('untrusted-directory', `directory from the registrar: ${check.problem}`);
  const dir = check.directory;
  const epochs = await mapLimit(dir.members, o.concurrency ?? 32, (id) => probeEpoch(dir, id, o.signal));
  const current = epochs.filter((e) => e === dir.epoch).length;
  report({ registered: dir.size, wanted, epoch: dir.epoch, current });
  if (current < dir.members.length) return undefined;
  // Nobody registered while we probed: the directory every node holds is the registrar's latest.
  const after = await fetchRegistrarHealth(o.registrar, o.signal);
  return after.epoch === dir.epoch ? dir : undefined;
}

/** The epoch node `id` reports on /health, or null if it does not answer as itself. */
async function probeEpoch(dir: Directory, id: number, signal?: AbortSignal): Promise<number | null> {
  const e = dir.entry(id)!;
  try {
    const res = await fetch(`http://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}/health`, {
      signal: AbortSignal.any([AbortSignal.timeout(2_000), ...(signal ? [signal] : [])]),
    });
    const body = NodeHealth.safeParse(await res.json());
    return body.success && body.data.id === id ? body.data.epoch : null;
  } catch {
    // Unreachable or not up yet: the round counts it as not current, and the next round asks again.
    return null;
  }
}

