// Delivery on a local testnet of real nodes and sockets: every strategy, with and without faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyProof, type StrategyName } from '../../node/index.js';
import { broadcast, copiesPerNode, startTestnet, type Testnet } from './harness.js';

const STRATEGIES: StrategyName[] = ['tree', 'ring', 'gossip'];

describe('32 healthy nodes', () => {
  let net: Testnet;
  beforeAll(async () => { net = await startTestnet({ nodes: 32, seed: 'healthy' }); });
  afterAll(async () => { await net.stop(); });

  for (const strategy of STRATEGIES) {
    it(`${strategy}: every node delivers, the proof is complete and valid`, async () => {
      for (const via of [1, 16, 32]) {
        const proof = await broadcast(net, via, `${strategy} via ${via}`, strategy);
        const check = verifyProof(proof, net.dir);
        expect(check.problems).toEqual([]);
        expect(check.delivered).toEqual(net.live);
        expect(proof.complete).toBe(true);
        expect(proof.unreached).toEqual([]);
        expect(proof.entry).toBe(via);
      }
    });
  }

  it('tree: each node receives each message exactly once', async () => {
    const proof = await broadcast(net, 7, 'once', 'tree');
    const copies = copiesPerNode(net, proof.id);
    copies.delete(7); // the entry got it from the client, not a relay
    expect([...copies.values()].every((c) => c === 1)).toBe(true);
  });

  it('gossip sends more copies than tree (the baseline we beat)', async () => {
    const tree = await broadcast(net, 3, 'copies tree', 'tree');
    const gossip = await broadcast(net, 3, 'copies gossip', 'gossip');
    const total = (id: string) => [...copiesPerNode(net, id).values()].reduce((a, b) => a + b, 0);
    expect(total(tree.id)).toBe(31);
    expect(total(gossip.id)).toBeGreaterThan(2 * 31);
  });
});

describe('32 nodes, 3 dead and 2 unreliable', () => {
  const dead = [3, 17, 30];
  let net: Testnet;
  beforeAll(async () => { net = await startTestnet({ nodes: 32, seed: 'faulty', dead, unreliable: [8, 21] }); });
  afterAll(async () => { await net.stop(); });

  for (const strategy of STRATEGIES) {
    it(`${strategy}: all live nodes deliver; the dead are missing, with a parent's evidence`, async () => {
      for (const via of [1, 18]) {
        const proof = await broadcast(net, via, `${strategy} faulty via ${via}`, strategy);
        const check = verifyProof(proof, net.dir);
        expect(check.valid).toBe(true);
        expect(check.delivered).toEqual(net.live);
        expect(check.missing).toEqual(dead);
        expect(proof.complete).toBe(true);
        // "Down" is never a bare word: each missing node is reported by the peer that failed to reach it.
        expect(proof.unreached.map((u) => u.node)).toEqual(dead);
        for (const u of proof.unreached) expect(net.live).toContain(u.by);
      }
    });
  }
});
