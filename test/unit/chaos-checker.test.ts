// The fault-aware checker: each (message, node) miss classified against the fault log as expected,
// late-after-heal or protocol-failure, on hand-made timelines; then through analyze() into the report,
// its table and its HTML; and the fault log's own format.
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../node/events/schema.js';
import { parseFaultLog, type FaultRecord } from '../../orchestrator/chaos/fault-log.js';
import { analyze, createClassifier, formatReport, renderHtml } from '../../orchestrator/checker/index.js';

const T0 = 1_700_000_000_000;
const at = (s: number): number => T0 + s * 1000;

type Fault = Pick<FaultRecord, 'kind' | 'nodes' | 'mode' | 'start' | 'end'>;
const kill = (node: number, from: number, to: number | null): Fault => ({ kind: 'kill', nodes: [node], start: at(from), end: to === null ? null : at(to) });
const cut = (nodes: number[], mode: FaultRecord['mode'], from: number, to: number | null): Fault =>
  ({ kind: 'partition', nodes, mode, start: at(from), end: to === null ? null : at(to) });
const loss = (nodes: number[], from: number, to: number): Fault => ({ kind: 'loss', nodes, start: at(from), end: at(to) });

interface Case {
  name: string;
  faults: Fault[];
  /** Message published by node 1 at `pub` s; node 2's delivery at `delivered` s (null: never). */
  pub: number;
  delivered: number | null;
  horizon?: number;
  want: 'ok' | 'expected' | 'late-after-heal' | 'protocol-failure';
}

