// The checker over synthetic events: delivery, loss, duplicates, rejections, percentiles,
// malformed input and mixed strategies; then the files it writes.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CDF_POINTS, cdf } from '../../orchestrator/checker/percentile.js';
import type { NodeEvent } from '../../node/events/schema.js';
import { REJECT_REASONS, type RejectReason } from '../../node/wire/verdict.js';
import { analyze, CheckerError, createAnalyzer, checkRun, formatReport, loadEvents, percentile, summarize, writeReport, type AnalyzeOptions, type Report } from '../../orchestrator/checker/index.js';

const T0 = 1_700_000_000_000;
const members3: AnalyzeOptions = { live: [1, 2, 3], dead: [], members: [1, 2, 3] };

const published = (id: string, node: number, t = T0, strategy = 'tree'): NodeEvent => ({ ev: 'published', t, node, id, from: 'alice', strategy, ts: t, bytes: 100 });
const delivered = (id: string, node: number, after: number, ts = T0): NodeEvent => ({ ev: 'delivered', t: ts + after, node, id, ts });
const received = (id: string, node: number, dup: boolean): NodeEvent => ({ ev: 'received', t: T0, node, id, peer: 1, dup, bytes: 100 });
const forwarded = (id: string, node: number, to: number, bytes = 100): NodeEvent => ({ ev: 'forwarded', t: T0, node, id, to, bytes });
const rejected = (reason: RejectReason, node = 1): NodeEvent => ({ ev: 'rejected', t: T0, node, reason, detail: 'test', peer: '127.0.0.1' });

interface Case {
  name: string;
  events: NodeEvent[];
  options?: AnalyzeOptions;
  check: (r: Report) => void;
}

