// Genesis is a pure function of manifest + seed (+ run id for the network id): reproducible runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarizeProof } from '../../client/index.js';
import { EnrolConfig, NodeConfig } from '../../node/config.js';
import { checkAdmission, makeAdmission } from '../../node/membership/admission.js';
import { sign } from '../../node/crypto/index.js';
import { Directory, DirectoryData } from '../../node/directory/index.js';
import { messageId, signBroadcast, signReceipt, type Proof } from '../../node/wire/index.js';
import { buildEnrolConfig, buildGenesis, clientKey, joinerKey, networkId, nodeKey, seededOrder, selectRoles, type JoinerPlacement } from '../../orchestrator/genesis.js';
import { bootstrapFor } from '../../orchestrator/join.js';
import { BYZANTINE_KINDS, resolveManifest } from '../../orchestrator/manifest.js';
import { runLayout } from '../../orchestrator/state.js';

const layout = runLayout('/tmp/spinoza-genesis-test', 'sp-test');
const manifest = (doc: Record<string, unknown> = {}) => resolveManifest(doc);
const publicKeys = (g: ReturnType<typeof buildGenesis>) => g.directory.nodes.map((n) => n.publicKey);

describe('determinism', () => {
  it('same manifest, seed and run id: the same genesis, byte for byte', () => {
    const m = manifest({ nodes: 20, faults: { dead: 2, unreliable: 3 } });
    const a = buildGenesis(m, 'sp-1', layout);
    const b = buildGenesis(m, 'sp-1', layout);
    expect(JSON.stringify(a.directory)).toBe(JSON.stringify(b.directory));
    expect(JSON.stringify(a.configs)).toBe(JSON.stringify(b.configs));
    expect(a.roles).toEqual(b.roles);
    expect(a.client.key.publicKey.equals(b.client.key.publicKey)).toBe(true);
  });

  it('another run id changes only the network id', () => {
    const m = manifest({ nodes: 20, faults: { dead: 2 } });
    const a = buildGenesis(m, 'sp-1', layout);
    const b = buildGenesis(m, 'sp-2', layout);
    expect(a.directory.network).not.toBe(b.directory.network);
    expect({ ...a.directory, network: '' }).toEqual({ ...b.directory, network: '' });
    expect(a.roles).toEqual(b.roles);
  });

  it('another seed gives other keys (nodes and client) and another network', () => {
    const a = buildGenesis(manifest({ seed: 'one' }), 'sp-1', layout);
    const b = buildGenesis(manifest({ seed: 'two' }), 'sp-1', layout);
    const other = new Set(publicKeys(b));
    expect(publicKeys(a).some((k) => other.has(k))).toBe(false);
    expect(a.client.key.publicKey.equals(b.client.key.publicKey)).toBe(false);
    expect(a.directory.network).not.toBe(b.directory.network);
  });

  it('node keys are unique and derive from (seed, index) alone', () => {
    const g = buildGenesis(manifest({ nodes: 64 }), 'sp-1', layout);
    expect(new Set(publicKeys(g)).size).toBe(64);
    const bigger = buildGenesis(manifest({ nodes: 128 }), 'sp-1', layout);
    expect(publicKeys(bigger).slice(0, 64)).toEqual(publicKeys(g));
    expect(g.configs[4]!.privateKey).toBe(nodeKey('spinoza', 5).seed.toString('hex'));
  });
});

