// Genesis: keys, directory, fault roles and node configs as pure functions of manifest + seed (+ run id).
// Same manifest and seed give the same keys, ids and directory; only the network id is salted per run.
import { deriveKeyPair, sha256, type KeyPair } from '../node/crypto/index.js';
import { authorityKey, CLIENT_NAME, clientKey, networkId } from '../node/membership/authority.js';
import { Behaviour, ProtocolParams, type EnrolConfig, type NodeConfig } from '../node/config.js';
import { issueCredential } from '../node/membership/admission.js';
import type { DirectoryData } from '../node/directory/schema.js';
import { initialProfile } from './impair/profiles.js';
import { BYZANTINE_KINDS, type ByzantineKind, type Manifest } from './manifest.js';
import type { RunLayout } from './state.js';

// Shared with the compose registrar, which derives the same from its seed (node/membership/authority.ts).
export { CLIENT_NAME, clientKey, networkId };

export interface Roles {
  /** In the directory, status UP, never started: they never answer (as the seed's dead instances). */
  dead: number[];
  /** Started with the `unreliable` behaviour. */
  unreliable: number[];
  /**
   * Started with a byzantine behaviour (manifest faults.byzantine), ascending by id. Not in `live`:
   * nobody counts on them to deliver, and the other members suspend them (docs/membership.md#misbehaviour).
   */
  byzantine: { id: number; kind: ByzantineKind }[];
  /** Every started node expected to deliver (honest and unreliable), ascending. */
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
/** The key of the k-th node `spinoza join` adds (k counts on across calls; run.json keeps it). */
export const joinerKey = (seed: string, k: number): KeyPair => deriveKeyPair(seed, 'joiner', k);
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

/**
 * Which node ids are dead, unreliable and byzantine (of which kind): disjoint, seeded, within 1..nodes.
 * One seeded order is cut in that sequence, so adding byzantine nodes leaves dead and unreliable as they were.
 */
export function selectRoles(m: Pick<Manifest, 'seed' | 'nodes' | 'faults'>): Roles {
  const order = seededOrder(m.seed, 'faults', m.nodes);
  const asc = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  let next = 0;
  const take = (n: number): number[] => order.slice(next, (next += n));
  const dead = asc(take(m.faults.dead));
  const unreliable = asc(take(m.faults.unreliable));
  const byzantine = BYZANTINE_KINDS.flatMap((kind) => take(m.faults.byzantine[kind]).map((id) => ({ id, kind })))
    .sort((a, b) => a.id - b.id);
  const out = new Set([...dead, ...byzantine.map((b) => b.id)]);
  const live = Array.from({ length: m.nodes }, (_, i) => i + 1).filter((id) => !out.has(id));
  return { dead, unreliable, byzantine, live };
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

/** A byzantine kind with its behaviour's defaults (e.g. equivocate's period, flood's rate). */
export const byzantineBehaviour = (kind: ByzantineKind): Behaviour => Behaviour.parse({ kind });

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
  const byzantine = new Map(roles.byzantine.map((b) => [b.id, byzantineBehaviour(b.kind)]));
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
      : byzantine.get(entry.id) ?? { kind: 'honest' },
    eventsPath: placement.eventsPath(entry.id),
    control: { token },
    ...(impairment && { impairment }),
  }));
  return { directory, roles, client: { name: CLIENT_NAME, key: clientKey(m.seed) }, configs };
}

/** Where a joining node lives and what it opens, as the node sees it (the backend decides; see Placement). */
export interface JoinerPlacement {
  /** How peers reach it: what its directory entry will list once it is admitted. */
  advertise: { host: string; port: number };
  listen: { host: string; port: number };
  /** genesis.json, the event log and the admission record, as paths the node opens. */
  directoryPath: string;
  eventsPath: string;
  enrolledPath: string;
}

/**
 * The EnrolConfig of joiner `k` (node/main.ts --enrol): its key from the seed, the authority's
 * credential for that key, the run's parameters and control token, and members to ask.
 */
export function buildEnrolConfig(m: Manifest, runId: string, network: string, k: number, place: JoinerPlacement, bootstrap: string[]): EnrolConfig {
  const key = joinerKey(m.seed, k);
  const impairment = initialProfile(m);
  return {
    privateKey: key.seed.toString('hex'),
    listen: place.listen,
    advertise: place.advertise,
    directoryPath: place.directoryPath,
    enrolledPath: place.enrolledPath,
    eventsPath: place.eventsPath,
    credential: issueCredential(authorityKey(m.seed), network, key.publicKey.toString('base64')),
    bootstrap,
    params: protocolParams(m),
    behaviour: { kind: 'honest' },
    control: { token: controlToken(m.seed, runId) },
    ...(impairment && { impairment }),
  };
}
