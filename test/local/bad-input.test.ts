// Bad input straight to a node's socket: each kind is rejected with its reason, the node keeps
// serving, and a valid broadcast afterwards still reaches every node.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { makeHello } from '../../node/transport/handshake.js';
import { deriveKeyPair, signBroadcast, verifyProof, type RejectReason } from '../../node/index.js';
import { broadcast, nextFrame, openSocket, startTestnet, waitFor, type Testnet } from './harness.js';

const TARGET = 4;
let net: Testnet;
let req = 1000;

const rejections = (reason: RejectReason): number =>
  net.events.get(TARGET)!.filter((e) => e.ev === 'rejected' && e.reason === reason).length;

const msg = (over: Partial<{ net: string; from: string | number; ts: number; body: string; nonce: string }> = {}, key = net.clientKey) =>
  signBroadcast(key, { net: net.dir.network, from: 'client', nonce: randomBytes(16).toString('hex'), ts: Date.now(), body: 'x', ...over });

/** Ids the node accepted: each is delivered everywhere, and nothing else may be. */
const accepted = new Set<string>();

/** Submits a frame as a client and returns the node's answer. */
async function submit(ws: WebSocket, m: unknown): Promise<Record<string, unknown>> {
  const r = ++req;
  const answer = nextFrame(ws, (f) => f.req === r && (f.type === 'accepted' || f.type === 'rejected'));
  ws.send(JSON.stringify({ type: 'submit', req: r, msg: m }));
  const a = await answer;
  if (a.type === 'accepted') accepted.add(a.id as string);
  return a;
}

/** Opens a link as node `id` (a valid hello with its key): node-to-node frames are accepted from it. */
async function asNode(ws: WebSocket, id: number): Promise<void> {
  const welcomed = nextFrame(ws, (f) => f.type === 'welcome');
  ws.send(JSON.stringify(makeHello(net.nodeKey(id), net.dir.network, id, TARGET, Date.now())));
  await welcomed;
}

/** How each kind of bad input is sent; every reason must have a case (the mapped type enforces it). */
const CASES: { [R in RejectReason]: (ws: WebSocket) => Promise<void> } = {
  malformed: async (ws) => ws.send('{"type": "submit", oops'),
  schema: async (ws) => ws.send(JSON.stringify({ type: 'submit', req: 'one', msg: 42 })),
  oversized: async (ws) => {
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(2 << 20));
    expect(await closed).toBe(1009); // ws closes with "message too big"
  },
  'wrong-network': async (ws) => { await submit(ws, msg({ net: 'someone-elses-testnet' })); },
  'bad-signature': async (ws) => { await submit(ws, { ...msg(), body: 'tampered' }); },
  'unknown-sender': async (ws) => { await submit(ws, msg({ from: 'mallory' }, deriveKeyPair('x', 'mallory', 0))); },
  'not-in-good-standing': async (ws) => { await submit(ws, msg({ from: 2 }, net.nodeKey(2))); },
  replay: async (ws) => {
    const m = msg();
    expect((await submit(ws, m)).type).toBe('accepted');
    await submit(ws, m);
  },
  'clock-skew': async (ws) => { await submit(ws, msg({ ts: Date.now() + 3_600_000 })); },
  unauthenticated: async (ws) => ws.send(JSON.stringify({ type: 'relay', msg: msg(), entry: 1, strategy: 'tree' })),
  equivocation: async (ws) => {
    const nonce = randomBytes(16).toString('hex');
    expect((await submit(ws, msg({ nonce, body: 'one' }))).type).toBe('accepted');
    await submit(ws, msg({ nonce, body: 'another' })); // validly signed, same nonce
  },
  'rate-limited': async (ws) => {
    // Node 3 may originate originBurst (2 here) broadcasts at once; the third is over budget.
    for (let i = 0; i < 2; i++) expect((await submit(ws, msg({ from: 3, body: `own ${i}` }, net.nodeKey(3)))).type).toBe('accepted');
    await submit(ws, msg({ from: 3, body: 'one too many' }, net.nodeKey(3)));
  },
  'bad-receipt': async (ws) => {
    // While TARGET still passes receipts up for a broadcast it relayed, "node 5" reports one for node 2 it never signed.
    const proof = await broadcast(net, 1, 'receipts wanted');
    accepted.add(proof.id);
    await asNode(ws, 5);
    ws.send(JSON.stringify({ type: 'receipts', id: proof.id, receipts: [{ node: 2, at: Date.now(), sig: randomBytes(64).toString('base64') }], unreached: [], complete: [] }));
  },
};

describe('bad input to a node', () => {
  beforeAll(async () => { net = await startTestnet({ nodes: 16, seed: 'bad-input', down: [2], params: { originBurst: 2, originRatePerSec: 0.01 } }); });
  afterAll(async () => { await net.stop(); });

  for (const [reason, send] of Object.entries(CASES) as [RejectReason, (ws: WebSocket) => Promise<void>][]) {
    it(`rejects ${reason} and keeps serving`, async () => {
      const before = rejections(reason);
      const ws = await openSocket(net.url(TARGET));
      try {
        await send(ws);
        await waitFor(() => rejections(reason) > before, `a ${reason} rejection`);
        expect(net.nodes.get(TARGET)!.metrics.get('spinoza_rejected_total', { reason })).toBe(before + 1);
      } finally {
        ws.close();
      }
    });
  }

  it('refuses a hello from a node that is not in the directory', async () => {
    const before = rejections('unknown-sender');
    const ws = await openSocket(net.url(TARGET));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify(makeHello(deriveKeyPair('x', 'node', 99), net.dir.network, 99, TARGET, Date.now())));
    expect(await closed).toBe(4001);
    expect(rejections('unknown-sender')).toBe(before + 1);
  });

  it('answers a rejected submission with its reason', async () => {
    const ws = await openSocket(net.url(TARGET));
    try {
      const answer = await submit(ws, { ...msg(), body: 'tampered again' });
      expect(answer).toMatchObject({ type: 'rejected', reason: 'bad-signature' });
    } finally {
      ws.close();
    }
  });

  it('still delivers a valid broadcast to every live node afterwards', async () => {
    const proof = await broadcast(net, TARGET, 'after the storm');
    accepted.add(proof.id);
    const check = verifyProof(proof, net.dir);
    expect(check.valid).toBe(true);
    expect(check.delivered).toEqual(net.live);
    // Nothing invalid was ever delivered anywhere: every delivered id is one the node accepted.
    const delivered = [...net.events.values()].flat().flatMap((e) => (e.ev === 'delivered' ? [e.id] : []));
    expect(new Set(delivered)).toEqual(accepted);
  });
});
