// The membership bench's pure parts (bench/membership/): reading event lines, deduplicating
// certificates, telling false positives from the kills we caused, and the kill-round timings.
import { mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { againstLive, certificates, expectedAt, falsePositives, minMedMax, pickVictims, timing, type DeadWindow } from '../../bench/membership/analyze.js';
import { EventTail, MembershipLog, type Applied } from '../../bench/membership/log.js';
import { seededRandom } from '../../node/impairment/index.js';

const certified = (node: number, t: number, of: number, epoch: number, kind: string): string =>
  JSON.stringify({ t, node, ev: 'membership', what: 'certified', of, epoch, kind, certificate: { proposal: {}, sigs: [] } });

describe('MembershipLog', () => {
  it('keeps certified changes (any kind), suspicions, proposals, deliveries and epochs; skips the rest', () => {
    const log = new MembershipLog();
    for (const line of [
      certified(1, 100, 5, 1, 'down'),
      certified(2, 110, 5, 1, 'down'),
      certified(2, 120, 7, 2, 'suspend'), // a kind a newer node may add: counted, not dropped
      JSON.stringify({ t: 90, node: 3, ev: 'membership', what: 'suspect', of: 5 }),
      JSON.stringify({ t: 95, node: 3, ev: 'membership', what: 'propose', of: 5, epoch: 1, kind: 'down' }),
      JSON.stringify({ t: 96, node: 3, ev: 'delivered', id: 'ab', ts: 1 }),
      JSON.stringify({ t: 97, node: 4, ev: 'delivered', id: 'ab', ts: 1, via: 'repair' }),
      JSON.stringify({ t: 98, node: 4, ev: 'directory', epoch: 2, hash: 'h', members: 3 }),
      JSON.stringify({ t: 99, node: 4, ev: 'received', id: 'ab', peer: 1, dup: false, bytes: 10 }),
      '{"t":1,"node":9,"ev":"membership","what":"certi', // torn by a kill -9
    ]) log.add(line);
    expect(log.applied.map((a) => [a.observer, a.of, a.kind])).toEqual([[1, 5, 'down'], [2, 5, 'down'], [2, 7, 'suspend']]);
    expect(log.suspicions).toEqual([{ observer: 3, t: 90, of: 5, kind: 'suspect' }]);
    expect(log.proposals).toEqual([{ observer: 3, t: 95, of: 5, kind: 'down' }]);
    expect([...log.deliveries.get('ab')!]).toEqual([3, 4]);
    expect(log.epochs.get(4)).toBe(2);
    expect(log.malformed).toBe(1);
  });
});

describe('EventTail', () => {
  it('hands over whole lines only, and picks up where it stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spinoza-tail-'));
    try {
      const lines: string[] = [];
      const tail = new EventTail(dir, (l) => lines.push(l));
      await appendFile(join(dir, 'node-1.ndjson'), '{"a":1}\n{"b":');
      await appendFile(join(dir, 'other.txt'), 'not an event file\n');
      await tail.poll();
      expect(lines).toEqual(['{"a":1}']);
      await appendFile(join(dir, 'node-1.ndjson'), '2}\n');
      await appendFile(join(dir, 'node-2.ndjson'), '{"c":"é"}\n');
      await tail.poll();
      expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":"é"}']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const applied = (observer: number, t: number, of: number, epoch: number, kind: string): Applied => ({ observer, t, of, epoch, kind });

describe('certificates and false positives', () => {
  const log = [
    applied(1, 1000, 5, 1, 'down'), applied(2, 1010, 5, 1, 'down'), applied(3, 990, 5, 1, 'down'),
    applied(1, 3000, 5, 2, 'up'), applied(2, 3005, 5, 2, 'up'),
    applied(1, 5000, 8, 3, 'suspend'),
    applied(2, 50, 9, 0, 'down'), // before every node was healthy
  ];
  const windows: DeadWindow[] = [{ node: 5, from: 900, until: 3005 }];

  it('one certificate per (epoch, kind, subject), first application and how many applied it', () => {
    expect(certificates(log)).toEqual([
      { of: 9, epoch: 0, kind: 'down', firstAt: 50, appliedBy: 1 },
      { of: 5, epoch: 1, kind: 'down', firstAt: 990, appliedBy: 3 },
      { of: 5, epoch: 2, kind: 'up', firstAt: 3000, appliedBy: 2 },
      { of: 8, epoch: 3, kind: 'suspend', firstAt: 5000, appliedBy: 1 },
    ]);
  });

  it('a non-UP change of a node we did not kill is a false positive; our kill and start-up are not', () => {
    expect(falsePositives(certificates(log), windows, 100).map((c) => [c.of, c.kind])).toEqual([[8, 'suspend']]);
    // The same DOWN outside node 5's dead window would count.
    expect(falsePositives(certificates(log), [{ node: 5, from: 2000, until: null }], 100).map((c) => c.of)).toEqual([5, 8]);
  });

  it('verdicts about a node that came back count only after the grace', () => {
    const verdicts = [{ observer: 1, t: 3500, of: 5, kind: 'suspect' }, { observer: 1, t: 9000, of: 5, kind: 'suspect' }];
    expect(againstLive(verdicts, windows, 0, 1000).map((v) => v.t)).toEqual([9000]);
  });
});

describe('timing', () => {
  const log = [applied(1, 1400, 5, 1, 'down'), applied(2, 1900, 5, 1, 'down'), applied(2, 500, 5, 0, 'down')];

  it('first and last observer, from `since`; earlier applications do not count', () => {
    expect(timing(log, 5, 'down', 1000, [1, 2])).toEqual({ firstMs: 400, allMs: 900, missing: [] });
  });

  it('all is null while an observer is missing', () => {
    expect(timing(log, 5, 'down', 1000, [1, 2, 3])).toEqual({ firstMs: 400, allMs: null, missing: [3] });
    expect(timing(log, 5, 'up', 1000, [1])).toEqual({ firstMs: null, allMs: null, missing: [1] });
  });
});

describe('helpers', () => {
  it('minMedMax', () => {
    expect(minMedMax([])).toBeNull();
    expect(minMedMax([3, null, 1, 2])).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(minMedMax([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4, n: 4 });
  });

  it('expectedAt leaves out nodes killed while the broadcast was delivered', () => {
    const w: DeadWindow[] = [{ node: 2, from: 1500, until: 4000 }, { node: 3, from: 9000, until: null }];
    expect(expectedAt([1, 2, 3], w, 1000, 1000)).toEqual([1, 3]);
    expect(expectedAt([1, 2, 3], w, 5000, 1000)).toEqual([1, 2, 3]);
  });

  it('pickVictims: k distinct candidates, the same for the same seed', () => {
    const c = Array.from({ length: 31 }, (_, i) => i + 2);
    const a = pickVictims(c, 3, seededRandom('s'));
    expect(new Set(a).size).toBe(3);
    expect(a.every((x) => c.includes(x))).toBe(true);
    expect(pickVictims(c, 3, seededRandom('s'))).toEqual(a);
  });
});
