// Acceptance (issue 4), on containers: a seeded chaos session on 24 node containers (docker backend,
// through the orchestrator API, in a temporary state dir with a run of its own): 10% of the nodes
// killed (`docker kill`) and started again (the same container), 1% loss and one partition that heals
// (both through the nodes' userspace impairment, PUT /control/impairment at each container's IP),
// under a broadcast every 200 ms. After the heal every node alive at the end holds every accepted
// broadcast, and the checker finds no protocol failure. The process-backend twin is
// test/local/chaos.test.ts; this file mirrors its main case.
//
// Protocol timers are shortened through the manifest's `params`, as there: anti-entropy every 300 ms
// over 500 ms buckets with a 500 ms grace, acks after 300 ms, proofs after 3 s.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredIds, expectAcceptance } from '../shared/chaos-acceptance.js';
import { containerName } from '../../orchestrator/backends/docker/containers.js';
import { formatProgress } from '../../orchestrator/chaos/format.js';
import { chaos, openRun, planChaos, resolveManifest, up, type ChaosResult, type UpResult } from '../../orchestrator/index.js';
import { docker, tearDownRun, testBackend } from './support.js';

const N = 24;
const SEED = 'chaos-acceptance';
const PARAMS = { antiEntropyIntervalMs: 300, repairBucketMs: 500, repairGraceMs: 500, ackTimeoutMs: 300, proofTimeoutMs: 3_000 };


/** When the engine last started a node's container (a `start` after a kill changes it). */
const startedAt = async (runId: string, id: number): Promise<string> =>
  (await docker.getContainer(containerName(runId, id)).inspect()).State.StartedAt;

describe(`chaos on ${N} node containers`, () => {
  let home: string;
  let run: UpResult | undefined;
  let result: ChaosResult;
  const backend = testBackend();
  const progress: string[] = [];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-docker-chaos-'));
    run = await up({ home, backend, manifest: resolveManifest({ nodes: N, seed: SEED, backend: 'docker', params: PARAMS }) });
  });

  afterAll(() => tearDownRun(home, run?.runId, 2_000));

  it('kills and restarts containers, partitions and loses frames; every live node ends with every accepted broadcast; no protocol failure', async () => {
    const before = await openRun(home);
    const t0 = Date.now();
    const started = new Map<number, string>();
    for (const id of before.record.live) started.set(id, await startedAt(before.layout.runId, id));

    result = await chaos({
      home, backend, durationMs: 20_000, profile: 'default', settleMs: 45_000, progressEveryMs: 5_000,
      onProgress: (p) => progress.push(formatProgress(p)),
    });
    const wallMs = Date.now() - t0;
    const faultLine = (f: ChaosResult['faults'][number]): string =>
      `${f.id} ${f.kind} [${f.nodes.length > 8 ? `${f.nodes.length} nodes` : f.nodes.join(',')}] planned ${f.planned.at}-${f.planned.until} ms, in effect ${f.end === null ? 'open' : f.end - f.start} ms`;
    // The measured record of this run, kept in the test log.
    console.log([...progress, ...result.faults.map(faultLine), `workload ${JSON.stringify(result.workload)}`,
      `settled in ${result.settle.ms} ms`, `misses ${JSON.stringify(result.report.totals.misses)}`,
      `lastNodeMs ${JSON.stringify(result.report.totals.lastNodeMs)}`, `session wall ${wallMs} ms`,
      `problems ${JSON.stringify(result.problems)}`].join('\n'));

    const kinds = result.faults.map((f) => f.kind).sort();
    expect(kinds).toEqual(['kill', 'kill', 'kill', 'loss', 'partition']); // 10% of 24 rounded up, 1% loss, one partition
    expect(result.faults.find((f) => f.kind === 'loss')).toMatchObject({ loss: 0.01, nodes: before.record.live, by: 'userspace' });
    expect(result.faults.find((f) => f.kind === 'partition')).toMatchObject({ by: 'userspace' });
    for (const f of result.faults) {
      expect(f.end, f.id).not.toBeNull();
      expect(f.error, f.id).toBeUndefined();
      if (f.kind === 'kill') expect(f.by, f.id).toBe('docker');
      if (f.kind !== 'loss') expect(f.nodes).not.toContain(result.via); // background loss is the network's: the entry suffers it too
      if (f.kind !== 'loss') expect(f.end! - f.start).toBeGreaterThanOrEqual(f.planned.until - f.planned.at - 50);
    }
    // Every killed node was started again, in the same container (a new start time), and runs now.
    const after = await openRun(home);
    const running = await backend.running(after);
    for (const f of result.faults.filter((x) => x.kind === 'kill')) {
      const id = f.nodes[0]!;
      expect(await startedAt(after.layout.runId, id), `node ${id}`).not.toBe(started.get(id));
      expect(running.get(id), `node ${id}`).toBe(true);
    }
    expect(after.record.live.every((id) => running.get(id) === true)).toBe(true);

    await expectAcceptance(result, after);
  });

  it('the same seed and manifest replay the same schedule', async () => {
    expect(result, 'the chaos session above ran').toBeDefined();
    const again = await planChaos({ home, seed: result.schedule.seed, durationMs: result.schedule.durationMs, profile: 'default' });
    expect(again.schedule).toEqual(result.schedule);
    const chaosFile = JSON.parse(await readFile(join(result.runDir, 'chaos.json'), 'utf8')) as { schedule: unknown };
    expect(chaosFile.schedule).toEqual(result.schedule);
  });
});