const cases: Case[] = [
  {
    name: 'full delivery',
    events: [published('m1', 1), delivered('m1', 1, 0), delivered('m1', 2, 10), delivered('m1', 3, 20)],
    check: (r) => {
      expect(r.messages[0]).toMatchObject({ id: 'm1', expected: 3, delivered: 3, lost: [], lastNodeMs: 20 });
      expect(r.totals).toMatchObject({ messages: 1, deliveryRatio: 1, complete: 1, lost: 0 });
      expect(r.totals.lastNodeMs).toEqual({ count: 1, p50: 20, p99: 20, max: 20 });
      expect(r.totals.deliveryMs).toEqual({ count: 3, p50: 10, p99: 20, max: 20 });
      expect(r.totals.cdf.at(-1)).toEqual([20, 1]);
    },
  },
  {
    name: 'a lost message',
    events: [published('m1', 1), delivered('m1', 1, 0), delivered('m1', 2, 10), published('m2', 1, T0 + 1000), delivered('m2', 1, 5, T0 + 1000), delivered('m2', 2, 7, T0 + 1000), delivered('m2', 3, 9, T0 + 1000)],
    check: (r) => {
      expect(r.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
      expect(r.messages[0]).toMatchObject({ delivered: 2, lost: [3], lastNodeMs: null });
      expect(r.totals).toMatchObject({ expected: 6, delivered: 5, lost: 1, deliveryRatio: 5 / 6, complete: 1 });
      expect(r.totals.lastNodeMs).toMatchObject({ count: 1, max: 9 });
      expect(r.totals.cdf.at(-1)?.[1]).toBeCloseTo(5 / 6);
      expect(formatReport(r)).toMatch(/m1 \(tree, via node 1\): 1\/3 missing: 3/);
    },
  },
  {
    name: 'dead nodes are not expected; a delivery by one is an anomaly',
    options: { live: [1, 2], dead: [3], members: [1, 2, 3] },
    events: [published('m1', 1), delivered('m1', 1, 1), delivered('m1', 2, 2), delivered('m1', 3, 3)],
    check: (r) => {
      expect(r.totals).toMatchObject({ expected: 2, delivered: 2, deliveryRatio: 1 });
      expect(r.anomalies.unexpectedDeliveries).toBe(1);
      expect(r.nodes.find((n) => n.id === 3)).toMatchObject({ status: 'dead', delivered: 1 });
    },
  },
  {
    name: 'byzantine nodes are neither expected nor unexpected; their deliveries are counted apart',
    options: { live: [1, 2], dead: [4], members: [1, 2, 3, 4], byzantine: [3] },
    events: [published('m1', 1), delivered('m1', 1, 1), delivered('m1', 2, 2), delivered('m1', 3, 3), published('m2', 2, T0 + 10), delivered('m2', 2, 1, T0 + 10), delivered('m2', 1, 2, T0 + 10)],
    check: (r) => {
      expect(r.totals).toMatchObject({ messages: 2, expected: 4, delivered: 4, deliveryRatio: 1, complete: 2 });
      expect(r.messages.map((m) => m.lost)).toEqual([[], []]);
      expect(r.anomalies.unexpectedDeliveries).toBe(0);
      expect(r.run.byzantine).toEqual([3]);
      expect(r.byzantine).toEqual({ deliveries: 1, broadcasts: 0 });
      expect(r.nodes.find((n) => n.id === 3)).toMatchObject({ status: 'byzantine', delivered: 1 });
      expect(formatReport(r)).toMatch(/^run: 4 nodes, 2 live, 1 dead, 0 unreliable, 1 byzantine; 2 broadcasts$/m);
      expect(formatReport(r)).toContain('byzantine: nodes 3, owed no delivery: 1 deliveries by them not counted, 0 broadcasts entered at them not judged');
    },
  },
  {
    name: 'a broadcast a byzantine node entered is owed no delivery: not judged, only counted',
    options: { live: [1, 2], dead: [], members: [1, 2, 3], byzantine: [3] },
    events: [published('m1', 3), delivered('m1', 3, 0), delivered('m1', 1, 5), published('m2', 1, T0 + 10), delivered('m2', 1, 1, T0 + 10), delivered('m2', 2, 2, T0 + 10)],
    check: (r) => {
      expect(r.messages.map((m) => m.id)).toEqual(['m2']);
      expect(r.totals).toMatchObject({ messages: 1, expected: 2, delivered: 2, lost: 0 });
      expect(r.byzantine).toEqual({ deliveries: 0, broadcasts: 1 });
      expect(r.anomalies).toEqual({ unknownMessageEvents: 0, unexpectedDeliveries: 0, republished: 0, redelivered: 0 });
    },
  },
  {
    name: 'a run without byzantine nodes says nothing of them',
    events: [published('m1', 1), delivered('m1', 1, 1)],
    check: (r) => {
      expect(r.run.byzantine).toEqual([]);
      expect(r.byzantine).toBeUndefined();
      expect(formatReport(r)).not.toMatch(/byzantine/);
    },
  },
  {
    name: 'duplicates per delivery',
    events: [published('m1', 1), ...[1, 2, 3].map((n) => delivered('m1', n, n)), received('m1', 2, false), received('m1', 2, true), received('m1', 3, false), received('m1', 3, true), received('m1', 3, true)],
    check: (r) => {
      expect(r.messages[0]?.duplicates).toBe(3);
      expect(r.totals.duplicatesPerDelivery).toBe(1);
      expect(r.nodes.map((n) => n.duplicatesReceived)).toEqual([0, 1, 2]);
    },
  },
  {
    name: 'messages and bytes per broadcast per node',
    events: [published('m1', 1), ...[1, 2, 3].map((n) => delivered('m1', n, n)), forwarded('m1', 1, 2, 300), forwarded('m1', 1, 3, 300), forwarded('m1', 2, 3, 300)],
    check: (r) => {
      expect(r.totals).toMatchObject({ forwarded: 3, forwardedBytes: 900, messagesPerBroadcast: 3, messagesPerBroadcastPerNode: 1, bytesPerBroadcastPerNode: 300 });
      expect(r.nodes.map((n) => n.forwarded)).toEqual([2, 1, 0]);
    },
  },
  {
    name: 'mixed strategies group by the published strategy',
    events: [
      published('a', 1, T0, 'tree'),
      published('b', 2, T0 + 10, 'gossip'),
      ...[1, 2, 3].map((n) => delivered('a', n, n * 10)),
      ...[1, 2, 3].map((n) => delivered('b', n, n * 100, T0 + 10)),
      received('b', 3, true),
    ],
    check: (r) => {
      expect(r.strategies.map((g) => g.strategy)).toEqual(['gossip', 'tree']);
      expect(r.strategies[0]).toMatchObject({ messages: 1, duplicates: 1, lastNodeMs: { max: 300 } });
      expect(r.strategies[1]).toMatchObject({ messages: 1, duplicates: 0, lastNodeMs: { max: 30 } });
      expect(r.totals).toMatchObject({ strategy: 'all', messages: 2, lastNodeMs: { count: 2, p50: 30, max: 300 } });
      expect(formatReport(r).split('\n').filter((l) => /^(gossip|tree|all) /.test(l))).toHaveLength(3);
    },
  },
  {
    name: 'order does not matter, and events of unpublished ids are counted apart',
    events: [delivered('m1', 3, 30), delivered('m1', 2, 20), delivered('ghost', 1, 1), delivered('m1', 1, 1), published('m1', 1), delivered('m1', 1, 5)],
    check: (r) => {
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]).toMatchObject({ lastNodeMs: 30, delivered: 3 });
      expect(r.anomalies).toEqual({ unknownMessageEvents: 1, unexpectedDeliveries: 0, republished: 0, redelivered: 1 });
    },
  },
];

