// `spinoza shape` without a testnet: argument parsing (units, and a bad-input table) and the probe's
// verdict (expected figures, tolerance, binomial loss bound, pair sampling).
import { describe, expect, it } from 'vitest';
import { ImpairmentProfile, type ImpairmentProfileInput } from '../../node/impairment/index.js';
import { parseShapeArgs } from '../../orchestrator/impair/args.js';
import { evaluateProbe, expectPair, samplePairs, type PairFigures } from '../../orchestrator/impair/probe.js';

const profile = (p: ImpairmentProfileInput) => ImpairmentProfile.parse(p);
const noRegion = (): undefined => undefined;

describe('shape arguments', () => {
  it('parses durations, percentages and tc rates', () => {
    expect(parseShapeArgs([], { latency: '50ms', jitter: '500us', loss: '1%', bandwidth: '10mbit' }).request)
      .toEqual({ kind: 'inline', profile: { latencyMs: 50, jitterMs: 0.5, loss: 0.01, bandwidth: 1_250_000 } });
    expect(parseShapeArgs([], { latency: '1.5s', bandwidth: '2mbps' }).request)
      .toEqual({ kind: 'inline', profile: { latencyMs: 1500, bandwidth: 2_000_000 } });
    expect(parseShapeArgs(['wan'], { loss: '2%', pairs: '4' })).toEqual({ request: { kind: 'named', name: 'wan', overrides: { loss: 0.02 } }, probe: { pairs: 4 } });
    expect(parseShapeArgs([], { clear: true }).request).toEqual({ kind: 'clear' });
  });

  const BAD: Record<string, [string[], Record<string, string | boolean>, string]> = {
    'negative latency': [[], { latency: '-5ms' }, 'profile-invalid'],
    'latency without unit': [[], { latency: '50' }, 'profile-invalid'],
    'loss above 100%': [[], { loss: '150%' }, 'profile-invalid'],
    'loss as a fraction': [[], { loss: '0.01' }, 'profile-invalid'],
    'zero bandwidth': [[], { bandwidth: '0mbit' }, 'profile-invalid'],
    'unknown rate unit': [[], { bandwidth: '10mb' }, 'profile-invalid'],
    'clear with a flag': [[], { clear: true, loss: '1%' }, 'usage'],
    'nothing to apply': [[], {}, 'usage'],
    'two profile names': [['a', 'b'], {}, 'usage'],
    'zero pairs': [[], { latency: '5ms', pairs: '0' }, 'usage'],
  };
  for (const [name, [pos, values, code]] of Object.entries(BAD)) {
    it(`rejects ${name}`, () => {
      expect(() => parseShapeArgs(pos, values)).toThrow(expect.objectContaining({ code }));
    });
  }
});

describe('probe verdict', () => {
  const p = profile({ latencyMs: 50, loss: 0.1, partition: { 3: [4] } });
  const figures = (from: number, to: number, median: number | null, lost: number, sent = 100): PairFigures => ({
    ...expectPair(p, from, to, noRegion), sent, lost, rttMedianMs: median, rttMeanMs: median, rttP95Ms: median, linked: median !== null,
  });

  it('expects 2x latency, round-trip loss 1-(1-p)^2, and a partition both ways', () => {
    expect(expectPair(p, 1, 2, noRegion)).toEqual({ from: 1, to: 2, rttMs: 100, toleranceMs: 20, loss: 1 - 0.9 * 0.9 });
    expect(expectPair(p, 3, 4, noRegion).rttMs).toBeNull();
    expect(expectPair(p, 4, 3, noRegion).loss).toBe(1);
  });

  it('passes figures within tolerance and names each deviation', () => {
    expect(evaluateProbe([figures(1, 2, 104, 19), figures(2, 1, 97, 20), figures(3, 4, null, 100)], p, 'userspace').problems).toEqual([]);
    const r = evaluateProbe([figures(1, 2, 130, 19), figures(2, 1, 100, 60), figures(3, 4, 100, 90)], p, 'userspace');
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(3);
    expect(r.problems[0]).toContain('1→2: median RTT 130 ms');
    expect(r.problems[1]).toContain('3→4: partitioned');
    expect(r.problems[2]).toContain('lost 79 of 200');
  });

  it('samples distinct ordered pairs reproducibly, half of them partitioned when there is a partition', () => {
    const live = [1, 2, 3, 4, 5, 6];
    const a = samplePairs(live, p, 6, 's');
    expect(samplePairs(live, p, 6, 's')).toEqual(a);
    expect(new Set(a.map(([x, y]) => `${x}>${y}`)).size).toBe(6);
    expect(a.every(([x, y]) => x !== y)).toBe(true);
    expect(a).toContainEqual([3, 4]);
    expect(samplePairs([1, 2], null, 10, 's')).toHaveLength(2);
  });
});