describe('the genesis directory and configs', () => {
  const m = manifest({ nodes: 10, basePort: 17000, neighborhoodSize: 4, faults: { dead: 2, unreliable: 2, unreliableDropRate: 0.5 } });
  const g = buildGenesis(m, 'sp-abc', layout);

  it('is a valid DirectoryData: ids 1..N, ports basePort+i-1, every node UP (dead ones too)', () => {
    expect(DirectoryData.safeParse(g.directory).success).toBe(true);
    expect(g.directory.nodes.map((n) => [n.id, n.port, n.status, n.host])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, 17000 + i, 'UP', '127.0.0.1']));
    expect(g.directory.neighborhoodSize).toBe(4);
    expect(g.directory.epoch).toBe(0);
  });

  it('lists the trusted client as an initiator with the derived client key', () => {
    expect(g.directory.initiators).toEqual([{ name: 'client', publicKey: clientKey('spinoza').publicKey.toString('base64') }]);
    expect(g.client.name).toBe('client');
  });

  it('salts the network id with the run id, within the wire limit of 64 characters', () => {
    expect(g.directory.network).toBe(networkId('spinoza', 'sp-abc'));
    fc.assert(fc.property(fc.string(), fc.string(), (seed, run) => networkId(seed, run).length <= 64));
  });

  it('writes one valid NodeConfig per node, listening on its directory address', () => {
    expect(g.configs).toHaveLength(10);
    for (const c of g.configs) {
      expect(NodeConfig.safeParse(c).success).toBe(true);
      expect(c.listen).toEqual({ host: '127.0.0.1', port: 17000 + c.id - 1 });
      expect(c.eventsPath).toBe(layout.events(c.id));
      expect(c.params.strategy).toBe('tree');
    }
  });

  it('gives unreliable nodes the manifest behaviour, everyone else honest', () => {
    const unreliable = new Set(g.roles.unreliable);
    for (const c of g.configs) {
      expect(c.behaviour.kind).toBe(unreliable.has(c.id) ? 'unreliable' : 'honest');
      if (c.behaviour.kind === 'unreliable') expect(c.behaviour.dropRate).toBe(0.5);
    }
  });

  it('passes top-level strategy and fanouts into the protocol parameters', () => {
    const c = buildGenesis(manifest({ nodes: 3, strategy: 'gossip', gossipFanout: 3, treeFanout: 2, params: { ackTimeoutMs: 250 } }), 'r', layout).configs[0]!;
    expect(c.params).toMatchObject({ strategy: 'gossip', gossipFanout: 3, treeFanout: 2, ackTimeoutMs: 250 });
  });

  it('verifies proofs signed with the derived keys; dead nodes count only when asked about', () => {
    const dir = new Directory(g.directory);
    const msg = signBroadcast(g.client.key, { net: dir.network, from: 'client', nonce: 'ab'.repeat(16), ts: 1_000, body: 'hi' });
    const id = messageId(msg);
    const receipts = g.roles.live.map((n) => signReceipt(nodeKey('spinoza', n), dir.network, id, n, 1_000 + n));
    const proof: Proof = { id, msg, entry: g.roles.live[0]!, strategy: 'tree', epoch: 0, directoryHash: dir.hash, receipts, unreached: [], complete: true };
    const live = summarizeProof(proof, dir, g.roles.live, id);
    expect(live).toMatchObject({ expected: 8, delivered: 8, missing: [], proofValid: true });
    expect(live.latencyMs.max).toBe(Math.max(...g.roles.live));
    expect(summarizeProof(proof, dir).missing).toEqual(g.roles.dead);
    // A receipt signed with another seed's key is caught.
    const forged = { ...proof, receipts: [...receipts.slice(1), { ...receipts[0]!, sig: sign(nodeKey('other', 1), Buffer.from('x')).toString('base64') }] };
    expect(summarizeProof(forged, dir, g.roles.live, id).proofValid).toBe(false);
  });
});

