// A node: directory, transport, broadcast engine, HTTP endpoints and event log, wired together.
// startNode() returns a handle; stop() tears down in reverse order.
import type { AddressInfo } from 'node:net';
import { keyPairFromSeed } from './crypto/index.js';
import { relayFate, startMischief, tamper } from './behaviour.js';
import { BroadcastEngine } from './broadcast/engine.js';
import { SeenSet } from './broadcast/seen.js';
import { NODE_CONFIG_NEEDS_ONE_DIRECTORY, NodeConfig, type NodeConfigInput } from './config.js';
import { Directory } from './directory/directory.js';
import { DirectoryData } from './directory/schema.js';
import { readFile } from 'node:fs/promises';
import { ndjsonSink, nullSink, type EventSink } from './events/sink.js';
import { deliveredBefore } from './events/replay.js';
import { ImpairmentController } from './impairment/controller.js';
import { Pinger } from './impairment/ping.js';
import { controlRoutes } from './impairment/routes.js';
import { joinRoute } from './membership/join-route.js';
import { MembershipService } from './membership/service.js';
import { Metrics } from './metrics.js';
import { createHttpServer } from './server/http.js';
import { DEFAULT_TRANSPORT_OPTIONS, Transport, type Link } from './transport/transport.js';
import { encodeFrame } from './wire/codec.js';
import type { ClientReply, InboundFrame, QuorumCertificate } from './wire/schemas.js';
import type { RejectReason, Verdict } from './wire/verdict.js';

export interface RunningNode {
  readonly id: number;
  readonly port: number;
  readonly metrics: Metrics;
  /** Adopts a newer directory snapshot (same network, higher epoch); returns false if refused. */
  setDirectory(data: DirectoryData): boolean;
  /** The directory snapshot in effect now. */
  directory(): DirectoryData;
  stop(): Promise<void>;
}

export interface NodeDeps {
  events?: EventSink;
  /** Messages delivered before a restart; default: read back from `eventsPath`. */
  previouslyDelivered?: { id: string; t: number }[];
  now?: () => number;
  /** Certificates from genesis to the starting directory: a registered node's chain (membership/enrol.ts). */
  chain?: QuorumCertificate[];
}

async function loadDirectory(config: NodeConfig): Promise<DirectoryData> {
  if ((config.directory === undefined) === (config.directoryPath === undefined)) throw new Error(NODE_CONFIG_NEEDS_ONE_DIRECTORY);
  return config.directory ?? readDirectoryFile(config.directoryPath!);
}

