// Membership on containers (docs/membership.md), through the orchestrator API on the docker backend:
// 14 node containers with membership on and one corrupt node. Three containers killed (the chaos
// fault target) are certified DOWN on every live node, and UP again once started; the corrupt node
// is suspended (UNRELIABLE); `join` adds two containers by quorum; a broadcast then reaches every
// member in good standing; `down` leaves no container or network of the run.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, verifyProof, type DirectoryData } from '../../node/index.js';
import { Proof } from '../../node/wire/schemas.js';
import { LABEL_RUN } from '../../orchestrator/backends/docker/engine.js';
import { waitHealthy } from '../../orchestrator/health.js';
import { joinNodes, type JoinResult } from '../../orchestrator/join.js';
import { backendRun } from '../../orchestrator/run.js';
import { broadcast, connectRunClient, down, openRun, resolveManifest, sendBroadcast, up, type UpResult } from '../../orchestrator/index.js';
import { docker, tearDownRun, testBackend } from './support.js';

const NODES = 14;
const JOINERS = 2;
const MANIFEST = {
  nodes: NODES,
  seed: 'docker-membership',
  backend: 'docker',
  // Two neighbourhoods of 7: when the lead rotates to the corrupt node, its 6 neighbours (>= f + 1 = 5)
  // all receive an altered relay at once.
  neighborhoodSize: 7,
  params: {
    membership: true, probePeriodMs: 200, probeTimeoutMs: 100, suspicionMs: 600, proposalTimeoutMs: 1500,
    ackTimeoutMs: 300, maxRetries: 2, antiEntropyIntervalMs: 200, repairGraceMs: 300, repairBucketMs: 200, proofTimeoutMs: 3000,
  },
  faults: { byzantine: { corrupt: 1 } },
};

type Served = DirectoryData & { hash: string };

/** `k` ids spread evenly over `ids`. */
const spread = (ids: readonly number[], k: number): number[] =>
  Array.from({ length: k }, (_, i) => ids[Math.floor((i * ids.length) / k)]!);

