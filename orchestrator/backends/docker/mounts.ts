// What a node container sees of the run's state dir, and as which user it runs.
//
// Bind mounts, not copies (putArchive): the node's event log must land in <runDir>/events/ on the
// host, where `report` and the checker read it while the run is up and after it is gone, and a
// bind mount is also what costs nothing per container. Each container mounts only its own config
// (its private key), genesis.json read-only, and the shared events dir read-write. This needs the
// engine on this machine (a unix socket); docs/docker.md says what to do otherwise.
import { chown } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Placement } from '../../genesis.js';
import type { RunLayout } from '../../state.js';
import { NODE_PORT, nodeIp, type Subnet16 } from './addressing.js';

/** Mount points inside a node container. */
export const MOUNT = {
  /** The NodeConfig, or a joiner's EnrolConfig. */
  config: '/run/spinoza/node.json',
  genesis: '/run/spinoza/genesis.json',
  events: '/run/spinoza/events',
  /** A joiner's own folder, where it keeps its admission across restarts. */
  state: '/run/spinoza/state',
} as const;

/** The image's `node` user (uid/gid 1000 in the official Node images and in our base). */
export const IMAGE_UID = 1000;

/** The docker backend's placement: static IPs on the run's /16, port 7000, mounted paths. */
export const dockerPlacement = (subnet: Subnet16): Placement => ({
  address: (id) => ({ host: nodeIp(subnet, id), port: NODE_PORT }),
  listen: () => ({ host: '0.0.0.0', port: NODE_PORT }),
  directoryPath: MOUNT.genesis,
  eventsPath: (id) => `${MOUNT.events}/node-${id}.ndjson`,
});

export const binds = (layout: RunLayout, id: number): string[] => [
  `${layout.nodeConfig(id)}:${MOUNT.config}:ro`,
  `${layout.genesis}:${MOUNT.genesis}:ro`,
  `${dirname(layout.events(id))}:${MOUNT.events}:rw`,
];

/** Joiner k's mounts: its EnrolConfig instead of a NodeConfig, and its own writable folder. */
export const joinerBinds = (layout: RunLayout, k: number): string[] => [
  `${layout.joinerConfig(k)}:${MOUNT.config}:ro`,
  `${layout.genesis}:${MOUNT.genesis}:ro`,
  `${dirname(layout.joinerEvents(k))}:${MOUNT.events}:rw`,
  `${layout.joinerState(k)}:${MOUNT.state}:rw`,
];

/**
 * The container user that can read its 0600 config and write the events dir. A non-root host user
 * owns those files, so the container runs as that uid:gid. Root owns them when `spinoza` runs as
 * root, and a node must never run as root: the files then go to the image's uid 1000 (their keys
 * derive from the manifest's seed anyway, so this reveals nothing the manifest does not).
 * Returns the `User` to set, or undefined to keep the image's.
 */
export async function prepareOwnership(layout: RunLayout, ids: readonly number[]): Promise<string | undefined> {
  return ownFiles(layout, ids.map((id) => layout.nodeConfig(id)));
}

/** The same for joiner k: its EnrolConfig and its state folder. */
export async function prepareJoinerOwnership(layout: RunLayout, k: number): Promise<string | undefined> {
  return ownFiles(layout, [layout.joinerConfig(k), layout.joinerState(k)]);
}

async function ownFiles(layout: RunLayout, files: readonly string[]): Promise<string | undefined> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return undefined; // no POSIX ids: the engine maps files itself
  if (uid !== 0) return `${uid}:${gid}`;
  const events = dirname(layout.events(1));
  await chown(events, IMAGE_UID, IMAGE_UID);
  for (const file of files) await chown(file, IMAGE_UID, IMAGE_UID);
  return undefined;
}