const CASES: Case[] = [
  { name: 'no fault, delivered', faults: [], pub: 1, delivered: 1.01, want: 'ok' },
  { name: 'no fault, never delivered', faults: [], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'killed before publish, restarted, repaired', faults: [kill(2, 0, 5)], pub: 1, delivered: 6, want: 'late-after-heal' },
  { name: 'killed before publish, restarted, never repaired', faults: [kill(2, 0, 5)], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'down from publish to the horizon', faults: [kill(2, 0, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'killed while the message was in flight, still down', faults: [kill(2, 1.5, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'up for seconds after publish, then killed for good', faults: [kill(2, 4, null)], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'a fault that healed before publish has no bearing', faults: [kill(2, 0, 0.5)], pub: 1, delivered: 1.02, want: 'ok' },
  { name: 'delivered before the fault started', faults: [kill(2, 2, 5)], pub: 1, delivered: 1.02, want: 'ok' },
  { name: 'symmetric cut, healed, repaired after', faults: [cut([2], 'symmetric', 0, 5)], pub: 1, delivered: 7, want: 'late-after-heal' },
  { name: 'cut off from the origin to the horizon', faults: [cut([2], 'symmetric', 0, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'deaf cut side (inbound) cannot hear the origin', faults: [cut([2], 'inbound', 0, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'mute cut side (outbound) still hears the origin', faults: [cut([2], 'outbound', 0, null)], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'origin on the mute side: the rest cannot hear it', faults: [cut([1], 'outbound', 0, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'back-to-back outages cover the whole life', faults: [kill(2, 0, 3), cut([2], 'symmetric', 3, null)], pub: 1, delivered: null, want: 'expected' },
  { name: 'a gap between outages is a chance missed', faults: [kill(2, 0, 3), cut([2], 'symmetric', 6, null)], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'loss never excuses a miss', faults: [loss([1, 2], 0, 100)], pub: 1, delivered: null, want: 'protocol-failure' },
  { name: 'delivered after a loss burst on the node ended', faults: [loss([2], 0, 3)], pub: 1, delivered: 4, want: 'late-after-heal' },
  { name: 'delivered during a loss burst: not a miss', faults: [loss([2], 0, 3)], pub: 1, delivered: 1.2, want: 'ok' },
  { name: 'a fault on another node does not touch the pair', faults: [kill(3, 0, 3)], pub: 1, delivered: 4, want: 'ok' },
  { name: 'too young to judge at the horizon', faults: [], pub: 1, delivered: null, horizon: 1.5, want: 'expected' },
];

describe('miss classification', () => {
  it.each(CASES)('$name → $want', (c) => {
    const classify = createClassifier({ faults: c.faults, horizon: at(c.horizon ?? 100) });
    const v = classify({ entry: 1, publishedAt: at(c.pub), deliveredAt: new Map(c.delivered === null ? [] : [[2, at(c.delivered)]]) }, [2]);
    const got = v.misses.expected ? 'expected' : v.misses.lateAfterHeal ? 'late-after-heal' : v.misses.protocolFailure ? 'protocol-failure' : 'ok';
    expect(got).toBe(c.want);
    expect(v.failures).toEqual(c.want === 'protocol-failure' ? [2] : []);
  });
});

const published = (id: string, t: number): NodeEvent => ({ ev: 'published', t: at(t), node: 1, id, from: 'client', strategy: 'tree', ts: at(t), bytes: 10 });
const delivered = (id: string, node: number, t: number, pub: number): NodeEvent => ({ ev: 'delivered', t: at(t), node, id, ts: at(pub) });
const record = (id: string, f: Fault): FaultRecord => ({ session: 's@1', id, by: 'process', planned: { at: 0, until: 1 }, ...f });

describe('fault-aware report', () => {
  // Node 3 killed from 2 s to 6 s; 1% loss everywhere until 8 s.
  const faults = [record('f1', kill(3, 2, 6)), record('f2', loss([1, 2, 3, 4], 0, 8))];
  const events = [
    published('m1', 1), delivered('m1', 1, 1, 1), delivered('m1', 2, 1.01, 1), delivered('m1', 3, 1.02, 1), delivered('m1', 4, 1.01, 1),
    // Node 3 was down when m2 went out: it got it by repair after its restart.
    published('m2', 3), delivered('m2', 1, 3, 3), delivered('m2', 2, 3.01, 3), delivered('m2', 3, 7, 3), delivered('m2', 4, 3.01, 3),
    // Every fault had healed when m3 went out, and node 4 never got it.
    published('m3', 9), delivered('m3', 1, 9, 9), delivered('m3', 2, 9.01, 9), delivered('m3', 3, 9.02, 9),
  ];
  const report = analyze(events, { live: [1, 2, 3, 4], dead: [], members: [1, 2, 3, 4], faultLog: faults, runId: 'r', backend: 'process', horizon: at(20) });

  it('counts each class per message and in the totals', () => {
    expect(report.messages.map((m) => [m.id, m.misses, m.failures])).toEqual([
      ['m1', { expected: 0, lateAfterHeal: 0, protocolFailure: 0 }, []],
      ['m2', { expected: 0, lateAfterHeal: 1, protocolFailure: 0 }, []],
      ['m3', { expected: 0, lateAfterHeal: 0, protocolFailure: 1 }, [4]],
    ]);
    expect(report.totals.misses).toEqual({ expected: 0, lateAfterHeal: 1, protocolFailure: 1 });
    expect(report.strategies[0]!.misses).toEqual(report.totals.misses);
    expect(formatReport(report)).toMatch(/protocol failure: m3 \(via node 1\) never reached 4/);
  });

  it('without a fault log every loss is a protocol failure, and no chaos section appears', () => {
    const plain = analyze(events, { live: [1, 2, 3, 4], dead: [], members: [1, 2, 3, 4], horizon: at(20) });
    expect(plain.totals.misses).toEqual({ expected: 0, lateAfterHeal: 0, protocolFailure: 1 });
    expect(plain.chaos).toBeUndefined();
    expect(formatReport(plain)).not.toMatch(/late-after-heal/);
  });
});

describe('fault log', () => {
  it('the last line of a fault wins; torn and foreign lines are counted, not fatal', () => {
    const start = record('f1', kill(3, 2, null));
    const text = [JSON.stringify(start), '{"torn', JSON.stringify({ hello: 1 }), JSON.stringify({ ...start, end: at(6) }), ''].join('\n');
    const log = parseFaultLog(text);
    expect(log.records).toEqual([{ ...start, end: at(6) }]);
    expect(log.malformed).toBe(2);
  });

  it('reaches the report: a summary, a misses table, the windows shaded in the HTML', () => {
    const faults = [record('f1', kill(3, 2, 6)), record('f2', cut([4], 'inbound', 1, null))];
    const events = [published('m1', 3), delivered('m1', 1, 3, 3), delivered('m1', 2, 3.01, 3), delivered('m1', 3, 6.5, 3)];
    const r = analyze(events, { live: [1, 2, 3, 4], dead: [], members: [1, 2, 3, 4], faultLog: faults, impairment: null });
    expect(r.chaos).toEqual({ faults: 2, byKind: { kill: 1, pause: 0, partition: 1, loss: 0 }, open: 1, horizon: at(6.5), downAtEnd: [] });
    expect(r.totals.misses).toEqual({ expected: 1, lateAfterHeal: 1, protocolFailure: 0 });
    expect(r.faults?.map((f) => f.label)).toEqual(['kill 3', 'partition 4 (inbound)']);
    const text = formatReport(r);
    expect(text).toMatch(/faults: 2 \(kill 1, partition 1\), 1 still open/);
    expect(text).toMatch(/misses\s+expected\s+late-after-heal\s+protocol-failure\n.*\n\s+tree\s+1\s+1\s+0/);
    expect(text).toMatch(/impairment: none applied/);
    const html = renderHtml(r);
    expect(html.match(/class="band"/g)).toHaveLength(2);
    expect(html).toMatch(/<h2>Faults<\/h2>/);
  });
});