describe('fault roles', () => {
  it('seededOrder is a permutation of 1..n, the same for the same seed', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 0, max: 300 }), (seed, n) => {
      const order = seededOrder(seed, 'faults', n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(seededOrder(seed, 'faults', n)).toEqual(order);
    }));
  });

  it('dead and unreliable are disjoint, of the asked sizes, within 1..nodes; live is the rest', () => {
    const arb = fc.integer({ min: 1, max: 400 }).chain((nodes) =>
      fc.integer({ min: 0, max: nodes - 1 }).chain((dead) =>
        fc.record({ seed: fc.string(), nodes: fc.constant(nodes), dead: fc.constant(dead), unreliable: fc.integer({ min: 0, max: nodes - dead }) })));
    fc.assert(fc.property(arb, ({ seed, nodes, dead, unreliable }) => {
      const m = manifest({ seed: seed || 's', nodes, basePort: 1, faults: { dead, unreliable } });
      const r = selectRoles(m);
      expect(r.dead).toHaveLength(dead);
      expect(r.unreliable).toHaveLength(unreliable);
      expect(r.live).toHaveLength(nodes - dead);
      const all = [...r.dead, ...r.unreliable];
      expect(new Set(all).size).toBe(all.length);
      expect(all.every((id) => id >= 1 && id <= nodes)).toBe(true);
      expect(r.unreliable.every((id) => r.live.includes(id))).toBe(true);
      expect(r.dead.some((id) => r.live.includes(id))).toBe(false);
      expect(selectRoles(m)).toEqual(r);
    }));
  });

  it('byzantine nodes are of the asked kinds and counts, disjoint from dead and unreliable, and not live', () => {
    const arb = fc.integer({ min: 2, max: 300 }).chain((nodes) =>
      fc.record({
        seed: fc.string({ minLength: 1 }),
        nodes: fc.constant(nodes),
        dead: fc.integer({ min: 0, max: Math.floor(nodes / 4) }),
        unreliable: fc.integer({ min: 0, max: Math.floor(nodes / 4) }),
        byzantine: fc.record(Object.fromEntries(BYZANTINE_KINDS.map((k) => [k, fc.integer({ min: 0, max: Math.floor(nodes / 12) })])) as Record<(typeof BYZANTINE_KINDS)[number], fc.Arbitrary<number>>),
      }));
    fc.assert(fc.property(arb, ({ seed, nodes, dead, unreliable, byzantine }) => {
      const m = manifest({ seed, nodes, basePort: 1, faults: { dead, unreliable, byzantine } });
      const r = selectRoles(m);
      for (const kind of BYZANTINE_KINDS) expect(r.byzantine.filter((b) => b.kind === kind)).toHaveLength(byzantine[kind]);
      const bad = r.byzantine.map((b) => b.id);
      expect(bad).toEqual([...bad].sort((a, b) => a - b));
      const all = [...r.dead, ...r.unreliable, ...bad];
      expect(new Set(all).size).toBe(all.length);
      expect(r.live).toHaveLength(nodes - dead - bad.length);
      expect(bad.some((id) => r.live.includes(id))).toBe(false);
      // Adding byzantine nodes leaves the dead and unreliable of the same seed where they were.
      expect(selectRoles(manifest({ seed, nodes, basePort: 1, faults: { dead, unreliable } }))).toMatchObject({ dead: r.dead, unreliable: r.unreliable });
    }));
  });

  it('byzantine nodes start with their behaviour (and its defaults), everyone else as before', () => {
    const g = buildGenesis(manifest({ nodes: 12, faults: { unreliable: 1, byzantine: { equivocate: 1, flood: 1, drop: 1 } } }), 'sp-b', layout);
    const kinds = new Map(g.roles.byzantine.map((b) => [b.id, b.kind]));
    expect([...kinds.values()].sort()).toEqual(['drop', 'equivocate', 'flood']);
    for (const c of g.configs) {
      expect(NodeConfig.safeParse(c).success).toBe(true);
      const expected = kinds.get(c.id) ?? (g.roles.unreliable.includes(c.id) ? 'unreliable' : 'honest');
      expect(c.behaviour.kind).toBe(expected);
    }
    expect(g.configs.find((c) => c.behaviour.kind === 'flood')!.behaviour).toEqual({ kind: 'flood', ratePerSec: 50 });
    expect(g.configs.find((c) => c.behaviour.kind === 'equivocate')!.behaviour).toEqual({ kind: 'equivocate', everyMs: 1000 });
  });

  it('depends on the seed', () => {
    const picks = new Set(['a', 'b', 'c', 'd', 'e'].map((seed) =>
      selectRoles(manifest({ seed, nodes: 100, faults: { dead: 5, unreliable: 5 } })).dead.join(',')));
    expect(picks.size).toBeGreaterThan(1);
  });

  it('spreads over the whole id range, not just the first ids', () => {
    const dead = selectRoles(manifest({ nodes: 1000, faults: { dead: 100 } })).dead;
    expect(dead.filter((id) => id > 500).length).toBeGreaterThan(25);
  });
});