describe('analyze', () => {
  it.each(cases)('$name', ({ events, options, check }) => check(analyze(events, options ?? members3)));

  it('counts rejections by every reason', () => {
    // Keyed by every reason: the compiler rejects this table if a reason is added and not tested.
    const counts: Record<RejectReason, number> = { malformed: 1, schema: 2, oversized: 3, 'wrong-network': 4, 'bad-signature': 5, 'unknown-sender': 6, 'not-in-good-standing': 7, replay: 8, 'clock-skew': 9, unauthenticated: 10, equivocation: 11, 'rate-limited': 12, 'bad-receipt': 13 };
    const events = REJECT_REASONS.flatMap((reason) => Array.from({ length: counts[reason] }, (_, i) => rejected(reason, (i % 3) + 1)));
    const r = analyze(events, members3);
    expect(r.rejected).toEqual(counts);
    expect(r.rejectedTotal).toBe(91);
    expect(r.nodes.reduce((a, n) => a + n.rejected, 0)).toBe(91);
    expect(formatReport(r)).toMatch(/bad-signature\s+5/);
  });

  it('finish() can be called again: more events, no double counting', () => {
    const a = createAnalyzer(members3);
    a.add(published('m1', 1));
    a.add(delivered('m1', 1, 1));
    a.add(delivered('ghost', 2, 1));
    expect(a.finish().anomalies.unknownMessageEvents).toBe(1);
    a.add(delivered('m1', 2, 2));
    const r = a.finish();
    expect(r.anomalies.unknownMessageEvents).toBe(1);
    expect(r.nodes.map((n) => n.delivered)).toEqual([1, 1, 0]);
    expect(r).toEqual(a.finish());
  });

  it('reports null, not NaN, when there is nothing to measure', () => {
    const r = analyze([], members3);
    expect(r.totals).toMatchObject({ messages: 0, deliveryRatio: null, duplicatesPerDelivery: null, messagesPerBroadcastPerNode: null, lastNodeMs: { count: 0, p50: null } });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(formatReport(r)).toContain('lost: none');
  });
});

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    { name: 'no samples', samples: [], p: 50, want: null },
    { name: '1 sample, p50', samples: [7], p: 50, want: 7 },
    { name: '1 sample, p99', samples: [7], p: 99, want: 7 },
    { name: '1 sample, p0', samples: [7], p: 0, want: 7 },
    { name: '2 samples, p50 is the lower', samples: [1, 2], p: 50, want: 1 },
    { name: '2 samples, p51 is the upper', samples: [1, 2], p: 51, want: 2 },
    { name: '100 samples, p50', samples: hundred, p: 50, want: 50 },
    { name: '100 samples, p99', samples: hundred, p: 99, want: 99 },
    { name: '100 samples, p100', samples: hundred, p: 100, want: 100 },
    { name: '101 samples, p99', samples: [...hundred, 101], p: 99, want: 100 },
  ])('$name', ({ samples, p, want }) => expect(percentile(samples, p)).toBe(want));

  it('summarize sorts numerically, not as strings', () => {
    expect(summarize([100, 9, 20, 3])).toEqual({ count: 4, p50: 9, p99: 100, max: 100 });
  });
  it('rejects p outside [0, 100]', () => expect(() => percentile([1], 101)).toThrow(RangeError));

  it('downsamples the CDF and ends it at the delivery ratio', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i);
    const points = cdf(sorted, 1250);
    expect(points.length).toBeLessThanOrEqual(CDF_POINTS + 1);
    expect(points.at(-1)).toEqual([999, 0.8]);
    expect(cdf(sorted.slice(0, 3), 3)).toEqual([[0, 1 / 3], [1, 2 / 3], [2, 1]]);
    expect(cdf([], 10)).toEqual([]);
  });
});

