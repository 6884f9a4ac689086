// Failure detection and rejoin on a local testnet (docs/membership.md): 3 of 32 nodes killed are
// marked DOWN by quorum certificate, no live node is, broadcasts keep reaching every live member
// throughout, and the killed nodes restarted catch up the directory and every broadcast they
// missed, and rejoin by certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory, verifyProof } from '../../node/index.js';
import { quorumSize } from '../../node/membership/quorum.js';
import { broadcast, startTestnet, waitFor, type Testnet } from './harness.js';
import { allCertified, allDelivered, certified, FAST, statusOf, workload } from './membership-support.js';

const N = 32;
const KILLED = [5, 12, 23];

describe('membership: 32 nodes, 3 killed, then restarted', () => {
  let net: Testnet;
  const live = (): number[] => [...net.nodes.keys()].sort((a, b) => a - b);
  const sent: string[] = [];
  beforeAll(async () => { net = await startTestnet({ nodes: N, seed: 'membership', params: FAST }); });
  afterAll(async () => { await net.stop(); });

  it('marks the killed nodes DOWN by certificate, and no live node, while broadcasts keep flowing', async () => {
    await broadcast(net, 1, 'warm-up'); // links open, as in a running network
    const load = workload(net, () => live().filter((id) => !KILLED.includes(id)));
    const killedAt = Date.now();
    await Promise.all(KILLED.map((id) => net.kill(id)));
    const downAt = new Map<number, number>();
    await waitFor(() => {
      for (const k of KILLED) if (!downAt.has(k) && live().every((id) => statusOf(net, id, k) === 'DOWN')) downAt.set(k, Date.now() - killedAt);
      return downAt.size === KILLED.length;
    }, 'every killed node DOWN everywhere', 30_000);
    sent.push(...await load.stop());
    console.info(`membership: killed ${KILLED.join(', ')}; DOWN on every live node after ${KILLED.map((k) => `${downAt.get(k)} ms (node ${k})`).join(', ')}`);
    for (const id of live()) {
      const d = net.nodes.get(id)!.directory();
      expect(d.epoch).toBe(KILLED.length);
      expect(d.nodes.filter((n) => n.status === 'DOWN').map((n) => n.id)).toEqual(KILLED);
    }
    // Only the killed nodes ever changed, each by a certificate of a quorum of the members then.
    const changes = allCertified(net);
    expect(new Set(changes.map((c) => c.of))).toEqual(new Set(KILLED));
    for (const c of changes) {
      expect(c.kind).toBe('down');
      expect(c.certificate!.sigs.length).toBeGreaterThanOrEqual(quorumSize(N - (c.epoch! - 1)));
    }
    await allDelivered(net, live(), sent);
  });

  it('a broadcast after the change reaches every remaining member with a complete proof', async () => {
    const dir = new Directory(net.nodes.get(1)!.directory());
    const proof = await broadcast(net, 3, 'after the change');
    sent.push(proof.id);
    const check = verifyProof(proof, dir);
    expect(check.problems).toEqual([]);
    expect(check.delivered).toEqual(live());
    expect(check.missing).toEqual([]);
    expect(proof.complete).toBe(true);
    expect(proof.epoch).toBe(KILLED.length);
  });

  it('restarted nodes catch up the directory and every broadcast they missed, and rejoin UP by certificate', async () => {
    const restartedAt = Date.now();
    await Promise.all(KILLED.map((id) => net.start(id)));
    await waitFor(() => KILLED.every((k) => live().every((id) => statusOf(net, id, k) === 'UP')), 'the restarted nodes UP everywhere', 30_000);
    console.info(`membership: nodes ${KILLED.join(', ')} restarted; UP on every live node after ${Date.now() - restartedAt} ms`);
    const ups = certified(net, 1).filter((e) => e.kind === 'up');
    expect(ups.map((e) => e.of).sort((a, b) => a - b)).toEqual(KILLED);
    for (const u of ups) expect(u.certificate!.proposal.change.evidence).toMatchObject({ reason: 'rejoin', by: u.of });
    const hashes = new Set(live().map((id) => new Directory(net.nodes.get(id)!.directory()).hash));
    expect(hashes.size).toBe(1);
    // Everything sent while they were away reaches them (anti-entropy), and new broadcasts reach all 32.
    await allDelivered(net, KILLED, sent);
    const dir = new Directory(net.nodes.get(1)!.directory());
    const proof = await broadcast(net, 16, 'after the rejoin');
    expect(verifyProof(proof, dir).delivered).toEqual(live());
    expect(proof.complete).toBe(true);
  });
});