describe(`membership on ${NODES} node containers: DOWN, UP, suspension, join`, () => {
  let home: string;
  let run: UpResult | undefined;
  let corrupt: number;
  let killed: number[];
  let joined: JoinResult;
  const backend = testBackend();
  const addresses = new Map<number, { host: string; port: number }>();
  const directoryOf = async (id: number): Promise<Served> => {
    const a = addresses.get(id)!;
    return (await fetch(`http://${a.host}:${a.port}/directory`, { signal: AbortSignal.timeout(2_000) })).json() as Promise<Served>;
  };
  /** Node `of`'s status as each of `at` lists it. */
  const statusesOf = async (at: readonly number[], of: number): Promise<(string | undefined)[]> =>
    (await Promise.all(at.map(directoryOf))).map((d) => d.nodes.find((n) => n.id === of)?.status);
  const honest = (): number[] => run!.live;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-docker-membership-'));
    run = await up({ home, backend, manifest: resolveManifest(MANIFEST) });
    for (const n of run.nodes) addresses.set(n.id, n);
    corrupt = run.byzantine[0]!.id;
    // Not the client's entry nodes (the first live ones), spread over the ring.
    killed = [honest()[4]!, honest()[8]!, honest()[12]!];
  });

  afterAll(() => tearDownRun(home, run?.runId, 2_000));

  it('starts the corrupt node with its behaviour, outside the live set', () => {
    expect(run!.byzantine).toEqual([{ id: corrupt, kind: 'corrupt' }]);
    expect(honest()).toHaveLength(NODES - 1);
  });

  it('three killed containers are certified DOWN on every live node', async () => {
    const faults = backend.faults!(backendRun(await openRun(home)));
    const t0 = Date.now();
    for (const id of killed) await faults.kill(id);
    const alive = honest().filter((id) => !killed.includes(id));
    for (const id of killed) {
      await expect.poll(() => statusesOf(alive, id), { timeout: 30_000, interval: 200 }).toEqual(alive.map(() => 'DOWN'));
    }
    console.info(`docker-membership: 3 killed containers DOWN everywhere after ${Date.now() - t0} ms`);
  });

  it('started again, they are certified UP again on every node', async () => {
    const faults = backend.faults!(backendRun(await openRun(home)));
    const t0 = Date.now();
    for (const id of killed) await faults.start(id);
    await waitHealthy(killed.map((id) => ({ id, ...addresses.get(id)! })), { timeoutMs: 30_000 });
    for (const id of killed) {
      await expect.poll(() => statusesOf(honest(), id), { timeout: 30_000, interval: 200 }).toEqual(honest().map(() => 'UP'));
    }
    console.info(`docker-membership: restarted containers UP everywhere after ${Date.now() - t0} ms`);
  });

  it('the corrupt node is suspended (UNRELIABLE) on every honest node, and no one else', async () => {
    // Client broadcasts through honest nodes all over the ring: the root neighbourhood is the entry's
    // (led by it), so the corrupt node leads its own only for messages entering elsewhere.
    const open = await openRun(home);
    const clients = await Promise.all(spread(honest(), 4).map((via) => connectRunClient(open, via)));
    const sent: Promise<unknown>[] = [];
    const t0 = Date.now();
    let n = 0;
    try {
      while ((await statusesOf(honest(), corrupt)).some((s) => s !== 'UNRELIABLE')) {
        expect(Date.now() - t0, 'corrupt node UNRELIABLE everywhere within 60 s').toBeLessThan(60_000);
        sent.push(sendBroadcast(open, clients[n++ % clients.length]!, `workload ${n}`, { timeoutMs: 10_000 }).catch(() => undefined));
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(sent);
    } finally {
      await Promise.all(clients.map((c) => c.client.close()));
    }
    console.info(`docker-membership: corrupt node ${corrupt} suspended everywhere after ${Date.now() - t0} ms, ${n} broadcasts`);
    for (const d of await Promise.all(honest().map(directoryOf))) {
      for (const e of d.nodes) expect(e.status, `node ${e.id}`).toBe(e.id === corrupt ? 'UNRELIABLE' : 'UP');
    }
  });

  it(`join adds ${JOINERS} containers by quorum; every node comes to list them`, async () => {
    const t0 = Date.now();
    joined = await joinNodes({ home, count: JOINERS, backend });
    console.info(`docker-membership: ${JOINERS} containers admitted in ${Date.now() - t0} ms as ${joined.joined.map((j) => j.id).join(', ')}`);
    expect(joined.joined.map((j) => j.id).sort((a, b) => a - b)).toEqual([NODES + 1, NODES + 2]);
    expect(joined).toMatchObject({ nodes: NODES + JOINERS, members: NODES + JOINERS - 1 });
    for (const j of joined.joined) addresses.set(j.id, j);
    const everyone = [...honest(), ...joined.joined.map((j) => j.id)];
    await expect.poll(async () => new Set((await Promise.all(everyone.map(directoryOf))).map((d) => d.hash)).size, { timeout: 15_000 }).toBe(1);
    const d = await directoryOf(NODES + 1);
    expect(d.epoch).toBe(joined.epoch);
    expect(d.nodes.filter((e) => e.id > NODES).map((e) => e.status)).toEqual(['UP', 'UP']);
    const containers = await docker.listContainers({ filters: { label: [`${LABEL_RUN}=${run!.runId}`] } });
    expect(containers).toHaveLength(NODES + JOINERS);
  });

  it('a broadcast reaches every member in good standing, the joined containers included', async () => {
    const members = new Directory(await directoryOf(honest()[0]!)).members;
    expect(members).toHaveLength(NODES + JOINERS - 1);
    const r = await broadcast({ home, text: 'after the join' });
    expect(r.proofValid, r.problems.join('; ')).toBe(true);
    expect(r).toMatchObject({ expected: members.length, delivered: members.length, missing: [] });
    const proof = Proof.parse(await (await fetch(`http://${addresses.get(r.via)!.host}:7000/broadcasts/${r.id}`)).json());
    const check = verifyProof(proof, new Directory(await directoryOf(r.via)));
    expect(check.problems).toEqual([]);
    expect(members.filter((id) => !check.delivered.includes(id))).toEqual([]);
  });

  it('down removes every container and the network of the run, joined ones included', async () => {
    const r = await down({ home, graceMs: 2_000 });
    expect(r.stopped).toEqual([...honest(), corrupt, ...joined.joined.map((j) => j.id)].sort((a, b) => a - b));
    const filters = { label: [`${LABEL_RUN}=${run!.runId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
  });
});
