// The executor against a fake testnet on a virtual clock: faults applied and healed in schedule order,
// network profiles composed and never sent to a node that is down, every fault logged twice (start,
// end), and on an abort or a failed step everything still in effect is healed before it returns.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import type { FaultTarget } from '../../orchestrator/backends/faults.js';
import { executeSchedule, type Clock, type NetworkControl } from '../../orchestrator/chaos/executor.js';
import type { FaultRecord } from '../../orchestrator/chaos/fault-log.js';
import type { PlannedFault, Schedule } from '../../orchestrator/chaos/schedule.js';

const NODES = [1, 2, 3, 4, 5];

function virtualClock(): Clock & { t: number } {
  const c = {
    t: 1_000_000,
    now: () => c.t,
    async sleep(ms: number, signal?: AbortSignal) {
      signal?.throwIfAborted();
      // Background steps (restarts, pushes) finish at the current instant before time moves on.
      for (let i = 0; i < 20; i++) await tick();
      c.t += Math.max(0, ms);
      for (let i = 0; i < 20; i++) await tick();
      signal?.throwIfAborted();
    },
  };
  return c;
}

/** A testnet that refuses, like a real one, to answer a control call while a node is down. */
function fakeNet(fail?: { op: keyof FaultTarget; id: number }) {
  const down = new Set<number>();
  const calls: string[] = [];
  const holds = new Map<number, ImpairmentProfile | null>(NODES.map((id) => [id, null]));
  const step = (op: keyof FaultTarget, id: number): void => {
    calls.push(`${op} ${id}`);
    if (fail && fail.op === op && fail.id === id) throw new Error(`${op} ${id} failed`);
  };
  const target: FaultTarget = {
    kill: async (id) => { step('kill', id); down.add(id); },
    start: async (id) => { step('start', id); down.delete(id); holds.set(id, null); },
    pause: async (id) => { step('pause', id); down.add(id); },
    resume: async (id) => { step('resume', id); down.delete(id); },
  };
  const network: NetworkControl = {
    put: async (id, profile) => {
      if (down.has(id)) throw new Error(`PUT to node ${id} while it is down`);
      await tick();
      holds.set(id, profile);
    },
    waitHealthy: async (id) => { calls.push(`healthy ${id}`); },
  };
  return { target, network, calls, holds, down };
}

const fault = (id: string, kind: PlannedFault['kind'], at: number, until: number, nodes: number[], extra: Partial<PlannedFault> = {}): PlannedFault =>
  ({ id, kind, at, until, nodes, ...extra });
const schedule = (faults: PlannedFault[]): Schedule => ({
  version: 1, seed: 's', profile: 'test', durationMs: 1000, healAtMs: 800, nodes: NODES, protected: [1], maxDown: 2, faults,
});
const FAULTS = [
  fault('f1', 'loss', 0, 700, NODES, { loss: 0.01 }),
  fault('f2', 'kill', 100, 500, [2]),
  fault('f3', 'pause', 200, 400, [3]),
  fault('f4', 'partition', 300, 600, [4], { mode: 'symmetric' }),
];

function run(faults: PlannedFault[], o: { fail?: { op: keyof FaultTarget; id: number }; base?: ImpairmentProfile | null; signal?: AbortSignal } = {}) {
  const net = fakeNet(o.fail);
  const clock = virtualClock();
  const log: FaultRecord[] = [];
  const done = executeSchedule(schedule(faults), {
    target: net.target, network: net.network, clock, base: o.base ?? null, backend: 'fake', session: 's@1',
    log: async (r) => { log.push(r); },
  }, o.signal);
  return { net, clock, log, done };
}

describe('chaos executor', () => {
  it('applies and heals every fault in order, logging a start and an end line for each', async () => {
    const base = ImpairmentProfile.parse({ latencyMs: 10 });
    const { net, log, done, clock } = run(FAULTS, { base });
    const exec = await done;
    expect(net.calls).toEqual(['kill 2', 'pause 3', 'resume 3', 'start 2', 'healthy 2']);
    expect(log.map((r) => `${r.id} ${r.end === null ? 'start' : 'end'}`)).toEqual([
      'f1 start', 'f2 start', 'f3 start', 'f4 start', 'f3 end', 'f2 end', 'f4 end', 'f1 end',
    ]);
    for (const r of exec.records) expect(r.end).toBeGreaterThan(r.start);
    expect(exec.records.map((r) => [r.id, r.end! - exec.t0])).toEqual([['f1', 700], ['f2', 500], ['f3', 400], ['f4', 600]]);
    expect(exec.records.find((r) => r.id === 'f4')).toMatchObject({ kind: 'partition', mode: 'symmetric', by: 'userspace', nodes: [4] });
    expect(exec.records.find((r) => r.id === 'f2')).toMatchObject({ by: 'fake' });
    // The heal phase: every node holds exactly the base again.
    for (const id of NODES) expect(net.holds.get(id)).toEqual(base);
    expect(exec.healedAt).toBe(clock.t);
  });

  it('a restarted node gets the profile in effect, partitions included', async () => {
    const { net, done } = run([fault('f1', 'kill', 100, 300, [2]), fault('f2', 'partition', 200, 600, [4], { mode: 'inbound' })]);
    let seen: ImpairmentProfile | null | undefined;
    const put = net.network.put;
    net.network.put = async (id, p) => {
      if (id === 2 && seen === undefined) seen = p;
      return put(id, p);
    };
    await done;
    expect(seen?.partition).toEqual({ 4: [1, 2, 3, 5] });
    expect(net.holds.get(2)).toBeNull();
  });

  it('an abort heals whatever is in effect, then rejects', async () => {
    const ac = new AbortController();
    const { net, log, done, clock } = run(FAULTS, { signal: ac.signal });
    const wait = clock.sleep;
    clock.sleep = async (ms, signal) => {
      if (clock.t - 1_000_000 >= 250) ac.abort(new Error('interrupted'));
      return wait(ms, signal);
    };
    await expect(done).rejects.toThrow(/interrupted/);
    expect(net.calls.slice(0, 2)).toEqual(['kill 2', 'pause 3']);
    expect(net.calls.slice(2).sort()).toEqual(['healthy 2', 'resume 3', 'start 2']); // healed together
    expect(net.down.size).toBe(0);
    const ends = log.filter((r) => r.end !== null).map((r) => r.id).sort();
    expect(ends).toEqual(['f1', 'f2', 'f3', 'f4']); // aborted at 300 ms: four faults had begun
    for (const id of NODES) expect(net.holds.get(id)).toBeNull();
  });

  it('a failed step stops the schedule, heals the rest, and reports the failure', async () => {
    const { net, log, done } = run(FAULTS, { fail: { op: 'pause', id: 3 } });
    await expect(done).rejects.toThrow(/pause 3 failed/);
    expect(net.calls).toContain('start 2'); // the killed node came back
    expect(net.down.has(2)).toBe(false);
    expect(log.filter((r) => r.id === 'f2' && r.end !== null)).toHaveLength(1);
  });
});
