// Anti-entropy: a node that was down while broadcasts went out catches up on every one of them
// after it comes back, and never delivers anything twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyProof, type Proof } from '../../node/index.js';
import { broadcast, startTestnet, waitFor, type Testnet } from './harness.js';

const delivered = (net: Testnet, node: number): string[] =>
  net.events.get(node)!.flatMap((e) => (e.ev === 'delivered' ? [e.id] : []));

describe('anti-entropy repair', () => {
  let net: Testnet;
  beforeAll(async () => {
    net = await startTestnet({ nodes: 24, seed: 'repair', params: { antiEntropyIntervalMs: 200, repairGraceMs: 300, repairBucketMs: 200, ackTimeoutMs: 300, maxRetries: 1 } });
  });
  afterAll(async () => { await net.stop(); });

  it('a restarted node receives every broadcast it missed, exactly once', async () => {
    const before = await broadcast(net, 1, 'before the outage');
    await waitFor(() => delivered(net, 9).includes(before.id), 'node 9 to deliver the first message');
    await net.kill(9);
    const missed: Proof[] = [];
    for (const s of ['tree', 'ring', 'gossip'] as const) missed.push(await broadcast(net, 20, `while 9 is down (${s})`, s));
    for (const p of missed) expect(verifyProof(p, net.dir).missing).toEqual([9]);
    await net.start(9);
    await waitFor(() => missed.every((p) => delivered(net, 9).includes(p.id)), 'node 9 to catch up', 15_000);
    const ids = delivered(net, 9);
    expect(new Set(ids).size).toBe(ids.length); // nothing delivered twice, the first message included
    const repaired = net.events.get(9)!.filter((e) => e.ev === 'delivered' && e.via === 'repair').length;
    expect(repaired).toBe(missed.length);
  });

  it('every other node holds every message too', async () => {
    const all = new Set(net.events.get(1)!.flatMap((e) => (e.ev === 'delivered' ? [e.id] : [])));
    for (const id of net.live) await waitFor(() => [...all].every((m) => delivered(net, id).includes(m)), `node ${id} complete`);
  });
});