describe('files', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const ndjson = (events: NodeEvent[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

  async function stateDir(): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'spinoza-checker-'));
    await mkdir(join(dir, 'events'));
    await writeFile(join(dir, 'run.json'), JSON.stringify({ runId: 'r1', backend: 'process', live: [1, 2, 3], dead: [4], unreliable: [3], extra: 'ignored' }));
    await writeFile(join(dir, 'genesis.json'), JSON.stringify({ network: 'n', epoch: 0, neighborhoodSize: 15, nodes: [1, 2, 3, 4].map((id) => ({ id })), initiators: [] }));
    await writeFile(join(dir, 'events', 'node-1.ndjson'), ndjson([published('m1', 1), delivered('m1', 1, 1), forwarded('m1', 1, 2)]) + '{"ev":"delivered",\n\n{"ev":"delivered","t":1,"node":"x"}\n' + ndjson([rejected('replay')]));
    await writeFile(join(dir, 'events', 'node-2.ndjson'), ndjson([received('m1', 2, false), delivered('m1', 2, 4)]));
    return dir;
  }

  it('counts and samples malformed lines without stopping', async () => {
    const d = await stateDir();
    const seen: NodeEvent[] = [];
    const input = await loadEvents(join(d, 'events'), (e) => seen.push(e), [1, 2, 3]);
    expect(seen).toHaveLength(6);
    expect(input).toMatchObject({ files: 2, lines: 8, events: 6, malformed: 2, missingFiles: [3] });
    expect(input.malformedSamples.map((s) => s.line)).toEqual([4, 6]);
    expect(input.malformedSamples[0]?.error).toMatch(/^not JSON/);
    expect(input.malformedSamples[1]?.error).toMatch(/^not a node event/);
  });

  it('reads a missing events dir as no input', async () => {
    const input = await loadEvents(join(tmpdir(), 'spinoza-checker-no-such-dir'), () => {}, [1]);
    expect(input).toMatchObject({ files: 0, events: 0, missingFiles: [1] });
  });

  it('checkRun judges against run.json and genesis.json', async () => {
    const r = await checkRun(await stateDir());
    expect(r.run).toEqual({ runId: 'r1', backend: 'process', members: 4, live: [1, 2, 3], dead: [4], unreliable: [3], byzantine: [] });
    expect(r.messages[0]).toMatchObject({ delivered: 2, lost: [3] });
    expect(r.rejected.replay).toBe(1);
    expect(r.input?.malformed).toBe(2);
    expect(formatReport(r)).toContain('2 malformed lines');
  });

  it('after a join, judges against directory.json and run.json: joined nodes live, byzantine ones apart', async () => {
    const d = await stateDir();
    // Node 5 byzantine; node 6 joined (admitted: live, listed in the verified directory, not in genesis).
    await writeFile(join(d, 'run.json'), JSON.stringify({
      runId: 'r1', backend: 'process', live: [1, 2, 3, 6], dead: [4], unreliable: [3], byzantine: [{ id: 5, kind: 'corrupt' }], joiners: [{ k: 0, host: 'h', port: 1, id: 6 }],
    }));
    await writeFile(join(d, 'directory.json'), JSON.stringify({ network: 'n', epoch: 3, nodes: [1, 2, 3, 4, 5, 6].map((id) => ({ id })) }));
    await writeFile(join(d, 'events', 'node-5.ndjson'), ndjson([delivered('m1', 5, 3)]));
    await writeFile(join(d, 'events', 'node-6.ndjson'), ndjson([delivered('m1', 6, 6)]));
    const r = await checkRun(d);
    expect(r.run).toEqual({ runId: 'r1', backend: 'process', members: 6, live: [1, 2, 3, 6], dead: [4], unreliable: [3], byzantine: [5] });
    expect(r.messages[0]).toMatchObject({ expected: 4, delivered: 3, lost: [3] });
    expect(r.nodes.map((n) => [n.id, n.status])).toEqual([[1, 'live'], [2, 'live'], [3, 'live'], [4, 'dead'], [5, 'byzantine'], [6, 'live']]);
    expect(r.anomalies.unexpectedDeliveries).toBe(0);
    expect(r.byzantine).toEqual({ deliveries: 1, broadcasts: 0 });
    expect(formatReport(r)).toMatch(/^run r1 \(process\): 6 nodes, 4 live, 1 dead, 1 unreliable, 1 byzantine; 1 broadcasts$/m);
  });

  it('says which field is wrong when directory.json is invalid, and never falls back to genesis then', async () => {
    const d = await stateDir();
    await writeFile(join(d, 'directory.json'), JSON.stringify({ nodes: [] }));
    await expect(checkRun(d)).rejects.toMatchObject({ code: 'DIRECTORY_INVALID', message: expect.stringContaining('directory.json is not a valid directory file (nodes:') });
  });

  it('says what is missing when genesis.json is absent and no join wrote directory.json', async () => {
    const d = await stateDir();
    await rm(join(d, 'genesis.json'));
    await expect(checkRun(d)).rejects.toMatchObject({ code: 'GENESIS_MISSING' });
  });

  it('says what is missing when run.json is absent', async () => {
    const d = await stateDir();
    await rm(join(d, 'run.json'));
    const err = await checkRun(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckerError);
    expect(err).toMatchObject({ code: 'RUN_MISSING' });
  });

  it('says which field is wrong when run.json is invalid', async () => {
    const d = await stateDir();
    await writeFile(join(d, 'run.json'), JSON.stringify({ runId: 'r1', backend: 'process', live: 'all', dead: [] }));
    await expect(checkRun(d)).rejects.toMatchObject({ code: 'RUN_INVALID', message: expect.stringContaining('live') });
  });

  it('writeReport writes JSON that round-trips and a self-contained HTML page with plots', async () => {
    const d = await stateDir();
    const report = { ...(await checkRun(d)), faults: [{ start: T0, end: T0 + 500, label: 'kill node 3 <script>' }] };
    const paths = await writeReport(d, report);
    expect(JSON.parse(await readFile(paths.json, 'utf8'))).toEqual(report);
    const html = await readFile(paths.html, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('Delivery CDF');
    expect(html).toContain('class="band"');
    expect(html).toContain('kill node 3 &#60;script&#62;');
    // Self-contained: no scripts, stylesheets or images fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/);
    expect(html.match(/<svg /g)?.length).toBe(html.match(/<\/svg>/g)?.length);
  });
});
