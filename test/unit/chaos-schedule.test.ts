// The chaos schedule is a pure function of (seed, duration, nodes, profile): the same inputs give the
// same schedule, and for every input it keeps its promises (properties over random inputs with
// fast-check): every fault ends by the heal phase, the down bound holds, the workload's node is
// never faulted, partitions and loss bursts never overlap. Then the profile's composition into
// node profiles, and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import { BUILTIN_CHAOS_PROFILES, ChaosProfile, resolveChaosProfile } from '../../orchestrator/chaos/profile.js';
import { networkProfiles, partitionBlocks, partitionGrudges } from '../../orchestrator/chaos/compose.js';
import { fits, maxOverlap, planSchedule, RESTART_ALLOWANCE_MS, type Schedule, type ScheduleInput } from '../../orchestrator/chaos/schedule.js';
import { SpinozaError } from '../../orchestrator/errors.js';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const input = (over: Partial<ScheduleInput> = {}): ScheduleInput => ({
  seed: 's', durationMs: 60_000, nodes: ids(24), protect: [1], profile: BUILTIN_CHAOS_PROFILES.default!, profileName: 'default', ...over,
});

/** Every promise the schedule makes, checked on one schedule. */
function checkInvariants(s: Schedule, profile: ChaosProfile): void {
  const shielded = new Set(s.protected);
  const down = s.faults.filter((f) => f.kind === 'kill' || f.kind === 'pause');
  for (const f of s.faults) {
    expect(f.at).toBeGreaterThanOrEqual(0);
    expect(f.until).toBeGreaterThan(f.at);
    expect(f.until).toBeLessThanOrEqual(s.healAtMs); // every fault ends before the heal phase
    if (!(f.kind === 'loss' && f.nodes.length === s.nodes.length)) expect(f.nodes.filter((n) => shielded.has(n))).toEqual([]);
    for (const n of f.nodes) expect(s.nodes).toContain(n);
  }
  // A killed node counts as down until its restart is back, not only until its planned end.
  expect(maxOverlap(down.map((f) => [f.at, f.until + (f.kind === 'kill' ? RESTART_ALLOWANCE_MS : 0)]))).toBeLessThanOrEqual(s.maxDown);
  expect(maxOverlap(s.faults.filter((f) => f.kind === 'partition').map((f) => [f.at, f.until]))).toBeLessThanOrEqual(1);
  expect(maxOverlap(s.faults.filter((f) => f.kind === 'loss' && f.nodes.length < s.nodes.length).map((f) => [f.at, f.until]))).toBeLessThanOrEqual(1);
  const victims = down.flatMap((f) => f.nodes);
  expect(new Set(victims).size).toBe(victims.length); // no node is killed or paused twice
  const want = (share: number): number => (share > 0 ? Math.ceil(share * s.nodes.length - 1e-9) : 0);
  expect(s.faults.filter((f) => f.kind === 'kill')).toHaveLength(want(profile.kill));
  expect(s.faults.filter((f) => f.kind === 'pause')).toHaveLength(want(profile.pause));
  expect(s.faults.filter((f) => f.kind === 'partition')).toHaveLength(profile.partitions);
  expect(s.faults.map((f) => f.id)).toEqual(s.faults.map((_, i) => `f${i + 1}`));
  expect(s.faults.map((f) => f.at)).toEqual([...s.faults.map((f) => f.at)].sort((a, b) => a - b));
}

