// Membership on a local testnet (docs/membership.md): killed nodes are marked DOWN by quorum
// certificate, no live node is, broadcasts then reach every remaining member with a complete
// proof, and a restarted node rejoins by certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, verifyProof, type NodeEvent } from '../../node/index.js';
import { broadcast, startTestnet, waitFor, type Testnet } from './harness.js';

const PARAMS = {
  membership: true, probePeriodMs: 200, probeTimeoutMs: 100, indirectProbes: 3, suspicionMs: 600, proposalTimeoutMs: 1500,
  ackTimeoutMs: 300, maxRetries: 1, antiEntropyIntervalMs: 200, repairGraceMs: 300, repairBucketMs: 200,
};
const KILLED = [5, 12];

const statusOf = (net: Testnet, at: number, of: number): string | undefined => net.nodes.get(at)?.directory().nodes.find((n) => n.id === of)?.status;
const certified = (net: Testnet, node: number): Extract<NodeEvent, { ev: 'membership' }>[] =>
  (net.events.get(node) ?? []).flatMap((e) => (e.ev === 'membership' && e.what === 'certified' ? [e] : []));

describe('membership: 16 nodes, 2 killed, 1 restarted', () => {
  let net: Testnet;
  const live = (): number[] => [...net.nodes.keys()].sort((a, b) => a - b);
  beforeAll(async () => { net = await startTestnet({ nodes: 16, seed: 'membership', params: PARAMS }); });
  afterAll(async () => { await net.stop(); });

  it('marks both killed nodes DOWN by certificate, and no live node', async () => {
    await broadcast(net, 1, 'warm-up'); // links open, as in a running network
    const killedAt = Date.now();
    await Promise.all(KILLED.map((id) => net.kill(id)));
    const downAt = new Map<number, number>();
    await waitFor(() => {
      for (const k of KILLED) if (!downAt.has(k) && live().every((id) => statusOf(net, id, k) === 'DOWN')) downAt.set(k, Date.now() - killedAt);
      return downAt.size === KILLED.length;
    }, 'both killed nodes DOWN everywhere', 20_000);
    console.info(`membership: killed ${KILLED.join(', ')}; DOWN on every live node after ${KILLED.map((k) => `${downAt.get(k)} ms (node ${k})`).join(', ')}`);
    for (const id of live()) {
      const d = net.nodes.get(id)!.directory();
      expect(d.epoch).toBe(2);
      expect(d.nodes.filter((n) => n.status === 'DOWN').map((n) => n.id)).toEqual(KILLED);
      // Every change on every node came with a certificate of a quorum (11 of 16, then 11 of 15).
      for (const c of certified(net, id)) expect(c.certificate!.sigs.length).toBeGreaterThanOrEqual(11);
    }
    const downs = [...net.events.values()].flat().filter((e) => e.ev === 'membership' && e.what === 'certified' && e.kind === 'down');
    expect(new Set(downs.map((e) => (e.ev === 'membership' ? e.of : 0)))).toEqual(new Set(KILLED));
  });

  it('a broadcast after the change reaches every remaining member with a complete proof', async () => {
    const dir = new Directory(net.nodes.get(1)!.directory());
    const proof = await broadcast(net, 3, 'after the change');
    const check = verifyProof(proof, dir);
    expect(check.problems).toEqual([]);
    expect(check.delivered).toEqual(live());
    expect(check.missing).toEqual([]);
    expect(proof.complete).toBe(true);
    expect(proof.epoch).toBe(2);
  });

  it('a restarted node catches up the directory and rejoins: UP again by certificate', async () => {
    const restartedAt = Date.now();
    await net.start(5);
    await waitFor(() => live().every((id) => statusOf(net, id, 5) === 'UP'), 'node 5 UP everywhere', 20_000);
    console.info(`membership: node 5 restarted; UP on every live node after ${Date.now() - restartedAt} ms`);
    const ups = certified(net, 1).filter((e) => e.kind === 'up');
    expect(ups.map((e) => e.of)).toEqual([5]);
    expect(ups[0]!.certificate!.proposal.change.evidence).toMatchObject({ reason: 'rejoin', by: 5 });
    for (const id of live()) expect(statusOf(net, id, 12)).toBe('DOWN');
    // Node 12 is still dead: never marked UP; node 5 carries the same directory as everyone.
    const hashes = new Set(live().map((id) => new Directory(net.nodes.get(id)!.directory()).hash));
    expect(hashes.size).toBe(1);
    const dir = new Directory(net.nodes.get(1)!.directory());
    const proof = await broadcast(net, 16, 'after the rejoin');
    expect(verifyProof(proof, dir).delivered).toEqual(live());
    expect(proof.complete).toBe(true);
  });
});