describe('joiners', () => {
  const m = manifest({ nodes: 6, params: { membership: true } });
  const g = buildGenesis(m, 'sp-join', layout);
  const place: JoinerPlacement = {
    advertise: { host: '127.0.0.1', port: 7106 }, listen: { host: '127.0.0.1', port: 7106 },
    directoryPath: layout.genesis, eventsPath: layout.joinerEvents(0), enrolledPath: `${layout.joinerState(0)}/enrolled.json`,
  };
  const config = buildEnrolConfig(m, 'sp-join', g.directory.network, 0, place, ['http://127.0.0.1:7100']);

  it('derive keys of their own from the seed: never a genesis node\'s, the same for the same k', () => {
    const joiners = Array.from({ length: 50 }, (_, k) => joinerKey('spinoza', k).publicKey.toString('base64'));
    expect(new Set([...joiners, ...g.directory.nodes.map((n) => n.publicKey)]).size).toBe(50 + 6);
    expect(joinerKey('spinoza', 7).seed.equals(joinerKey('spinoza', 7).seed)).toBe(true);
    expect(config.privateKey).toBe(joinerKey('spinoza', 0).seed.toString('hex'));
  });

  it('get a valid EnrolConfig with the run\'s parameters, control token and placement', () => {
    expect(EnrolConfig.safeParse(config).success).toBe(true);
    expect(config).toMatchObject({
      listen: place.listen, advertise: place.advertise, directoryPath: layout.genesis, eventsPath: place.eventsPath,
      enrolledPath: place.enrolledPath, bootstrap: ['http://127.0.0.1:7100'], behaviour: { kind: 'honest' },
      params: g.configs[0]!.params, control: g.configs[0]!.control,
    });
  });

  it('carry a credential from the genesis authority that members accept, for this network and key only', () => {
    const dir = new Directory(g.directory);
    const request = (credential: string) => makeAdmission(joinerKey('spinoza', 0), dir.network, place.advertise, 1_000, 'ab'.repeat(8), credential);
    expect(checkAdmission(request(config.credential), dir, 1_000, 30_000)).toEqual({ ok: true });
    const other = buildEnrolConfig(m, 'sp-other-run', networkId('spinoza', 'sp-other-run'), 0, place, ['http://127.0.0.1:7100']);
    expect(checkAdmission(request(other.credential), dir, 1_000, 30_000)).toMatchObject({ ok: false, reason: 'bad-credential' });
    const next = buildEnrolConfig(m, 'sp-join', dir.network, 1, place, ['http://127.0.0.1:7100']);
    expect(checkAdmission(request(next.credential), dir, 1_000, 30_000)).toMatchObject({ ok: false, reason: 'bad-credential' });
  });

  it('spread over bootstrap members, after --via when given', () => {
    const members = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(bootstrapFor({ members }, 0)).toEqual(['a', 'b', 'c', 'd']);
    expect(bootstrapFor({ members }, 4)).toEqual(['e', 'f', 'a', 'b']);
    expect(bootstrapFor({ via: 'v', members: ['a', 'b'] }, 1)).toEqual(['v', 'b', 'a']);
    expect(bootstrapFor({ via: 'v', members: [] }, 3)).toEqual(['v']);
  });
});
