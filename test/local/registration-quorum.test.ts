// Registration by quorum (docs/membership.md#registration): 10 new nodes join a 32-node network
// through different members, each by a quorum certificate that advances the epoch, and then receive
// broadcasts; forged, replayed and unauthenticated requests are refused with their reason.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deriveKeyPair, Directory, verifyProof } from '../../node/index.js';
import { issueCredential, makeAdmission } from '../../node/membership/admission.js';
import { enrol, JoinRefusedError } from '../../node/membership/enrol.js';
import { makeHello } from '../../node/transport/handshake.js';
import { broadcast, freePorts, openSocket, startTestnet, waitFor, type Testnet } from './harness.js';
import { allCertified, allDelivered, FAST, workload } from './membership-support.js';

const N = 32;
const JOINERS = 10;

describe('registration by quorum: 10 nodes join a 32-node network', () => {
  let net: Testnet;
  const members = (): number[] => [...net.nodes.keys()].sort((a, b) => a - b);
  const current = (): Directory => new Directory(net.nodes.get(1)!.directory());
  const http = (id: number): string => net.url(id).replace('ws:', 'http:').replace(/\/$/, '');
  beforeAll(async () => { net = await startTestnet({ nodes: N, seed: 'registration-quorum', params: FAST }); });
  afterAll(async () => { await net.stop(); });

  it('admits 10 new nodes, each through another member, by certificate; every node ends on the same directory', async () => {
    const load = workload(net, () => members().filter((id) => id <= N));
    const started = Date.now();
    const ids = await Promise.all(Array.from({ length: JOINERS }, (_, i) => net.enrol(`joiner-${i}`, 1 + 3 * i)));
    console.info(`registration: ${JOINERS} nodes admitted in ${Date.now() - started} ms`);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: JOINERS }, (_, i) => N + 1 + i));
    const changes = allCertified(net);
    expect(changes.map((c) => c.kind)).toEqual(Array(JOINERS).fill('register'));
    expect(changes.map((c) => c.epoch)).toEqual(Array.from({ length: JOINERS }, (_, i) => i + 1));
    for (const c of changes) {
      const { proposal, sigs } = c.certificate!;
      expect(sigs.length).toBeGreaterThanOrEqual(Math.floor((2 * (N + proposal.epoch - 1)) / 3) + 1);
    }
    // The genesis members and the new ones alike come to hold epoch 10 with 42 members in good standing.
    const hashes = (): Set<string> => new Set(members().map((id) => new Directory(net.nodes.get(id)!.directory()).hash));
    await waitFor(() => hashes().size === 1, 'one directory on every node');
    expect(current().epoch).toBe(JOINERS);
    expect(current().members).toEqual(members());
    const served = await (await fetch(`${http(N + 1)}/directory`)).json() as { epoch: number; nodes: unknown[] };
    expect(served).toMatchObject({ epoch: JOINERS });
    expect(served.nodes).toHaveLength(N + JOINERS);
    await allDelivered(net, members().filter((id) => id <= N), await load.stop());
  });

  it('the new nodes receive broadcasts, and one of them can be an entry: complete proofs over all 42', async () => {
    for (const via of [2, N + 5]) {
      const proof = await broadcast(net, via, `after registration via ${via}`);
      const check = verifyProof(proof, current());
      expect(check.problems).toEqual([]);
      expect(check.delivered).toEqual(members());
      expect(proof.complete).toBe(true);
      expect(proof.epoch).toBe(JOINERS);
    }
  });

  /** A join request built by hand, to forge or replay. */
  async function request(over: { credential?: string | undefined; key?: ReturnType<typeof deriveKeyPair>; proofKey?: ReturnType<typeof deriveKeyPair>; network?: string } = {}) {
    const key = over.key ?? deriveKeyPair('registration-quorum', `forger-${randomBytes(4).toString('hex')}`, 0);
    const [port] = await freePorts(1);
    const network = over.network ?? net.dir.network;
    const credential = 'credential' in over ? over.credential : issueCredential(net.authority, net.dir.network, key.publicKey.toString('base64'));
    const a = makeAdmission(over.proofKey ?? key, net.dir.network, { host: '127.0.0.1', port: port! }, Date.now(), randomBytes(16).toString('hex'), credential ?? 'x');
    return { v: 1, network, ...a, publicKey: key.publicKey.toString('base64'), credential };
  }
  const post = async (via: number, body: unknown): Promise<{ status: number; body: { error?: string; id?: number } }> => {
    const res = await fetch(`${http(via)}/membership/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() as { error?: string } };
  };

  it('refuses forged, missing, replayed and reused credentials with their reasons, and nothing changes', async () => {
    const epoch = current().epoch;
    const impostor = deriveKeyPair('registration-quorum', 'impostor-authority', 0);
    const forgedKey = deriveKeyPair('registration-quorum', 'forged', 0);
    const cases: [string, unknown, number, string][] = [
      ['a credential from another authority', { ...(await request({ key: forgedKey })), credential: issueCredential(impostor, net.dir.network, forgedKey.publicKey.toString('base64')) }, 403, 'bad-credential'],
      ['a credential for another key', { ...(await request()), credential: issueCredential(net.authority, net.dir.network, forgedKey.publicKey.toString('base64')) }, 403, 'bad-credential'],
      ['no credential', await request({ credential: undefined }), 401, 'missing-credential'],
      ['a proof made with another key (no possession)', await request({ proofKey: forgedKey }), 403, 'bad-proof'],
      ['another network', await request({ network: 'someone-elses' }), 400, 'wrong-network'],
      ['a key already registered', await request({ key: net.nodeKey(7) }), 409, 'key-reused'],
      ['not JSON at all', 'register me', 400, 'malformed'],
    ];
    for (const [what, body, status, error] of cases) {
      const answer = await post(3, body);
      expect({ what, ...answer }).toMatchObject({ what, status, body: { error } });
    }
    expect(current().epoch).toBe(epoch);
  });

  it('refuses a replayed request (every member saw its nonce when it co-signed), and a fresh request for a registered key', async () => {
    const key = deriveKeyPair('registration-quorum', 'replayed', 0);
    const body = await request({ key });
    const first = await post(4, body);
    expect(first.status).toBe(200);
    expect(await post(4, body)).toMatchObject({ status: 409, body: { error: 'replay' } });
    expect(await post(9, body)).toMatchObject({ status: 409, body: { error: 'replay' } });
    const again = enrol({
      genesis: net.nodes.get(1)!.directory(), key, credential: body.credential!, at: { host: '127.0.0.1', port: body.port + 1 }, bootstrap: [http(2)],
    });
    await expect(again).rejects.toBeInstanceOf(JoinRefusedError);
    await expect(again).rejects.toMatchObject({ reason: 'key-reused' });
  });

  it('refuses an unauthenticated link: a key not in the directory cannot say hello', async () => {
    const stranger = deriveKeyPair('registration-quorum', 'stranger', 0);
    const ws: WebSocket = await openSocket(net.url(1));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify(makeHello(stranger, net.dir.network, 99, 1, Date.now())));
    expect(await closed).toBe(4001);
  });
});
