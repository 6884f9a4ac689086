// WebSocket transport: one server port, authenticated links to peers, connection reuse,
// reconnect backoff, bounded send buffers. Frames are decoded once here and handed up typed.
import type { Server as HttpServer } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import { decodeFrame, encodeFrame, type WireLimits } from '../wire/codec.js';
import type { Hello, InboundFrame } from '../wire/schemas.js';
import { reject, type RejectReason } from '../wire/verdict.js';
import { SeenSet } from '../broadcast/seen.js';
import type { Shaper } from '../impairment/shaper.js';
import { checkHello, checkWelcome, makeHello, makeWelcome } from './handshake.js';

export interface TransportOptions extends WireLimits {
  /** Time allowed to connect and complete the hello/welcome exchange. */
  connectTimeoutMs: number;
  /** Backoff after a failed connection: doubles from min to max. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Bytes queued on a socket beyond which sends fail (the peer is then routed around). */
  highWaterBytes: number;
  maxClockSkewMs: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: Omit<TransportOptions, keyof WireLimits> = {
  connectTimeoutMs: 2000,
  backoffMinMs: 100,
  backoffMaxMs: 5000,
  highWaterBytes: 8 << 20,
  maxClockSkewMs: 30_000,
};

/** A socket, inbound or outbound; `peer` is set once the link is authenticated as a node. */
export interface Link {
  readonly label: string;
  peer: number | undefined;
  send(data: string): boolean;
  close(code?: number, reason?: string): void;
}

export interface TransportHandlers {
  onFrame(link: Link, frame: Exclude<InboundFrame, Hello | { type: 'welcome' }>, bytes: number): void;
  onReject(link: Link, reason: RejectReason, detail: string): void;
  /** A peer could not be reached; `data` frames queued for it were not sent. */
  onSendFailed?(peer: number, reason: string): void;
}

export interface TransportDeps {
  self: number;
  key: KeyPair;
  directory: () => Directory;
  now: () => number;
}

type SendFail = (reason: string) => void;
interface Dialing { ws: WebSocket; queue: { data: string; onFail: SendFail | undefined }[] }

export class Transport {
  private readonly wss: WebSocketServer;
  private readonly links = new Map<number, Link>();
  private readonly dialing = new Map<number, Dialing>();
  private readonly failures = new Map<number, { count: number; until: number }>();
  private readonly sockets = new Set<WebSocket>();
  private nextLabel = 0;
  /** Hello nonces seen within the skew window: a captured hello cannot be replayed. */
  private readonly helloNonces: SeenSet<true>;
  /** Userspace impairment (node/impairment/shaper.ts); null, the usual case, costs one check per frame. */
  private shaper: Shaper | null = null;

