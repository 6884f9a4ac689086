// Runs a fault schedule against a running testnet. Kills and pauses go to the backend (FaultTarget);
// partitions and loss go to the nodes' control endpoints as impairment profiles composed with the base
// profile (compose.ts). Every fault is logged when it starts and once it has healed. Whatever happens —
// a failed step, Ctrl-C — every fault still in effect is healed before this returns or throws.
import type { ImpairmentProfile } from '../../node/impairment/profile.js';
import type { FaultTarget } from '../backends/faults.js';
import { mapLimit } from '../health.js';
import { networkProfiles } from './compose.js';
import type { FaultRecord } from './fault-log.js';
import type { PlannedFault, Schedule } from './schedule.js';

export interface NetworkControl {
  /** Puts `profile` (null: none) in effect on node `id`; resolves once the node answers with exactly it. */
  put(id: number, profile: ImpairmentProfile | null): Promise<void>;
  /** Resolves once node `id` answers /health as itself (after a restart). */
  waitHealthy(id: number): Promise<void>;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms` (at once when ms <= 0); rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type ExecutorEvent = { type: 'start' | 'end'; record: FaultRecord } | { type: 'healed'; at: number };

export interface ExecutorDeps {
  target: FaultTarget;
  network: NetworkControl;
  /** Appends one record to the fault log. */
  log(record: FaultRecord): Promise<void>;
  clock: Clock;
  /** The profile every node holds before the session, and holds again after it. */
  base: ImpairmentProfile | null;
  /** Who applies kills and pauses (the backend's name), as the fault log names it. */
  backend: string;
  session: string;
  onEvent?: (e: ExecutorEvent) => void;
  /** Control calls in flight at once. Default 16. */
  concurrency?: number;
}

export interface Execution {
  t0: number;
  /** When every fault had healed and every node held the base profile again. */
  healedAt: number;
  records: FaultRecord[];
}

type NodeState = 'up' | 'down';
type Action = { at: number; op: 'begin' | 'end'; f: PlannedFault };

export async function executeSchedule(s: Schedule, d: ExecutorDeps, signal?: AbortSignal): Promise<Execution> {
  const t0 = d.clock.now();
  const state = new Map<number, NodeState>(s.nodes.map((id) => [id, 'up']));
  const key = (p: ImpairmentProfile | null | undefined): string => JSON.stringify(p ?? null);
  // What each node is known to hold; undefined after a restart (its config's profile): always re-put.
  const applied = new Map<number, string>(s.nodes.map((id) => [id, key(d.base)]));
  const network = new Map<string, PlannedFault>();
  const records = new Map<string, FaultRecord>();
  const begun = new Map<string, Promise<void>>();
  // Heals that began: never run twice (a second restart of a slow node would spawn a duplicate).
  const finishing = new Set<string>();
  const tasks = new Set<Promise<void>>();
  // The first failure of a background step; the loop stops at its next action and heals.
  const failures: unknown[] = [];

  // Pushes run one after another, each from the state at its start, so a later change is never
  // overtaken by an earlier one.
  let queue: Promise<void> = Promise.resolve();
  const push = (): Promise<void> => {
    const run = queue.then(pushNow, pushNow);
    queue = run.catch(() => {});
    return run;
  };
  async function pushNow(): Promise<void> {
    const profiles = networkProfiles(d.base, [...network.values()], s.nodes, s.seed);
    const todo = s.nodes.filter((id) => state.get(id) === 'up' && applied.get(id) !== key(profiles.get(id)));
    await mapLimit(todo, d.concurrency ?? 16, async (id) => {
      const p = profiles.get(id) ?? null;
      await d.network.put(id, p);
      applied.set(id, key(p));
    });
  }
  /** Marks nodes down, then waits out any push that may still be talking to them (a stopped node never answers). */
  const takeDown = async (ids: readonly number[]): Promise<void> => {
    for (const id of ids) state.set(id, 'down');
    await queue;
  };

  const write = async (r: FaultRecord, type: 'start' | 'end'): Promise<void> => {
    records.set(r.id, r);
    await d.log(r);
    d.onEvent?.({ type, record: r });
  };

  async function begin(f: PlannedFault): Promise<void> {
    await write({
      session: d.session, id: f.id, kind: f.kind, nodes: f.nodes,
      ...(f.mode && { mode: f.mode }), ...(f.loss !== undefined && { loss: f.loss }),
      by: f.kind === 'kill' || f.kind === 'pause' ? d.backend : 'userspace',
      planned: { at: f.at, until: f.until }, start: d.clock.now(), end: null,
    }, 'start');
    if (f.kind === 'kill' || f.kind === 'pause') {
      await takeDown(f.nodes);
      await Promise.all(f.nodes.map((id) => (f.kind === 'kill' ? d.target.kill(id) : d.target.pause(id))));
    } else {
      network.set(f.id, f);
      await push();
    }
  }

  async function finish(f: PlannedFault): Promise<void> {
    finishing.add(f.id);
    try {
      await heal(f);
    } catch (e) {
      await d.log({ ...records.get(f.id)!, error: `heal failed: ${(e as Error).message}` }).catch(() => {});
      throw e;
    }
  }

  async function heal(f: PlannedFault): Promise<void> {
    if (f.kind === 'kill' || f.kind === 'pause') {
      await Promise.all(f.nodes.map(async (id) => {
        if (f.kind === 'kill') {
          await d.target.start(id);
          await d.network.waitHealthy(id);
          applied.delete(id);
        } else await d.target.resume(id);
        state.set(id, 'up');
      }));
    } else network.delete(f.id);
    // The fault has healed once its nodes hold the profile the rest of the network holds.
    await push();
    await write({ ...records.get(f.id)!, end: d.clock.now() }, 'end');
  }

  const track = (p: Promise<void>): void => {
    const t = p.catch((error: unknown) => { failures.push(error); });
    tasks.add(t);
    void t.finally(() => tasks.delete(t));
  };
  const settle = async (): Promise<void> => {
    while (tasks.size > 0) await Promise.all([...tasks]);
  };

  const actions: Action[] = s.faults.flatMap((f): Action[] => [{ at: f.at, op: 'begin', f }, { at: f.until, op: 'end', f }])
    // Ends before starts at the same instant: the schedule's concurrency bound counts them that way.
    .sort((a, b) => a.at - b.at || (a.op === 'end' ? 0 : 1) - (b.op === 'end' ? 0 : 1));
  try {
    for (const a of actions) {
      await d.clock.sleep(t0 + a.at - d.clock.now(), signal);
      if (failures.length > 0) throw failures[0];
      if (a.op === 'begin') {
        const p = begin(a.f);
        begun.set(a.f.id, p);
        track(p);
      } else {
        track(begun.get(a.f.id)!.then(() => finish(a.f)));
      }
    }
    await settle();
    if (failures.length > 0) throw failures[0];
    // The heal phase: nothing left in effect, and every node back on the base profile.
    await push();
    const healedAt = d.clock.now();
    d.onEvent?.({ type: 'healed', at: healedAt });
    return { t0, healedAt, records: [...records.values()] };
  } finally {
    await healRest();
  }

  /** Heals every fault that began and whose heal has not (after an error or an abort). */
  async function healRest(): Promise<void> {
    await settle();
    const open = s.faults.filter((f) => begun.has(f.id) && !finishing.has(f.id) && records.has(f.id));
    if (open.length === 0) return;
    const errors: unknown[] = [];
    await Promise.all(open.map(async (f) => {
      await begun.get(f.id)!.catch(() => {});
      await finish(f).catch((e: unknown) => { errors.push(e); });
    }));
    // A heal that failed leaves the testnet damaged: say so, even when another error is on its way.
    if (errors.length > 0 && failures.length === 0) throw errors[0];
  }
}
