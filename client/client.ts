// The trusted client: signs broadcasts with an initiator key from the directory, submits them to one
// node over its WebSocket, waits for the delivery proof and verifies it from scratch.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { KeyPair } from '../node/crypto/index.js';
import { Directory } from '../node/directory/directory.js';
import type { DirectoryData } from '../node/directory/schema.js';
import { messageId, signBroadcast } from '../node/wire/messages.js';
import { ClientReply, type Proof, type StrategyName } from '../node/wire/schemas.js';
import { ClientError } from './errors.js';
import { summarizeProof, type DeliverySummary } from './summary.js';

export interface ClientOptions {
  /** The node's WebSocket URL, e.g. ws://127.0.0.1:7100 */
  url: string;
  /** The directory proofs are verified against, and whose network id broadcasts carry. */
  directory: Directory | DirectoryData;
  /** A trusted initiator listed in the directory, and its key. */
  initiator: { name: string; key: KeyPair };
  /** Default 5000. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Injected clock and nonce source (tests); default Date.now and 16 random bytes as hex. */
  now?: () => number;
  nonce?: () => string;
}

export interface WaitOptions {
  /** Give up after this long; default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BroadcastOptions extends WaitOptions {
  strategy?: StrategyName;
  /** Ids of the nodes running in this testnet; default: every member of the directory. */
  live?: Iterable<number>;
  /** Called as soon as the node accepts the broadcast, before its proof (chaos records accepted ids). */
  onAccepted?: (id: string) => void;
}

export interface BroadcastResult extends DeliverySummary {
  proof: Proof;
}

const DEFAULT_TIMEOUT_MS = 30_000;

type Reply = ClientReply;
interface Waiter {
  onReply(reply: Reply): void;
  fail(err: ClientError): void;
}

export class SpinozaClient {
  readonly directory: Directory;
  private readonly waiters = new Map<number, Waiter>();
  private nextReq = 1;
  private closedError: ClientError | undefined;

  private constructor(private readonly ws: WebSocket, private readonly opts: ClientOptions) {
    this.directory = opts.directory instanceof Directory ? opts.directory : new Directory(opts.directory);
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', () => this.failAll(new ClientError('closed', `${opts.url} closed the connection`)));
    ws.on('error', (e) => this.failAll(new ClientError('closed', `${opts.url}: ${e.message}`, undefined, { cause: e })));
  }

  /** Opens the socket; rejects with `connect-failed`, `timeout` or `aborted`. */
  static async connect(opts: ClientOptions): Promise<SpinozaClient> {
    const ws = new WebSocket(opts.url, { maxPayload: 256 << 20 });
    const timeoutMs = opts.connectTimeoutMs ?? 5_000;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: ClientError): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        ws.off('open', onOpen).off('error', onError);
        if (err) {
          ws.on('error', () => {}); // terminate() may still report the failed handshake
          ws.terminate();
          reject(err);
        } else resolve();
      };
      const onOpen = (): void => done();
      const onError = (e: Error): void =>
        done(new ClientError('connect-failed', `cannot connect to ${opts.url}: ${e.message}`, undefined, { cause: e }));
      const onAbort = (): void => done(new ClientError('aborted', `connecting to ${opts.url}: aborted`));
      const timer = setTimeout(() => done(new ClientError('timeout', `connecting to ${opts.url}: no answer in ${timeoutMs} ms`)), timeoutMs);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      ws.once('open', onOpen).once('error', onError);
    });
    return new SpinozaClient(ws, opts);
  }

  /**
   * Signs and submits `text`, waits for its delivery proof (complete, or partial after the node's
   * proof timeout) and verifies it. Rejects with `rejected` if the node refuses the broadcast.
   */
  async broadcast(text: string, options: BroadcastOptions = {}): Promise<BroadcastResult> {
    const msg = signBroadcast(this.opts.initiator.key, {
      net: this.directory.network,
      from: this.opts.initiator.name,
      nonce: this.opts.nonce?.() ?? randomBytes(16).toString('hex'),
      ts: this.opts.now?.() ?? Date.now(),
      body: text,
    });
    const id = messageId(msg);
    const proof = await this.request(
      { type: 'submit', msg, ...(options.strategy && { strategy: options.strategy }) },
      (reply) => {
        if (reply.type === 'rejected') {
          throw new ClientError('rejected', `broadcast refused: ${reply.reason}${reply.detail ? ` (${reply.detail})` : ''}`, reply.reason);
        }
        if (reply.type === 'accepted' && reply.id !== id) throw new ClientError('bad-reply', `node accepted ${reply.id}, we sent ${id}`);
        if (reply.type === 'accepted') options.onAccepted?.(id);
        if (reply.type !== 'proof') return undefined; // accepted: keep waiting for the proof
        if (reply.proof === null) throw new ClientError('bad-reply', `node answered the broadcast ${id} with no proof`);
        return reply.proof;
      },
      `waiting for the proof of ${id}`,
      options,
    );
    return { ...summarizeProof(proof, this.directory, options.live, id), proof };
  }

  /** The node's stored proof of message `id`, or null if it has none. */
  async getProof(id: string, options: WaitOptions = {}): Promise<Proof | null> {
    return this.request({ type: 'get-proof', id }, (reply) => {
      if (reply.type !== 'proof') throw new ClientError('bad-reply', `expected a proof reply, got ${reply.type}`);
      return reply.proof;
    }, `waiting for the proof of ${id}`, options);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.ws.terminate(), 1_000); // a node that never answers our close
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }

  /**
   * Sends a request frame and feeds every reply carrying its `req` to `handle` until it returns a
   * value (resolve) or throws (reject). Timeout, abort and socket close reject too.
   */
  private request<T>(frame: object, handle: (r: Reply) => T | undefined, what: string, options: WaitOptions): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const req = this.nextReq++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(req);
        fn();
      };
      const fail = (err: ClientError): void => finish(() => reject(err));
      const onAbort = (): void => fail(new ClientError('aborted', `${what}: aborted`));
      const timer = setTimeout(() => fail(new ClientError('timeout', `${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(req, {
        fail,
        onReply: (reply) => {
          try {
            const value = handle(reply);
            if (value !== undefined) finish(() => resolve(value));
          } catch (e) {
            fail(e instanceof ClientError ? e : new ClientError('bad-reply', String(e)));
          }
        },
      });
      this.ws.send(JSON.stringify({ ...frame, req }), (err) => {
        if (err) fail(new ClientError('closed', `sending to ${this.opts.url}: ${err.message}`, undefined, { cause: err }));
      });
    });
  }

  private onMessage(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return; // no req to route it by: nobody to tell
    }
    const reply = ClientReply.safeParse(json);
    if (reply.success) return this.waiters.get(reply.data.req)?.onReply(reply.data);
    // A reply to one of our requests that we cannot use: fail that request now rather than time out.
    const req = (json as { req?: unknown } | null)?.req;
    const issue = reply.error.issues[0];
    if (typeof req === 'number') {
      this.waiters.get(req)?.fail(new ClientError('bad-reply',
        `malformed reply from ${this.opts.url}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`));
    }
  }

  private failAll(err: ClientError): void {
    this.closedError ??= err;
    for (const w of [...this.waiters.values()]) w.fail(err);
  }
}

/** Connects a client: the factory form of SpinozaClient.connect. */
export const connectClient = (opts: ClientOptions): Promise<SpinozaClient> => SpinozaClient.connect(opts);
