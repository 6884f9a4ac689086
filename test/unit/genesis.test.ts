// Genesis is a pure function of manifest + seed (+ run id for the network id): reproducible runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarizeProof } from '../../client/index.js';
import { NodeConfig } from '../../node/config.js';
import { sign } from '../../node/crypto/index.js';
import { Directory, DirectoryData } from '../../node/directory/index.js';
import { messageId, signBroadcast, signReceipt, type Proof } from '../../node/wire/index.js';
import { buildGenesis, clientKey, networkId, nodeKey, seededOrder, selectRoles } from '../../orchestrator/genesis.js';
import { resolveManifest } from '../../orchestrator/manifest.js';
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
