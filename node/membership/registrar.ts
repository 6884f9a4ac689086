// The compose testnet's registrar (the testnet authority): admits joining nodes into the directory
// and serves it. HTTP: POST /register, GET /directory[?after=EPOCH&network=ID&waitMs=MS], GET /health,
// GET /metrics. The decisions are Registry's (registry.ts); this is the shell around it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KeyPair } from '../crypto/index.js';
import { Metrics } from '../metrics.js';
import { CLIENT_NAME, admissionKey, authorityKey, clientKey, networkId } from './authority.js';
import { signDirectory } from './credential.js';
import { registrarNdjsonSink, type RegistrarSink } from './registrar-events.js';
import { loadRegistrarState, newRunId, stateWriter } from './registrar-state.js';
import { DEFAULT_REGISTRY_OPTIONS, Registry, type RegistryOptions } from './registry.js';
import { REGISTER_REFUSALS, type RegisterRefusal, type RegistrarHealth } from './schema.js';

export interface RegistrarConfig {
  /** Run seed: the authority key, the client key and (with the run id) the network id derive from it. */
  seed: string;
  /** The secret admission credentials are made with (docs/compose.md#trust). */
  admissionSecret: string;
  listen: { host: string; port: number };
  /** Salt of the network id; default: the saved one, else a fresh random id. */
  runId?: string;
  /** Where the state (registrar.json) and the event log (registrar.ndjson) go; omitted: memory only. */
  stateDir?: string;
  registry?: Partial<RegistryOptions>;
  /** Longest hold of a GET /directory?after= poll. Default 60 s. */
  maxWaitMs?: number;
  /** Bound on polls held at once; past it a poll is answered at once. Default 20,000. */
  maxWaiters?: number;
}

export interface RegistrarDeps {
  now?: () => number;
  events?: RegistrarSink;
}

export interface RunningRegistrar {
  readonly port: number;
  readonly network: string;
  readonly authority: KeyPair;
  readonly registry: Registry;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export const STATUS: Record<RegisterRefusal, number> = {
  malformed: 400, 'wrong-network': 400, 'clock-skew': 400, 'missing-credential': 401, 'bad-credential': 403,
  'bad-proof': 403, replay: 409, 'key-reused': 409, 'address-in-use': 409, 'directory-full': 503,
};
const MAX_REQUEST_BYTES = 16 << 10;

interface Waiter { after: number; res: ServerResponse; timer: NodeJS.Timeout }

export async function startRegistrar(config: RegistrarConfig, deps: RegistrarDeps = {}): Promise<RunningRegistrar> {
  const now = deps.now ?? Date.now;
  const statePath = config.stateDir && join(config.stateDir, 'registrar.json');
  const saved = statePath ? await loadRegistrarState(statePath) : undefined;
  const runId = saved?.runId ?? config.runId ?? newRunId();
  const network = networkId(config.seed, runId);
  const authority = authorityKey(config.seed);
  const registry = new Registry(
    { network, admissionKey: admissionKey(config.admissionSecret), initiators: [{ name: CLIENT_NAME, publicKey: clientKey(config.seed).publicKey.toString('base64') }] },
    { ...DEFAULT_REGISTRY_OPTIONS, ...config.registry },
  );
  if (saved?.directory) registry.restore(saved.directory);
  const save = statePath ? stateWriter(statePath) : async () => {};
  const events = deps.events ?? (config.stateDir ? registrarNdjsonSink(join(config.stateDir, 'registrar.ndjson'), now) : { emit: () => {}, close: async () => {} });
  const metrics = new Metrics();
  for (const reason of REGISTER_REFUSALS) metrics.inc('spinoza_registrations_refused_total', { reason }, 0);
  metrics.gauge('spinoza_directory_epoch', () => registry.epoch);
  metrics.gauge('spinoza_directory_nodes', () => registry.size);
  const waiters = new Set<Waiter>();
  const maxWaitMs = config.maxWaitMs ?? 60_000;
  const maxWaiters = config.maxWaiters ?? 20_000;

  // One signed body per epoch, made when first asked for: every poller of an epoch gets these bytes.
  let cached: { epoch: number; body: string } | undefined;
  const signedBody = (): string | undefined => {
    const data = registry.snapshot();
    if (!data) return undefined;
    if (cached?.epoch !== data.epoch) cached = { epoch: data.epoch, body: JSON.stringify(signDirectory(authority, data)) };
    return cached.body;
  };
  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, JSON.stringify(body));
  const wake = (): void => {
    const body = signedBody();
    if (body === undefined) return;
    for (const w of waiters) {
      if (registry.epoch <= w.after) continue;
      clearTimeout(w.timer);
      waiters.delete(w);
      send(w.res, 200, body);
    }
  };

