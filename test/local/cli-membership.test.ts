// Membership through the CLI on the process backend (docs/membership.md): a 16-node run with one
// corrupt and one flooding node, both suspended (UNRELIABLE) by their peers; `spinoza join --count 3`
// adds three nodes by quorum; CLI broadcasts then reach every member in good standing with a proof
// that verifies; `spinoza down` leaves no process, joined ones included.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Directory, verifyProof, type DirectoryData } from '../../node/index.js';
import { Proof } from '../../node/wire/schemas.js';
import { readFileSync } from 'node:fs';
import { findByArgPrefix } from '../../orchestrator/backends/pids.js';
import { connectRunClient, openRun, sendBroadcast, type RunBroadcastResult } from '../../orchestrator/index.js';
import { isPortFree } from '../../orchestrator/ports.js';

const CLI = resolve('dist/orchestrator/cli.js');
const NODES = 16;
const JOINERS = 3;

const MANIFEST = {
  nodes: NODES,
  seed: 'cli-membership',
  // Neighbourhoods of 8: the corrupt node then leads one of 7-8 members whenever the message id
  // rotates the lead to it, enough accusers (f + 1 = 6) at once. With one neighbourhood of 15 it
  // would only ever forward as an entry node.
  neighborhoodSize: 8,
  params: {
    membership: true, probePeriodMs: 200, probeTimeoutMs: 100, suspicionMs: 600, proposalTimeoutMs: 1500,
    ackTimeoutMs: 300, maxRetries: 2, antiEntropyIntervalMs: 200, repairGraceMs: 300, repairBucketMs: 200,
    // The flood is caught within a second; a proof waits at most 3 s for a subtree a corrupt leader cut off.
    originRatePerSec: 1, originBurst: 3, proofTimeoutMs: 3000,
  },
  faults: { byzantine: { corrupt: 1, flood: 1 } },
};

interface CliResult { code: number; stdout: string; stderr: string }

