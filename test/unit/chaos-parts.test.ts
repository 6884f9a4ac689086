// The smaller parts of a chaos session: its flags (a bad-input table), the workload (accepted ids,
// in-flight bound, drain), and the settle wait over event logs that grow while it reads them.
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { BroadcastOptions, BroadcastResult } from '../../client/index.js';
import { parseChaosArgs } from '../../orchestrator/chaos/args.js';
import type { Clock } from '../../orchestrator/chaos/executor.js';
import { DeliveredTail, waitSettled } from '../../orchestrator/chaos/settle.js';
import { startWorkload } from '../../orchestrator/chaos/workload.js';
import { SpinozaError } from '../../orchestrator/errors.js';

describe('chaos flags', () => {
  it('parses durations with units, defaults the rest', () => {
    expect(parseChaosArgs({})).toEqual({ durationMs: 60_000, profile: 'default', intervalMs: 200, settleMs: 60_000, dryRun: false });
    expect(parseChaosArgs({ seed: 'x', duration: '1.5m', profile: 'crash', via: '3', interval: '50ms', settle: '0s', 'dry-run': true }))
      .toEqual({ seed: 'x', durationMs: 90_000, profile: 'crash', via: 3, intervalMs: 50, settleMs: 0, dryRun: true });
  });

  const BAD: Record<string, [Record<string, string>, RegExp]> = {
    'zero duration': [{ duration: '0s' }, /--duration: a duration must be above 0, got "0s"/],
    'negative duration': [{ duration: '-5s' }, /--duration: a duration cannot be negative/],
    'duration without a unit': [{ duration: '60' }, /--duration: expected a duration with a unit/],
    'a day and more': [{ duration: '1441m' }, /--duration: expected at most/],
    'interval too short': [{ interval: '1ms' }, /--interval: expected at least 10 ms/],
    'a node id that is not one': [{ via: 'node-3' }, /--via: expected a node id/],
    'node zero': [{ via: '0' }, /--via: expected a node id/],
    'empty seed': [{ seed: ' ' }, /--seed: expected a non-empty string/],
  };
  it.each(Object.entries(BAD))('%s is a chaos-invalid error with a hint', (_, [values, message]) => {
    let err: unknown;
    try {
      parseChaosArgs(values);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpinozaError);
    expect((err as SpinozaError).code).toBe('chaos-invalid');
    expect((err as SpinozaError).message).toMatch(message);
    expect((err as SpinozaError).toLine()).toMatch(/^error\[chaos-invalid\]: .* — see `spinoza chaos --help`/);
  });
});

function virtualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    async sleep(ms: number, signal?: AbortSignal) {
      signal?.throwIfAborted();
      await tick();
      c.t += Math.max(0, ms);
      await tick();
      signal?.throwIfAborted();
    },
  };
  return c;
}

describe('chaos workload', () => {
  it('records accepted ids, keeps at most maxInFlight waiting, counts refusals, and drains', async () => {
    const clock = virtualClock();
    const waiting: (() => void)[] = [];
    let n = 0;
    const sender = {
      broadcast(text: string, o: BroadcastOptions): Promise<BroadcastResult> {
        n += 1;
        if (n === 2) return Promise.reject(Object.assign(new Error('refused'), { code: 'rejected' }));
        o.onAccepted?.(`id-${text}`);
        return new Promise((resolve, reject) => {
          o.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'aborted' })));
          waiting.push(() => resolve({ proof: { complete: true } } as BroadcastResult));
        });
      },
    };
    const w = startWorkload({ sender, live: [1], clock, intervalMs: 200, maxInFlight: 3, text: (i) => `#${i}`, onAccepted: () => {} });
    for (let i = 0; i < 10; i++) await tick();
    while (clock.t < 1000) await tick();
    expect(w.stats().inFlight).toBe(3);
    expect(w.stats().skipped).toBeGreaterThan(0);
    waiting.shift()!();
    const stats = await w.stop(0);
    expect(stats).toMatchObject({ accepted: 3, rejected: 1, complete: 1, failed: 0, inFlight: 0 });
    expect(w.accepted()).toEqual(['id-#1', 'id-#3', 'id-#4']);
  });
});

describe('chaos workload hooks', () => {
  it('reports each sent broadcast with the live set of its moment, its id by sequence number, and how it ended', async () => {
    const clock = virtualClock();
    let live = [1, 2];
    const sender = {
      broadcast(text: string, o: BroadcastOptions): Promise<BroadcastResult> {
        if (text === '#2') return Promise.reject(Object.assign(new Error('refused'), { code: 'rejected' }));
        o.onAccepted?.(`id-${text}`);
        return Promise.resolve({ proof: { complete: true }, delivered: [...o.live!].length } as BroadcastResult);
      },
    };
    const events: string[] = [];
    const w = startWorkload({
      sender, live: () => live, clock, intervalMs: 200, text: (i) => `#${i}`,
      onSent: (seq, l) => events.push(`sent ${seq} [${l.join(',')}]`),
      onAccepted: (id, seq) => events.push(`accepted ${seq} ${id}`),
      onSettled: (seq, out) => events.push(`settled ${seq} ${'result' in out ? `delivered ${out.result.delivered}` : (out.error as Error).message}`),
    });
    await tick();
    live = [1, 2, 3];
    while (!events.includes('settled 3 delivered 3')) await tick();
    await w.stop(0);
    expect(events.slice(0, 8)).toEqual([
      'sent 1 [1,2]', 'accepted 1 id-#1', 'settled 1 delivered 2',
      'sent 2 [1,2,3]', 'settled 2 refused',
      'sent 3 [1,2,3]', 'accepted 3 id-#3', 'settled 3 delivered 3',
    ]);
  });
});

describe('settle wait', () => {
  let dir: string;
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads a log as it grows, a line cut in two included, and waits until every node has every id', async () => {
    dir = await mkdtemp(join(tmpdir(), 'spinoza-settle-'));
    const file = (id: number): string => join(dir, `node-${id}.ndjson`);
    const line = (id: string): string => JSON.stringify({ t: 1, node: 1, ev: 'delivered', id, ts: 1 }) + '\n';
    const tail = new DeliveredTail(file(1));
    await tail.poll(); // no file yet: nothing, no error
    const half = line('a').length >> 1;
    await appendFile(file(1), line('a').slice(0, half));
    await tail.poll();
    expect([...tail.ids]).toEqual([]);
    await appendFile(file(1), line('a').slice(half) + '{"torn\n' + line('b'));
    await tail.poll();
    expect([...tail.ids]).toEqual(['a', 'b']);

    await appendFile(file(2), line('a'));
    const clock = virtualClock();
    const seen: number[] = [];
    const settled = waitSettled({
      nodes: [1, 2], eventsPath: file, accepted: ['a', 'b'], timeoutMs: 10_000, clock,
      onProgress: (p) => seen.push(p.complete),
    });
    while (seen.length < 2) await tick();
    await appendFile(file(2), line('b'));
    const r = await settled;
    expect(r).toMatchObject({ ok: true, missing: [] });
    expect(seen.at(-1)).toBe(2);

    const late = await waitSettled({ nodes: [1, 2], eventsPath: file, accepted: ['a', 'c'], timeoutMs: 1000, clock });
    expect(late).toMatchObject({ ok: false, missing: [{ node: 1, count: 1, ids: ['c'] }, { node: 2, count: 1, ids: ['c'] }] });
  });
});