describe('chaos schedule', () => {
  it('the default profile on 24 nodes: 3 kills (10%, rounded up), one partition, 1% loss; all healed by 80%', () => {
    const s = planSchedule(input());
    expect(s.healAtMs).toBe(48_000);
    expect(s.faults.filter((f) => f.kind === 'kill')).toHaveLength(3);
    expect(s.faults.filter((f) => f.kind === 'partition')).toEqual([expect.objectContaining({ mode: 'symmetric', nodes: expect.any(Array) })]);
    expect(s.faults.find((f) => f.kind === 'partition')!.nodes).toHaveLength(6);
    expect(s.faults.filter((f) => f.kind === 'loss')).toEqual([expect.objectContaining({ at: 0, until: 48_000, loss: 0.01, nodes: ids(24) })]);
    checkInvariants(s, BUILTIN_CHAOS_PROFILES.default!);
  });

  it('same seed and inputs give the same schedule; another seed another one; input order does not matter', () => {
    const a = planSchedule(input());
    expect(planSchedule(input())).toEqual(a);
    expect(planSchedule(input({ nodes: [...ids(24)].reverse() }))).toEqual(a);
    expect(planSchedule(input({ seed: 't' })).faults).not.toEqual(a.faults);
  });

  const profileArb = fc.record({
    kill: fc.double({ min: 0, max: 0.3, noNaN: true }),
    pause: fc.double({ min: 0, max: 0.2, noNaN: true }),
    maxDown: fc.double({ min: 0, max: 0.5, noNaN: true }),
    partitions: fc.integer({ min: 0, max: 3 }),
    partitionShare: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    asymmetric: fc.double({ min: 0, max: 1, noNaN: true }),
    loss: fc.constantFrom(0, 0.01, 0.05),
    lossBursts: fc.integer({ min: 0, max: 3 }),
    downMs: fc.constant([500, 3000] as [number, number]),
    partitionMs: fc.constant([1000, 4000] as [number, number]),
    burstMs: fc.constant([200, 1000] as [number, number]),
  }).map((p) => ChaosProfile.parse(p));

  it('keeps every promise for any seed, size and profile (or refuses clearly)', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 2, max: 300 }), fc.integer({ min: 5_000, max: 600_000 }), profileArb, (seed, n, durationMs, profile) => {
      let s: Schedule;
      try {
        s = planSchedule({ seed, durationMs, nodes: ids(n), protect: [1], profile, profileName: 'p' });
      } catch (e) {
        // The only acceptable refusal: the profile cannot fit, said with a code and a hint.
        expect(e).toBeInstanceOf(SpinozaError);
        expect((e as SpinozaError).code).toBe('chaos-invalid');
        return;
      }
      checkInvariants(s, profile);
      expect(planSchedule({ seed, durationMs, nodes: ids(n), protect: [1], profile, profileName: 'p' })).toEqual(s);
    }), { numRuns: 300 });
  });

  it('bad input is refused before anything is planned', () => {
    const cases: [Partial<ScheduleInput>, string, RegExp][] = [
      [{ durationMs: 0 }, 'chaos-invalid', /--duration: expected a whole number of milliseconds above 0/],
      [{ durationMs: -5 }, 'chaos-invalid', /--duration/],
      [{ protect: [99] }, 'unknown-node', /node 99 is not a started node/],
      [{ durationMs: 2_000 }, 'chaos-invalid', /downMs: a fault lasts at least 2000 ms, but every fault must end by 1600 ms/],
      [{ nodes: ids(3), profile: ChaosProfile.parse({ kill: 0.5, pause: 0.5 }) }, 'chaos-invalid', /kills 2 and pauses 2 nodes, but only 2 may fail/],
      [{ durationMs: 10_000, profile: ChaosProfile.parse({ kill: 0.5, maxDown: 0, downMs: [3000, 3000] }) }, 'chaos-invalid', /cannot fit 12 kill\(s\) and 0 pause\(s\) with at most 1 node\(s\) down at once/],
    ];
    for (const [over, code, message] of cases) {
      expect(() => planSchedule(input(over)), JSON.stringify(over)).toThrow(message);
      try {
        planSchedule(input(over));
      } catch (e) {
        expect((e as SpinozaError).code).toBe(code);
        expect((e as SpinozaError).hint).toBeTruthy();
      }
    }
  });

  it('concurrency helpers: half-open intervals, an end frees its slot at once', () => {
    expect(maxOverlap([[0, 10], [10, 20]])).toBe(1);
    expect(maxOverlap([[0, 10], [5, 20], [6, 7]])).toBe(3);
    expect(fits([[0, 10], [5, 20]], 10, 15, 2)).toBe(true);
    expect(fits([[0, 10], [5, 20]], 8, 15, 2)).toBe(false);
  });
});

