// In-process testnet for integration tests: N real nodes on real loopback sockets in this process.
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  deriveKeyPair, Directory, memorySink, signBroadcast, startNode, type Behaviour, type DirectoryData,
  type NodeEvent, type Proof, type ProtocolParams, type RunningNode, type StrategyName,
} from '../../node/index.js';
import type { ImpairmentProfileInput } from '../../node/impairment/index.js';
import { issueCredential } from '../../node/membership/admission.js';
import { enrol } from '../../node/membership/enrol.js';
import type { QuorumCertificate } from '../../node/wire/schemas.js';

export interface TestnetOptions {
  nodes: number;
  seed?: string;
  dead?: number[];
  unreliable?: number[];
  /** Nodes listed with status DOWN in the directory (and not started). */
  down?: number[];
  params?: Partial<ProtocolParams>;
  neighborhoodSize?: number;
  /** Control token for /control/* on every node (impairment tests); omitted: control disabled. */
  controlToken?: string;
  /** Impairment profile every node starts with. */
  impairment?: ImpairmentProfileInput;
  /** Test-only behaviours by node id (byzantine nodes); `unreliable` is shorthand for the seed's kind. */
  behaviours?: Record<number, Behaviour>;
}

export interface Testnet {
  dir: Directory;
  nodes: Map<number, RunningNode>;
  events: Map<number, NodeEvent[]>;
  live: number[];
  clientKey: ReturnType<typeof deriveKeyPair>;
  nodeKey(id: number): ReturnType<typeof deriveKeyPair>;
  url(id: number): string;
  /** Stops one node (as if killed); `start` brings it back with the same config and event log. */
  kill(id: number): Promise<void>;
  start(id: number): Promise<void>;
  /** A new node (key derived from `name`) registers by quorum through `via` and starts as the id it was given. */
  enrol(name: string, via: number): Promise<number>;
  /** The testnet authority's key: it issues admission credentials. */
  authority: ReturnType<typeof deriveKeyPair>;
  stop(): Promise<void>;
}

/** Reserves `n` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function startTestnet(o: TestnetOptions): Promise<Testnet> {
  const seed = o.seed ?? 'test';
  const genesisPorts = await freePorts(o.nodes);
  const ports = new Map(genesisPorts.map((p, i) => [i + 1, p]));
  const keys = new Map(Array.from({ length: o.nodes }, (_, i) => [i + 1, deriveKeyPair(seed, 'node', i + 1)]));
  const clientKey = deriveKeyPair(seed, 'client', 0);
  const authority = deriveKeyPair(seed, 'authority', 0);
  const data: DirectoryData = {
    network: `test-${randomBytes(4).toString('hex')}`,
    epoch: 0,
    neighborhoodSize: o.neighborhoodSize ?? 15,
    nodes: [...keys].map(([id, k]) => ({
      id, host: '127.0.0.1', port: ports.get(id)!, publicKey: k.publicKey.toString('base64'),
      status: (o.down ?? []).includes(id) ? ('DOWN' as const) : ('UP' as const),
    })),
    initiators: [{ name: 'client', publicKey: clientKey.publicKey.toString('base64') }],
    authority: authority.publicKey.toString('base64'),
  };
  /** What a node starts from: genesis, or for a registered node the directory and chain it was certified into. */
  const origins = new Map<number, { directory: DirectoryData; chain: QuorumCertificate[] }>();
  const dead = new Set([...(o.dead ?? []), ...(o.down ?? [])]);
  const unreliable = new Set(o.unreliable ?? []);
  const nodes = new Map<number, RunningNode>();
  const events = new Map<number, NodeEvent[]>();
  const live = data.nodes.map((n) => n.id).filter((id) => !dead.has(id));
  const start = async (id: number): Promise<void> => {
    const sink = memorySink(id);
    sink.events.push(...(events.get(id) ?? []));
    events.set(id, sink.events);
    const behaviour: Behaviour = o.behaviours?.[id] ?? (unreliable.has(id)
      ? { kind: 'unreliable', dropRate: 0.2, maxDelayMs: 200, seed: `${seed}/${id}` }
      : { kind: 'honest' });
    const origin = origins.get(id);
    // What the node delivered before a restart, as a process node reads it back from its event log.
    const previouslyDelivered = sink.events.flatMap((e) => (e.ev === 'delivered' ? [{ id: e.id, t: e.t }] : []));
    nodes.set(id, await startNode({
      id, privateKey: keys.get(id)!.seed.toString('hex'), listen: { host: '127.0.0.1', port: ports.get(id)! },
      directory: origin?.directory ?? data, params: o.params ?? {}, behaviour,
      ...(o.controlToken !== undefined && { control: { token: o.controlToken } }),
      ...(o.impairment !== undefined && { impairment: o.impairment }),
    }, { events: sink, previouslyDelivered, ...(origin && { chain: origin.chain }) }));
  };
  await Promise.all(live.map(start));
  return {
    start,
    kill: async (id) => {
      await nodes.get(id)?.stop();
      nodes.delete(id);
    },
    enrol: async (name, via) => {
      const key = deriveKeyPair(seed, name, 0);
      const [port] = await freePorts(1);
      const enrolled = await enrol({
        genesis: data, key, credential: issueCredential(authority, data.network, key.publicKey.toString('base64')),
        at: { host: '127.0.0.1', port: port! }, bootstrap: [`http://127.0.0.1:${ports.get(via)!}`],
      });
      keys.set(enrolled.id, key);
      ports.set(enrolled.id, port!);
      origins.set(enrolled.id, { directory: enrolled.directory, chain: enrolled.chain });
      live.push(enrolled.id);
      await start(enrolled.id);
      return enrolled.id;
    },
    authority,
    dir: new Directory(data), nodes, events, live, clientKey, nodeKey: (id) => keys.get(id)!,
    url: (id) => `ws://127.0.0.1:${ports.get(id)!}/`,
    stop: async () => { await Promise.all([...nodes.values()].map((n) => n.stop())); },
  };
}