function spinoza(home: string, ...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args, '--state-dir', home], { timeout: 90_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Running, and not a zombie (a zombie holds no port). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A base port with room for the run and its joiners (they take the next free ports above it). */
async function freeBasePort(): Promise<number> {
  for (let base = 18_000 + (process.pid % 40) * 25; base < 19_000; base += 25) {
    const ports = Array.from({ length: NODES + JOINERS + 2 }, (_, i) => base + i);
    if ((await Promise.all(ports.map((p) => isPortFree('127.0.0.1', p)))).every(Boolean)) return base;
  }
  throw new Error('no free port range in 18000-18999');
}

describe('membership through the CLI: byzantine nodes suspended, 3 nodes join, broadcasts reach every member', () => {
  let home: string;
  let runDir: string;
  let byzantine: { id: number; kind: string }[];
  let honest: number[];
  let addresses: Map<number, string>;
  const directoryOf = async (id: number): Promise<DirectoryData & { hash: string }> =>
    (await fetch(`http://${addresses.get(id)}/directory`, { signal: AbortSignal.timeout(2_000) })).json() as Promise<DirectoryData & { hash: string }>;
  const statuses = async (ids: readonly number[]): Promise<DirectoryData[]> => Promise.all(ids.map(directoryOf));

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-cli-membership-'));
    const file = join(home, 'manifest.yaml');
    await writeFile(file, stringify({ ...MANIFEST, basePort: await freeBasePort() }));
    const up = await spinoza(home, 'up', '--manifest', file, '--json');
    expect(up.stderr).not.toMatch(/^error/m);
    expect(up.code).toBe(0);
    const r = JSON.parse(up.stdout) as { runDir: string; live: number[]; byzantine: { id: number; kind: string }[]; nodes: { id: number; host: string; port: number }[] };
    runDir = r.runDir;
    byzantine = r.byzantine;
    honest = r.live;
    addresses = new Map(r.nodes.map((n) => [n.id, `${n.host}:${n.port}`]));
  });

  afterAll(async () => {
    await spinoza(home, 'down'); // only matters when a test failed half-way
    await rm(home, { recursive: true, force: true });
  });

  it('starts each byzantine node with its behaviour, outside the live set; `status` shows them as such', async () => {
    expect(byzantine.map((b) => b.kind).sort()).toEqual(['corrupt', 'flood']);
    expect(honest).toHaveLength(NODES - 2);
    expect(byzantine.some((b) => honest.includes(b.id))).toBe(false);
    const st = JSON.parse((await spinoza(home, 'status', '--json')).stdout) as { live: number; nodes: { id: number; role: string; behaviour?: string; health: string }[] };
    expect(st.live).toBe(NODES - 2);
    for (const b of byzantine) expect(st.nodes.find((n) => n.id === b.id)).toMatchObject({ role: 'byzantine', behaviour: b.kind, health: 'ok' });
    expect(st.nodes.filter((n) => n.role === 'live').map((n) => n.id)).toEqual(honest);
  });

  it('suspends both byzantine nodes on every honest node, and no one else', async () => {
    // A client workload through honest nodes all over the ring: relays for the corrupt node to alter.
    // The root neighbourhood is the entry's (led by it), so the corrupt node leads its own only for
    // messages entering elsewhere.
    const run = await openRun(home);
    const clients = await Promise.all([0, 1, 2, 3].map((i) => honest[Math.floor((i * honest.length) / 4)]!).map((via) => connectRunClient(run, via)));
    const sent: Promise<RunBroadcastResult | undefined>[] = [];
    const started = Date.now();
    let n = 0;
    const suspended = async (): Promise<boolean> => (await statuses(honest)).every((d) =>
      byzantine.every((b) => d.nodes.find((e) => e.id === b.id)?.status === 'UNRELIABLE'));
    try {
      while (!(await suspended())) {
        expect(Date.now() - started, 'byzantine nodes UNRELIABLE everywhere within 30 s').toBeLessThan(30_000);
        const rc = clients[n++ % clients.length]!;
        sent.push(sendBroadcast(run, rc, `workload ${n}`, { timeoutMs: 10_000 }).catch(() => undefined));
        await new Promise((r) => setTimeout(r, 100));
      }
      console.info(`cli-membership: both byzantine nodes suspended after ${Date.now() - started} ms, ${n} broadcasts`);
      await Promise.all(sent);
    } finally {
      await Promise.all(clients.map((c) => c.client.close()));
    }
    for (const d of await statuses(honest)) {
      for (const e of d.nodes) expect(e.status, `node ${e.id}`).toBe(byzantine.some((b) => b.id === e.id) ? 'UNRELIABLE' : 'UP');
    }
  });

  it('`join --count 3` admits 3 new nodes by quorum; every node comes to list 19, at epoch 5', async () => {
    const res = await spinoza(home, 'join', '--count', String(JOINERS), '--json');
    expect(res.stderr).not.toMatch(/^error/m);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/join: admitted 3\/3/);
    const r = JSON.parse(res.stdout) as { joined: { id: number; host: string; port: number; epoch: number }[]; epoch: number; nodes: number; members: number };
    // Two suspensions (epochs 1, 2), then one registration each: ids after the largest listed.
    expect(r.joined.map((j) => j.id).sort((a, b) => a - b)).toEqual([17, 18, 19]);
    expect(r.joined.map((j) => j.epoch)).toEqual([3, 4, 5]);
    expect(r).toMatchObject({ epoch: 5, nodes: NODES + JOINERS, members: NODES + JOINERS - 2 });
    for (const j of r.joined) addresses.set(j.id, `${j.host}:${j.port}`);

    const everyone = [...honest, ...r.joined.map((j) => j.id)];
    await expect.poll(async () => new Set((await Promise.all(everyone.map(directoryOf))).map((d) => d.hash)).size, { timeout: 10_000 }).toBe(1);
    const d = await directoryOf(17);
    expect(d.epoch).toBe(5);
    expect(d.nodes).toHaveLength(NODES + JOINERS);
    expect(d.nodes.filter((e) => e.status === 'UNRELIABLE').map((e) => e.id).sort()).toEqual(byzantine.map((b) => b.id).sort());
    expect(d.nodes.filter((e) => e.id > NODES).map((e) => [e.id, e.status])).toEqual([[17, 'UP'], [18, 'UP'], [19, 'UP']]);

    // The run knows them: live, with a pid and an event log, and `logs` shows their output.
    const st = JSON.parse((await spinoza(home, 'status', '--json')).stdout) as { nodes: { id: number; health: string; pid: number | null }[] };
    for (const id of [17, 18, 19]) expect(st.nodes.find((n) => n.id === id)).toMatchObject({ health: 'ok', pid: expect.any(Number) });
    expect((await spinoza(home, 'logs', '18')).stdout).toMatch(/admitted as node 18/);
  });

  it('CLI broadcasts reach every member in good standing (joined ones too), with proofs that verify', async () => {
    const members = new Directory(await directoryOf(1)).members;
    expect(members).toHaveLength(NODES + JOINERS - 2);
    for (const via of [honest[0]!, 18]) {
      const res = await spinoza(home, 'broadcast', `after the joins, via ${via}`, '--via', String(via), '--json');
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const r = JSON.parse(res.stdout) as { id: string; expected: number; delivered: number; missing: number[]; proofValid: boolean };
      expect(r).toMatchObject({ expected: members.length, delivered: members.length, missing: [], proofValid: true });
      // Again, from the stored proof, against the directory the nodes serve (not the CLI's).
      const vf = await spinoza(home, 'verify', r.id, '--json');
      expect(vf.code).toBe(0);
      const proof = Proof.parse(await (await fetch(`http://${addresses.get(via)}/broadcasts/${r.id}`)).json());
      const check = verifyProof(proof, new Directory(await directoryOf(via)));
      expect(check.problems).toEqual([]);
      // Suspended nodes may hold a receipt too (anti-entropy still repairs them), but every member must.
      expect(members.filter((id) => !check.delivered.includes(id))).toEqual([]);
    }
  });

  it('`report` judges against the directory after the joins: joined nodes live, byzantine ones owed nothing', async () => {
    const res = await spinoza(home, 'report', '--json');
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout) as { run: { members: number; live: number[]; byzantine: number[] }; nodes: { id: number; status: string }[]; anomalies: { unexpectedDeliveries: number } };
    expect(r.run.members).toBe(NODES + JOINERS);
    expect(r.run.live).toEqual([...honest, 17, 18, 19]);
    expect(r.run.byzantine).toEqual(byzantine.map((b) => b.id).sort((a, b) => a - b));
    expect(r.nodes.filter((n) => n.status === 'unlisted')).toEqual([]);
    expect(r.anomalies.unexpectedDeliveries).toBe(0);
  });

  it('`down` stops every node, joined ones included', async () => {
    const st = JSON.parse((await spinoza(home, 'status', '--json')).stdout) as { nodes: { id: number; pid: number | null }[] };
    const pids = st.nodes.flatMap((n) => (n.pid === null ? [] : [n.pid]));
    expect(pids).toHaveLength(NODES + JOINERS);
    const dn = await spinoza(home, 'down');
    expect(dn.code).toBe(0);
    expect(dn.stdout).toMatch(new RegExp(`stopped ${NODES + JOINERS} node\\(s\\)`));
    expect(pids.filter(alive)).toEqual([]);
    expect(findByArgPrefix(`${join(runDir, 'nodes')}/`)).toEqual([]);
  });
});
