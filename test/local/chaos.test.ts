// Acceptance (issue 4): a seeded chaos session on 24 real node processes (process backend, through the
// orchestrator API, in a temporary state dir on a port range of its own): 10% of the nodes killed and
// restarted, 1% loss, one partition that heals, under a broadcast every 200 ms. After the heal every
// node alive at the end holds every accepted broadcast, and the checker finds no protocol failure.
//
// The protocol timers are shortened through the manifest's `params` to keep the test fast (well under
// 90 s): anti-entropy every 300 ms over 500 ms buckets with a 500 ms grace, acks after 300 ms, proofs
// after 3 s. The defaults (1 s, 5 s, 2 s, 1 s, 10 s) only make repair slower, not different.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredIds, expectAcceptance } from '../shared/chaos-acceptance.js';
import { readFaultLog } from '../../orchestrator/chaos/fault-log.js';
import { formatProgress } from '../../orchestrator/chaos/format.js';
import { chaos, down, openRun, planChaos, resolveManifest, up, type ChaosResult } from '../../orchestrator/index.js';
import { isPortFree } from '../../orchestrator/ports.js';

const N = 24;
const SEED = 'chaos-acceptance';
/** Pauses, one-way partitions and loss bursts too, short enough for a 12 s session. */
const ROUGH = {
  kill: 0.05, pause: 0.1, maxDown: 0.15, downMs: [1000, 2500], partitions: 2, asymmetric: 1, partitionMs: [1500, 3000],
  loss: 0.01, lossBursts: 1, burstMs: [500, 1500],
};
const PARAMS = { antiEntropyIntervalMs: 300, repairBucketMs: 500, repairGraceMs: 500, ackTimeoutMs: 300, proofTimeoutMs: 3_000 };

/** N free ports in a row, in a range no other suite uses (cli.test: 17000s, bench: 27100). */
async function freeBasePort(): Promise<number> {
  for (let base = 19_000 + (process.pid % 30) * 30; base < 20_000; base += 30) {
    const ports = Array.from({ length: N }, (_, i) => base + i);
    if ((await Promise.all(ports.map((p) => isPortFree('127.0.0.1', p)))).every(Boolean)) return base;
  }
  throw new Error('no free port range in 19000-19999');
}


describe(`chaos on ${N} node processes`, () => {
  let home: string;
  let result: ChaosResult;
  const progress: string[] = [];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-chaos-'));
    const manifest = resolveManifest({ nodes: N, seed: SEED, basePort: await freeBasePort(), params: PARAMS, chaos: { profiles: { rough: ROUGH } } });
    await up({ home, manifest });
  });
  afterAll(async () => {
    if (home) {
      await down({ home, graceMs: 2_000 }).catch(() => {});
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses nonsense before anything changes', async () => {
    const run = await openRun(home);
    await expect(chaos({ home, durationMs: 20_000, profile: 'default', via: 99 })).rejects.toMatchObject({ code: 'unknown-node' });
    await expect(chaos({ home, durationMs: 1_000, profile: 'default' })).rejects.toMatchObject({ code: 'chaos-invalid', message: expect.stringMatching(/downMs/) });
    await expect(chaos({ home, durationMs: 20_000, profile: 'nope' })).rejects.toMatchObject({ code: 'chaos-invalid', hint: expect.stringMatching(/known profiles: .*default/) });
    expect((await readFaultLog(join(run.layout.dir, 'faults.ndjson'))).records).toEqual([]);
  });

  it('kills, partitions and loses frames; every live node ends with every accepted broadcast; no protocol failure', async () => {
    const before = await openRun(home);
    result = await chaos({ home, durationMs: 20_000, profile: 'default', settleMs: 30_000, progressEveryMs: 5_000, onProgress: (p) => progress.push(formatProgress(p)) });
    // The measured record of this run, kept in the test log.
    console.log([...progress, `workload ${JSON.stringify(result.workload)}`, `settled in ${result.settle.ms} ms`,
      `misses ${JSON.stringify(result.report.totals.misses)}`, `lastNodeMs ${JSON.stringify(result.report.totals.lastNodeMs)}`].join('\n'));

    const kinds = result.faults.map((f) => f.kind).sort();
    expect(kinds).toEqual(['kill', 'kill', 'kill', 'loss', 'partition']); // 10% of 24 rounded up, 1% loss, one partition
    expect(result.faults.find((f) => f.kind === 'loss')).toMatchObject({ loss: 0.01, nodes: before.record.live });
    for (const f of result.faults) {
      expect(f.end, f.id).not.toBeNull();
      if (f.kind !== 'loss') expect(f.nodes).not.toContain(result.via); // background loss is the network's: the entry suffers it too
      if (f.kind !== 'loss') expect(f.end! - f.start).toBeGreaterThanOrEqual(f.planned.until - f.planned.at - 50);
    }
    // Every killed node was started again: a new pid in run.json.
    const after = await openRun(home);
    const pid = (r: typeof after, id: number): number | undefined => r.record.processes.find((p) => p.id === id)?.pid;
    for (const f of result.faults.filter((x) => x.kind === 'kill')) expect(pid(after, f.nodes[0]!)).not.toBe(pid(before, f.nodes[0]!));

    await expectAcceptance(result, after);
  });

  it('the same seed and manifest replay the same schedule', async () => {
    const again = await planChaos({ home, seed: result.schedule.seed, durationMs: result.schedule.durationMs, profile: 'default' });
    expect(again.schedule).toEqual(result.schedule);
    const chaosFile = JSON.parse(await readFile(join(result.runDir, 'chaos.json'), 'utf8')) as { schedule: unknown };
    expect(chaosFile.schedule).toEqual(result.schedule);
  });

  it('pauses, one-way partitions and loss bursts heal too, with nothing lost', async () => {
    const r = await chaos({ home, durationMs: 12_000, profile: 'rough', seed: 'rough-1', settleMs: 30_000 });
    const kinds = r.faults.map((f) => (f.kind === 'partition' ? `${f.kind}/${f.mode}` : f.kind)).sort();
    console.log(`rough: ${kinds.join(' ')}; accepted ${r.workload.accepted}; settled in ${r.settle.ms} ms; misses ${JSON.stringify(r.report.totals.misses)}`);
    expect(kinds.filter((k) => k === 'pause')).toHaveLength(3);
    expect(kinds.filter((k) => k.startsWith('partition/')).every((k) => k !== 'partition/symmetric')).toBe(true);
    expect(r.faults.every((f) => f.end !== null)).toBe(true);
    expect(r.settle.ok).toBe(true);
    expect(r.report.totals.misses.protocolFailure).toBe(0);
    expect(r.ok).toBe(true);
  });
});
