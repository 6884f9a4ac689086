// Genesis: keys, directory, fault roles and node configs as pure functions of manifest + seed (+ run id).
// Same manifest and seed give the same keys, ids and directory; only the network id is salted per run.
import { deriveKeyPair, sha256, type KeyPair } from '../node/crypto/index.js';
import { authorityKey, CLIENT_NAME, clientKey, networkId } from '../node/membership/authority.js';
import { ProtocolParams, type NodeConfig } from '../node/config.js';
import type { DirectoryData } from '../node/directory/schema.js';
import { initialProfile } from './impair/profiles.js';
import type { Manifest } from './manifest.js';
import type { RunLayout } from './state.js';

// Shared with the compose registrar, which derives the same from its seed (node/membership/authority.ts).
export { CLIENT_NAME, clientKey, networkId };

export interface Roles {
  /** In the directory, status UP, never started: they never answer (as the seed's dead instances). */
  dead: number[];
  /** Started with the `unreliable` behaviour. */
  unreliable: number[];
  /** Every started node (honest and unreliable), ascending. */
  live: number[];
}

export interface Genesis {
  directory: DirectoryData;
  roles: Roles;
  client: { name: string; key: KeyPair };
  /** One config per directory entry, dead ones included (never started, kept for inspection). */
  configs: NodeConfig[];
}

export const nodeKey = (seed: string, id: number): KeyPair => deriveKeyPair(seed, 'node', id);
export const nodePort = (m: Pick<Manifest, 'basePort'>, id: number): number => m.basePort + id - 1;

/**
 * Where each node lives, as the directory lists it and as the node sees itself. Backends differ here
 * only: a container binds 0.0.0.0 at a fixed port behind its own address and sees the run's files
 * at mount points, while a process binds the manifest's host and port and sees the host's paths.
 */
export interface Placement {
  /** How peers, the client and the orchestrator reach node `id` (its directory entry). */
  address(id: number): { host: string; port: number };
  /** What node `id` binds inside its unit. */
  listen(id: number): { host: string; port: number };
  /** The run's genesis.json and node `id`'s event log, as paths the node opens. */
  directoryPath: string;
  eventsPath(id: number): string;
}

/** The process backend's placement: manifest host, consecutive ports, the state dir's own paths. */
export const localPlacement = (m: Pick<Manifest, 'host' | 'basePort'>, layout: RunLayout): Placement => ({
  address: (id) => ({ host: m.host, port: nodePort(m, id) }),
  listen: (id) => ({ host: m.host, port: nodePort(m, id) }),
  directoryPath: layout.genesis,
  eventsPath: (id) => layout.events(id),
});

/** Deterministic permutation of 1..n from the seed (Fisher–Yates over a sha256 counter stream). */
export function seededOrder(seed: string, label: string, n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    // 48 random bits per draw: the modulo bias is below 2^-30 for any n we run.
    const r = sha256('spinoza/order/v1\0', seed, '\0', label, '\0', String(i)).readUIntBE(0, 6);
    const j = r % (i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids;
}

/** Which node ids are dead and which unreliable: disjoint, seeded, within 1..nodes. */
export function selectRoles(m: Pick<Manifest, 'seed' | 'nodes' | 'faults'>): Roles {
  const order = seededOrder(m.seed, 'faults', m.nodes);
  const asc = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  const dead = asc(order.slice(0, m.faults.dead));
  const unreliable = asc(order.slice(m.faults.dead, m.faults.dead + m.faults.unreliable));
  const deadSet = new Set(dead);
  const live = Array.from({ length: m.nodes }, (_, i) => i + 1).filter((id) => !deadSet.has(id));
  return { dead, unreliable, live };
}

export function buildDirectory(
  m: Manifest,
  runId: string,
  address: Placement['address'] = (id) => ({ host: m.host, port: nodePort(m, id) }),
): DirectoryData {
  const nodes = Array.from({ length: m.nodes }, (_, i) => {
    const id = i + 1;
    return {
      id,
      ...address(id),
      publicKey: nodeKey(m.seed, id).publicKey.toString('base64'),
      // Dead nodes are UP too: the directory cannot know they will never answer.
      status: 'UP' as const,
    };
  });
  return {
    network: networkId(m.seed, runId),
    epoch: 0,
    neighborhoodSize: m.neighborhoodSize,
    nodes,
    initiators: [{ name: CLIENT_NAME, publicKey: clientKey(m.seed).publicKey.toString('base64') }],
    // Admission credentials for nodes that register later are this key's signatures (node/membership/admission.ts).
    authority: authorityKey(m.seed).publicKey.toString('base64'),
  };
}

/** Protocol parameters from the manifest: its top-level fields win over library defaults. */
export function protocolParams(m: Manifest): ProtocolParams {
  return ProtocolParams.parse({
    ...m.params,
    strategy: m.strategy,
    ...(m.treeFanout !== undefined && { treeFanout: m.treeFanout }),
    ...(m.gossipFanout !== undefined && { gossipFanout: m.gossipFanout }),
  });
}

/**
 * Opens the nodes' /control endpoints (impairment, probe): one per run, from seed and run id, so it is
 * reproducible. It keeps commands from driving the wrong run's nodes; it is not a secret.
 */
export const controlToken = (seed: string, runId: string): string =>
  sha256('spinoza/control/v1\0', seed, '\0', runId).toString('hex');

export function buildGenesis(m: Manifest, runId: string, layout: RunLayout, placement: Placement = localPlacement(m, layout)): Genesis {
  const directory = buildDirectory(m, runId, placement.address);
  const roles = selectRoles(m);
  const unreliable = new Set(roles.unreliable);
  const params = protocolParams(m);
  const token = controlToken(m.seed, runId);
  const impairment = initialProfile(m);
  // Built as values of the NodeConfig type, not parsed: every part is already valid, and parsing
  // each config would re-validate the whole directory N times (N² work at thousands of nodes).
  const configs = directory.nodes.map((entry): NodeConfig => ({
    id: entry.id,
    privateKey: nodeKey(m.seed, entry.id).seed.toString('hex'),
    listen: placement.listen(entry.id),
    // One genesis.json for all: inlining the directory would make N configs of O(N) bytes each.
    directoryPath: placement.directoryPath,
    params,
    behaviour: unreliable.has(entry.id)
      ? {
          kind: 'unreliable',
          dropRate: m.faults.unreliableDropRate,
          maxDelayMs: m.faults.unreliableMaxDelayMs,
          seed: `${m.seed}/unreliable/${entry.id}`,
        }
      : { kind: 'honest' },
    eventsPath: placement.eventsPath(entry.id),
    control: { token },
    ...(impairment && { impairment }),
  }));
  return { directory, roles, client: { name: CLIENT_NAME, key: clientKey(m.seed) }, configs };
}