  constructor(private readonly deps: TransportDeps, private readonly opts: TransportOptions, private readonly handlers: TransportHandlers) {
    this.helloNonces = new SeenSet(100_000, 2 * opts.maxClockSkewMs);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes });
    this.wss.on('connection', (ws, req) => this.attach(ws, `in:${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, undefined));
  }

  /** Accepts WebSocket upgrades on an HTTP server (one port for HTTP and ws). */
  listen(server: HttpServer): void {
    server.on('upgrade', (req, socket, head) => this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req)));
  }

  /**
   * Sends to a node over an authenticated link, dialling if needed. `onFail` hears of failure,
   * always asynchronously: callers never re-enter their own state from inside send().
   */
  send(peer: number, data: string, fail?: SendFail): void {
    const onFail = fail && ((reason: string) => queueMicrotask(() => fail(reason)));
    const link = this.links.get(peer);
    if (link) {
      if (!link.send(data)) onFail?.('send buffer full');
      return;
    }
    const dialing = this.dialing.get(peer);
    if (dialing) {
      dialing.queue.push({ data, onFail });
      return;
    }
    const failed = this.failures.get(peer);
    if (failed && failed.until > this.deps.now()) {
      onFail?.('peer in reconnect backoff');
      return;
    }
    this.dial(peer, { data, onFail });
  }

  /** Puts `shaper` in the path of every node-to-node frame (null: none). Frames the old one held leave now, in order. */
  setShaper(shaper: Shaper | null): void {
    this.shaper?.flush();
    this.shaper = shaper;
  }

  /** Number of open sockets (for /metrics). */
  get openSockets(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    this.shaper?.stop();
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private dial(peer: number, first: Dialing['queue'][number]): void {
    const entry = this.deps.directory().entry(peer);
    if (!entry) {
      first.onFail?.('not in directory');
      return;
    }
    const ws = new WebSocket(`ws://${entry.host}:${entry.port}/`, {
      maxPayload: this.opts.maxFrameBytes,
      handshakeTimeout: this.opts.connectTimeoutMs,
      perMessageDeflate: false,
    });
    const dialing: Dialing = { ws, queue: [first] };
    this.dialing.set(peer, dialing);
    const hello = makeHello(this.deps.key, this.deps.directory().network, this.deps.self, peer, this.deps.now());
    const timer = setTimeout(() => fail('handshake timed out'), this.opts.connectTimeoutMs);
    const fail = (reason: string): void => {
      clearTimeout(timer);
      if (this.dialing.get(peer) !== dialing) return;
      this.dialing.delete(peer);
      const prev = this.failures.get(peer)?.count ?? 0;
      const wait = Math.min(this.opts.backoffMaxMs, this.opts.backoffMinMs * 2 ** prev);
      this.failures.set(peer, { count: prev + 1, until: this.deps.now() + wait });
      ws.terminate();
      for (const q of dialing.queue) q.onFail?.(reason);
      this.handlers.onSendFailed?.(peer, reason);
    };
    const link = this.attach(ws, `out:${peer}`, (w) => {
      const verdict = checkWelcome(w, this.deps.directory(), this.deps.self, peer, hello.nonce);
      if (!verdict.ok) {
        this.handlers.onReject(link, verdict.reason, verdict.detail);
        fail(`bad welcome: ${verdict.detail}`);
        return;
      }
      clearTimeout(timer);
      this.dialing.delete(peer);
      this.failures.delete(peer);
      link.peer = peer;
      this.links.set(peer, link);
      for (const q of dialing.queue) if (!link.send(q.data)) q.onFail?.('send buffer full');
    });
    ws.on('open', () => this.write(ws, peer, encodeFrame(hello)));
    ws.on('error', (e) => fail(e.message));
    ws.on('close', () => fail('closed during handshake'));
  }

  private attach(ws: WebSocket, label: string, onWelcome: ((w: Extract<InboundFrame, { type: 'welcome' }>) => void) | undefined): Link {
    this.sockets.add(ws);
    const link: Link = {
      label: `${label}#${this.nextLabel++}`,
      peer: undefined,
      send: (data) => {
        if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > this.opts.highWaterBytes) return false;
        return this.write(ws, link.peer, data);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(link, data, isBinary, onWelcome));
    ws.on('error', (e: Error & { code?: string }) => {
      // ws reports an over-limit frame as an error, then closes with 1009.
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.handlers.onReject(link, 'oversized', e.message);
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (link.peer !== undefined && this.links.get(link.peer) === link) this.links.delete(link.peer);
    });
    return link;
  }

  private onMessage(link: Link, data: RawData, isBinary: boolean, onWelcome: ((w: Extract<InboundFrame, { type: 'welcome' }>) => void) | undefined): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      this.handlers.onReject(link, 'malformed', 'binary frame; frames are JSON text');
      return;
    }
    const verdict = decodeFrame(buf, this.opts);
    if (!verdict.ok) {
      this.handlers.onReject(link, verdict.reason, verdict.detail);
      return;
    }
    const frame = verdict.value;
    // A grudge drops everything from that peer, hello and welcome included: dials to it time out.
    if (this.shaper !== null) {
      const from = link.peer ?? (frame.type === 'hello' || frame.type === 'welcome' ? frame.from : undefined);
      if (from !== undefined && this.shaper.dropsFrom(from)) return;
    }
    if (frame.type === 'hello') this.onHello(link, frame);
    else if (frame.type === 'welcome') {
      if (onWelcome) onWelcome(frame);
      else this.handlers.onReject(link, 'schema', 'unexpected welcome');
    } else this.handlers.onFrame(link, frame, buf.length);
  }

  /** Writes a frame, through the shaper when there is one and the peer is a node (clients are never shaped). */
  private write(ws: WebSocket, peer: number | undefined, data: string): boolean {
    const shaper = this.shaper;
    if (shaper === null || peer === undefined) {
      ws.send(data);
      return true;
    }
    return shaper.send(peer, data.length, () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    });
  }

  private onHello(link: Link, hello: Hello): void {
    const now = this.deps.now();
    const replayed = this.helloNonces.get(hello.nonce, now) === true;
    const verdict = replayed
      ? reject('replay', `hello nonce ${hello.nonce} seen before`)
      : checkHello(hello, this.deps.directory(), this.deps.self, now, this.opts.maxClockSkewMs);
    if (!verdict.ok) {
      this.handlers.onReject(link, verdict.reason, verdict.detail);
      link.close(4001, verdict.reason);
      return;
    }
    this.helloNonces.add(hello.nonce, true, now);
    link.peer = hello.from;
    this.links.set(hello.from, link);
    // It dialled us, so it is up: forget its reconnect backoff rather than fail sends to it.
    this.failures.delete(hello.from);
    link.send(encodeFrame(makeWelcome(this.deps.key, this.deps.directory().network, this.deps.self, hello)));
  }
}
