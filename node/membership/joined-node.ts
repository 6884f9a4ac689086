// A node that joins by registration (the compose replicas): key from its state dir, address
// toward the registrar, registration, then a normal node that follows the registrar's directory.
import { join } from 'node:path';
import type { ProtocolParams } from '../config.js';
import { startNode, type RunningNode } from '../node.js';
import { admissionKey } from './authority.js';
import { DEFAULT_FOLLOW_OPTIONS, followDirectory, type FollowOptions } from './follow.js';
import { ownAddressToward } from './address.js';
import { loadOrCreateKey } from './identity.js';
import { fetchRegistrarHealth, register, retrying } from './join.js';

export interface JoinedNodeConfig {
  /** Registrar URL, e.g. http://registrar:7000 */
  registrar: string;
  admissionSecret: string;
  /** Where the node listens; the port is also the one it registers (so it cannot be 0). */
  listen: { host: string; port: number };
  /** Address registered in the directory; default: this host's IP toward the registrar. */
  advertise?: string;
  /** Holds the key (`key`) and, unless eventsPath says otherwise, the event log (`events.ndjson`). */
  stateDir: string;
  eventsPath?: string;
  /**
   * Authority key (base64) the directory must be signed with. Default: the key the registrar
   * names on /health, pinned from then on (trust on first use; docs/compose.md#trust).
   */
  authority?: string;
  params?: Partial<ProtocolParams>;
  /** Give up joining after this long (registrar not up, not answering). Default 300 s. */
  joinTimeoutMs?: number;
  follow?: Partial<FollowOptions>;
}

export interface JoinedNodeDeps {
  /** Progress lines for the process shell to print (library code never prints). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** The registrar forgot this node's network (follow.ts onLost); default: only logged. */
  onLost?: (problem: string) => void;
}

export interface JoinedNode {
  readonly id: number;
  readonly node: RunningNode;
  /** The key was registered before (a restarted container): its entry was reused. */
  readonly resumed: boolean;
  readonly host: string;
  stop(): Promise<void>;
}

export async function startJoinedNode(c: JoinedNodeConfig, deps: JoinedNodeDeps = {}): Promise<JoinedNode> {
  const log = deps.log ?? (() => {});
  if (c.listen.port === 0) throw new Error('a joining node needs a fixed port: it registers it before listening');
  const { key, created } = await loadOrCreateKey(join(c.stateDir, 'key'));
  log(`${created ? 'new' : 'kept'} key ${key.publicKey.toString('base64')}`);
  const retry = {
    timeoutMs: c.joinTimeoutMs ?? 300_000,
    ...(deps.signal && { signal: deps.signal }),
    onRetry: (e: Error, n: number) => log(`registrar not ready (attempt ${n}): ${e.message}`),
  };
  const registrar = new URL(c.registrar).href;
  const health = await retrying(() => fetchRegistrarHealth(registrar, deps.signal), retry);
  const authority = c.authority ?? health.authority;
  if (authority !== health.authority) throw new Error(`the registrar signs as ${health.authority}, not as the configured authority ${authority}`);
  const host = c.advertise ?? await ownAddressToward(new URL(registrar));
  const reg = await retrying(() => register({
    registrar, key, host, port: c.listen.port, admissionKey: admissionKey(c.admissionSecret), authority, network: health.network,
    ...(deps.signal && { signal: deps.signal }),
  }), retry);
  log(`${reg.resumed ? 'resumed' : 'registered'} as node ${reg.id} at ${host}:${c.listen.port}, directory epoch ${reg.directory.epoch}`);

  const node = await startNode({
    id: reg.id,
    privateKey: key.seed.toString('hex'),
    listen: c.listen,
    directory: reg.directory.data,
    eventsPath: c.eventsPath ?? join(c.stateDir, 'events.ndjson'),
    ...(c.params && { params: c.params }),
  });
  const follower = followDirectory({
    registrar, authority, network: health.network, epoch: reg.directory.epoch,
    onDirectory: (d) => void node.setDirectory(d.data),
    onProblem: (p) => log(`directory poll: ${p}`),
    onLost: deps.onLost ?? ((p) => log(`directory poll: ${p}`)),
  }, { ...DEFAULT_FOLLOW_OPTIONS, ...c.follow });

  return {
    id: reg.id, node, resumed: reg.resumed, host,
    async stop() {
      await follower.stop();
      await node.stop();
    },
  };
}
