import { describe, expect, it } from 'vitest';
import { verifyProof } from '../../node/index.js';
import { broadcast, startTestnet } from './harness.js';

describe('smoke', () => {
  it('delivers on 32 nodes with each strategy', async () => {
    const net = await startTestnet({ nodes: 32 });
    try {
      for (const s of ['tree', 'ring', 'gossip'] as const) {
        const t0 = Date.now();
        const proof = await broadcast(net, 5, `hello ${s}`, s);
        const check = verifyProof(proof, net.dir);
        console.log(s, Date.now() - t0, 'ms', check.delivered.length, check.missing, proof.complete, check.problems);
        expect(check.valid).toBe(true);
        expect(check.missing).toEqual([]);
      }
    } finally {
      await net.stop();
    }
  });
});