/** A directory JSON file (genesis.json), validated; the error names the file and the first bad field. */
export async function readDirectoryFile(path: string): Promise<DirectoryData> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
  const parsed = DirectoryData.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: not a directory: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export async function startNode(input: NodeConfigInput, deps: NodeDeps = {}): Promise<RunningNode> {
  const config = NodeConfig.parse(input);
  const now = deps.now ?? Date.now;
  const key = keyPairFromSeed(Buffer.from(config.privateKey, 'hex'));
  let directory = new Directory(await loadDirectory(config));
  const self = config.id;
  if (!directory.entry(self)) throw new Error(`node ${self} is not in its directory`);
  if (!directory.nodeKey(self)!.equals(key.publicKey)) throw new Error(`node ${self}'s key does not match the directory`);
  const events = deps.events ?? (config.eventsPath ? ndjsonSink(config.eventsPath, self, now) : nullSink);
  const metrics = new Metrics();
  const p = config.params;

  const onReject = (link: Link, reason: RejectReason, detail: string): void => {
    metrics.inc('spinoza_rejected_total', { reason });
    events.emit({ ev: 'rejected', reason, detail, peer: link.peer !== undefined ? `node:${link.peer}` : link.label });
  };
  const transport: Transport = new Transport(
    { self, key, directory: () => directory, now },
    { ...DEFAULT_TRANSPORT_OPTIONS, maxFrameBytes: p.maxFrameBytes, maxBodyBytes: p.maxBodyBytes, maxClockSkewMs: p.maxClockSkewMs },
    { onFrame: (link, frame, bytes) => onFrame(link, frame, bytes), onReject },
  );
  const behaviour = config.behaviour;
  const byzantineSends = behaviour.kind === 'corrupt' || behaviour.kind === 'forge-receipt';
  const engine = new BroadcastEngine({
    self, key, directory: () => directory, params: p, events, metrics, now,
    send: (peer, data, onFail) => transport.send(peer, byzantineSends ? tamper(behaviour, data, directory.members, now()) : data, onFail),
    onMisbehaviour: (node, kind, ref) => membership?.accuse(node, kind, ref),
    onWithheld: (peer, id) => membership?.onWithheld(peer, id),
  });
  // A restarted node remembers what it delivered (its own event log) and never delivers it twice.
  engine.markDelivered(deps.previouslyDelivered ?? (config.eventsPath ? await deliveredBefore(config.eventsPath, now() - p.replayWindowMs) : []));
  const copies = new SeenSet<number>(p.maxSeen, p.replayWindowMs); // copies of each relay seen (unreliable mode)
  const pinger = new Pinger({ send: (peer, data, onFail) => transport.send(peer, data, onFail) });
  const impairment = new ImpairmentController({ self, directory: () => directory, install: (s) => transport.setShaper(s), events, now });
  if (config.impairment) {
    const applied = impairment.apply(config.impairment);
    if (!applied.ok) throw new Error(`node ${self}: impairment.${applied.message}`);
  }

  // Failure detection and quorum-certified DOWN/UP (docs/membership.md); off unless params.membership.
  const membership = p.membership
    ? new MembershipService({
      self, key, directory: () => directory, adopt: (data) => setDirectory(data), events, params: p, now,
      send: (peer, data) => transport.send(peer, data), ...(deps.chain && { chain: deps.chain }),
    })
    : undefined;

  function setDirectory(data: DirectoryData): boolean {
    if (data.network !== directory.network || data.epoch <= directory.epoch) return false;
    directory = new Directory(data);
    events.emit({ ev: 'directory', epoch: directory.epoch, hash: directory.hash, members: directory.members.length });
    return true;
  }

  /** Counts a refused relay or repair; honest nodes verify before they pass a broadcast on, so a bad signature on an authenticated link is the sender's doing. */
  function refused(link: Link, peer: number, v: Verdict<string>): void {
    if (v.ok) return;
    onReject(link, v.reason, v.detail);
    if (v.reason === 'bad-signature') membership?.accuse(peer, 'bad-signature', v.detail);
  }

  function onFrame(link: Link, frame: Exclude<InboundFrame, { type: 'hello' | 'welcome' }>, bytes: number): void {
    const reply = (r: ClientReply): void => void link.send(encodeFrame(r));
    switch (frame.type) {
      case 'submit': {
        const v = engine.submit(frame.msg, frame.strategy, (proof) => reply({ type: 'proof', req: frame.req, proof }));
        if (v.ok) reply({ type: 'accepted', req: frame.req, id: v.value });
        else {
          onReject(link, v.reason, v.detail);
          reply({ type: 'rejected', req: frame.req, reason: v.reason, detail: v.detail });
        }
        return;
      }
      case 'get-proof':
        return reply({ type: 'proof', req: frame.req, proof: engine.proof(frame.id) ?? null });
    }
    const peer = link.peer;
    if (peer === undefined) return onReject(link, 'unauthenticated', `${frame.type} before hello`);
    switch (frame.type) {
      case 'relay': {
        // Links open to any listed node (rejoin needs that); relaying takes good standing.
        if (!directory.isMember(peer)) return onReject(link, 'not-in-good-standing', `relay from node ${peer}`);
        const process = (): void => refused(link, peer, engine.onRelay(peer, frame, bytes));
        if (config.behaviour.kind === 'honest') return process();
        const id = `${frame.msg.nonce}:${frame.msg.from}`;
        const copy = (copies.get(id, now()) ?? 0) + 1;
        copies.add(id, copy, now());
        const fate = relayFate(config.behaviour, id, copy);
        if (fate.kind === 'process') process();
        else if (fate.kind === 'delay') setTimeout(process, fate.ms);
        return;
      }
      case 'ack':
        return engine.onAck(peer, frame.id);
      case 'ping':
        return void link.send(encodeFrame({ type: 'pong', seq: frame.seq }));
      case 'pong':
        return pinger.onPong(peer, frame.seq);
      case 'receipts': {
        const v = engine.onReceipts(peer, frame);
        if (!v.ok) onReject(link, v.reason, v.detail);
        return;
      }
      // Anti-entropy is between members in good standing: a DOWN or suspended node catches up once it is UP again.
      case 'digest':
        return directory.isMember(peer) ? engine.onDigest(peer, frame) : undefined;
      case 'bucket-ids':
        return directory.isMember(peer) ? engine.onBucketIds(peer, frame) : undefined;
      case 'want':
        return directory.isMember(peer) ? engine.onWant(peer, frame) : undefined;
      case 'repair': {
        if (!directory.isMember(peer)) return onReject(link, 'not-in-good-standing', `repair from node ${peer}`);
        return refused(link, peer, engine.onRepair(peer, frame));
      }
      case 'probe':
        return membership?.onProbe(peer, frame);
      case 'probe-ack':
        return membership?.onProbeAck(peer, frame);
      case 'probe-req':
        return membership?.onProbeReq(peer, frame);
      case 'propose':
        return membership?.onPropose(peer, frame);
      case 'vote':
        return membership?.onVote(peer, frame);
      case 'certificates':
        return membership?.onCertificates(peer, frame);
      case 'accuse':
        return membership?.onAccuse(peer, frame);
      case 'request':
        return membership?.onRequest(peer, frame);
    }
  }

  const control = controlRoutes({ self, token: config.control?.token, directory: () => directory, impairment, pinger });
  const server = createHttpServer({
    self, directory: () => directory, metrics, proof: (id) => engine.proof(id), control,
    ...(membership && { membership: joinRoute({ network: () => directory.network, admit: (a) => membership.admit(a), maxBodyBytes: p.maxBodyBytes }) }),
  });
  transport.listen(server);
  metrics.gauge('spinoza_open_sockets', () => transport.openSockets);
  metrics.gauge('spinoza_directory_epoch', () => directory.epoch);
  // Process CPU (user + system) for the benchmark's CPU-per-broadcast figure; one node per process.
  metrics.gauge('process_cpu_seconds_total', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  metrics.gauge('process_resident_memory_bytes', () => process.memoryUsage.rss());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  events.emit({ ev: 'started', port, epoch: directory.epoch, pid: process.pid });
  engine.start();
  membership?.start();
  const stopMischief = startMischief(behaviour, {
    self, key, now, network: () => directory.network, members: () => directory.members,
    submit: (msg) => void engine.submit(msg, undefined, () => {}),
    send: (peer, data) => transport.send(peer, data),
  });

  return {
    id: self,
    port,
    metrics,
    setDirectory,
    directory: () => directory.data,
    async stop() {
      stopMischief();
      membership?.stop();
      engine.stop();
      pinger.stop();
      await transport.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      events.emit({ ev: 'stopped' });
      await events.close();
    },
  };
}