/** Opens a raw socket to a node (for the trusted-client role and for bad input). */
export async function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return ws;
}

/** Waits for the first frame matching `pred`. */
export function nextFrame<T = Record<string, unknown>>(ws: WebSocket, pred: (f: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.off('message', on); reject(new Error('timed out waiting for a frame')); }, timeoutMs);
    const on = (data: WebSocket.RawData): void => {
      const f = JSON.parse(String(data)) as Record<string, unknown>;
      if (pred(f)) { clearTimeout(timer); ws.off('message', on); resolve(f as T); }
    };
    ws.on('message', on);
  });
}

let req = 0;
/**
 * Signs and submits a broadcast as the trusted client on a fresh socket. Resolves with the node's id
 * for it once accepted and, when `withProof`, after the entry's proof (awaited before the socket closes).
 */
async function submitOnce(net: Testnet, via: number, body: string, strategy: StrategyName | undefined, withProof: boolean): Promise<{ id: string; proof?: Proof }> {
  const ws = await openSocket(net.url(via));
  try {
    const msg = signBroadcast(net.clientKey, { net: net.dir.network, from: 'client', nonce: randomBytes(16).toString('hex'), ts: Date.now(), body });
    const r = ++req;
    const proof = withProof ? nextFrame<{ proof: Proof }>(ws, (f) => f.type === 'proof' && f.req === r) : undefined;
    const answer = nextFrame(ws, (f) => (f.type === 'accepted' || f.type === 'rejected') && f.req === r);
    ws.send(JSON.stringify({ type: 'submit', req: r, msg, ...(strategy ? { strategy } : {}) }));
    const a = await answer;
    if (a.type !== 'accepted') {
      proof?.catch(() => {}); // no proof will come
      throw new Error(`rejected by node ${via}: ${String(a.reason)} ${String(a.detail)}`);
    }
    return { id: a.id as string, ...(proof && { proof: (await proof).proof }) };
  } finally {
    ws.close();
  }
}

/** Signs and submits a broadcast as the trusted client; resolves with the entry's proof. */
export const broadcast = async (net: Testnet, via: number, body: string, strategy?: StrategyName): Promise<Proof> =>
  (await submitOnce(net, via, body, strategy, true)).proof!;

/** Submits a broadcast as the trusted client and resolves with its id once accepted (no proof awaited). */
export const publish = async (net: Testnet, via: number, body: string): Promise<string> =>
  (await submitOnce(net, via, body, undefined, false)).id;

/** Polls a condition until it holds (events arrive asynchronously); never a fixed sleep. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Received-relay counts per node for one message: 1 means exactly once. */
export function copiesPerNode(net: Testnet, id: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [node, evs] of net.events) out.set(node, evs.filter((e) => e.ev === 'received' && e.id === id).length);
  return out;
}