  const health = (): RegistrarHealth => ({
    ok: true, role: 'registrar', network, epoch: registry.epoch, nodes: registry.size, authority: authority.publicKey.toString('base64'),
  });

  function getDirectory(res: ServerResponse, url: URL): void {
    const afterParam = url.searchParams.get('after');
    const after = afterParam === null ? -1 : Number(afterParam);
    if (!Number.isSafeInteger(after)) return json(res, 400, { error: 'after must be an integer epoch' });
    const body = signedBody();
    if (registry.epoch > after && body !== undefined) return send(res, 200, body);
    if (afterParam === null) return json(res, 404, { error: 'empty', detail: 'no node has registered yet' });
    // A poller ahead of us, or of another network, holds a directory this registrar never made:
    // this registrar lost its state (its container was recreated). Waiting would hang it forever.
    const theirs = url.searchParams.get('network');
    if (after > registry.epoch || (theirs !== null && theirs !== network)) {
      return json(res, 409, { error: 'unknown-directory', detail: `this registrar serves ${network} at epoch ${registry.epoch}` });
    }
    const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0) || 0, maxWaitMs);
    if (waitMs <= 0 || waiters.size >= maxWaiters) return void res.writeHead(204).end();
    const w: Waiter = { after, res, timer: setTimeout(() => { waiters.delete(w); res.writeHead(204).end(); }, waitMs) };
    waiters.add(w);
    res.on('close', () => { clearTimeout(w.timer); waiters.delete(w); });
  }

  async function postRegister(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const refuse = (reason: RegisterRefusal, detail: string): void => {
      metrics.inc('spinoza_registrations_refused_total', { reason });
      events.emit({ ev: 'refused', reason, detail, peer });
      json(res, STATUS[reason], { error: reason, detail });
    };
    const text = await readBody(req, MAX_REQUEST_BYTES);
    if (text === undefined) {
      res.setHeader('connection', 'close'); // the rest of the body is not worth reading
      return refuse('malformed', `request body over ${MAX_REQUEST_BYTES} bytes`);
    }
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return refuse('malformed', 'request body is not JSON');
    }
    const v = registry.check(input, now());
    if (!v.ok) return refuse(v.reason, v.detail);
    // check and admit run in one turn (no await between): ids and epochs never interleave.
    const { id, epoch } = registry.admit(v.value);
    metrics.inc('spinoza_registrations_total');
    events.emit({ ev: 'registered', id, host: v.value.host, port: v.value.port, publicKey: v.value.publicKey, epoch });
    // Saved before anyone hears of it: a registrar restart never forgets an answered registration.
    await save({ runId, directory: registry.snapshot() ?? null });
    send(res, 200, `{"id":${id},"directory":${signedBody()!}}`);
    wake();
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registrar');
    if (req.method === 'POST' && url.pathname === '/register') {
      postRegister(req, res).catch((e: unknown) => json(res, 500, { error: 'internal', detail: (e as Error).message }));
      return;
    }
    if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' });
    if (url.pathname === '/health') return json(res, 200, health());
    if (url.pathname === '/directory') return getDirectory(res, url);
    if (url.pathname === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
    json(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  events.emit({ ev: 'started', port, network, epoch: registry.epoch, nodes: registry.size });

  return {
    port, network, authority, registry, metrics,
    async stop() {
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      events.emit({ ev: 'stopped' });
      await events.close();
    },
  };
}

/** The request body as text, or undefined past `max` bytes. */
export function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