describe('chaos profiles', () => {
  it('the manifest adds profiles and may replace a built-in; an unknown name lists the known ones', () => {
    const section = { profiles: { default: ChaosProfile.parse({ pause: 0.5 }), mine: ChaosProfile.parse({ kill: 0.3 }) } };
    expect(resolveChaosProfile(section, 'default').pause).toBe(0.5);
    expect(resolveChaosProfile(section, 'crash')).toEqual(BUILTIN_CHAOS_PROFILES.crash);
    expect(() => resolveChaosProfile(section, 'nope')).toThrow(/no chaos profile "nope"/);
    expect(() => resolveChaosProfile(undefined, 'constructor')).toThrow(/no chaos profile/);
  });

  it('refuses nonsense fields with the field named', () => {
    expect(ChaosProfile.safeParse({ kill: 1.5 }).error?.issues[0]).toMatchObject({ path: ['kill'], message: 'expected a share from 0 to 1' });
    expect(ChaosProfile.safeParse({ downMs: [5000, 100] }).error?.issues[0]).toMatchObject({ path: ['downMs'], message: 'expected [min, max] with min <= max' });
    expect(ChaosProfile.safeParse({ lossBurst: 2 }).success).toBe(false);
  });
});

describe('network fault composition', () => {
  const all = ids(6);
  it('a partition is a grudge map: symmetric, inbound (the cut side goes deaf), outbound (it goes mute)', () => {
    expect(partitionGrudges([1, 2], 'symmetric', [1, 2, 3])).toEqual({ 1: [3], 2: [3], 3: [1, 2] });
    expect(partitionGrudges([1, 2], 'inbound', [1, 2, 3])).toEqual({ 1: [3], 2: [3] });
    expect(partitionGrudges([1, 2], 'outbound', [1, 2, 3])).toEqual({ 3: [1, 2] });
    const cut = new Set([1, 2]);
    expect([partitionBlocks(cut, 'inbound', 3, 1), partitionBlocks(cut, 'inbound', 1, 3)]).toEqual([true, false]);
    expect([partitionBlocks(cut, 'outbound', 3, 1), partitionBlocks(cut, 'outbound', 1, 3)]).toEqual([false, true]);
    expect(partitionBlocks(cut, 'symmetric', 1, 2)).toBe(false);
  });

  it('composes with the base profile: grudges merge, losses compound on the nodes they cover', () => {
    const base = ImpairmentProfile.parse({ latencyMs: 20, loss: 0.1, seed: 'b', partition: { 6: [5] } });
    const out = networkProfiles(base, [
      { kind: 'partition', nodes: [1], mode: 'symmetric' },
      { kind: 'loss', nodes: all, loss: 0.5 },
      { kind: 'loss', nodes: [2], loss: 0.5 },
    ], all, 'seed');
    expect(out.get(1)).toMatchObject({ latencyMs: 20, seed: 'b', loss: 0.55, partition: { 1: [2, 3, 4, 5, 6], 2: [1], 6: [1, 5] } });
    expect(out.get(2)!.loss).toBe(0.775);
    expect(ImpairmentProfile.parse(out.get(2))).toEqual(out.get(2)); // a valid profile, in the node's own shape
  });

  it('nothing active gives exactly the base; no base and nothing left gives null (the fast path)', () => {
    const base = ImpairmentProfile.parse({ latencyMs: 5 });
    expect(networkProfiles(base, [], all, 's').get(3)).toBe(base);
    expect(networkProfiles(null, [], all, 's').get(3)).toBeNull();
    expect(networkProfiles(null, [{ kind: 'loss', nodes: [1], loss: 0.2 }], all, 's').get(3)).toBeNull();
    expect(networkProfiles(null, [{ kind: 'loss', nodes: [1], loss: 0.2 }], all, 's').get(1)).toMatchObject({ loss: 0.2, seed: 'chaos/s' });
  });
});
