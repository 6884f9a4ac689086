// Joining a testnet by registration: build a request (pure), send it to the registrar, and resume
// an earlier registration of the same key after a restart (docs/compose.md#registration).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import { PROTOCOL_VERSION } from '../wire/schemas.js';
import { admissionCredential, openSignedDirectory, proveKeyPossession, type RegisterFields } from './credential.js';
import { RegisterAccepted, RegisterRefused, RegistrarHealth, SignedDirectory, type RegisterRequest } from './schema.js';

export interface RequestInput {
  key: KeyPair;
  network: string;
  host: string;
  port: number;
  /** 32-byte admission key (authority.ts admissionKey); omitted: the request carries no credential. */
  admissionKey?: Uint8Array;
  ts: number;
  /** 32 hex chars; default 16 random bytes. */
  nonce?: string;
}

/** A signed registration request with its admission credential. Pure but for the default nonce. */
export function buildRegisterRequest(i: RequestInput): RegisterRequest {
  const fields: RegisterFields = {
    network: i.network, publicKey: i.key.publicKey.toString('base64'), host: i.host, port: i.port, ts: i.ts,
    nonce: i.nonce ?? randomBytes(16).toString('hex'),
  };
  return {
    v: PROTOCOL_VERSION, ...fields, proof: proveKeyPossession(i.key, fields),
    ...(i.admissionKey && { credential: admissionCredential(i.admissionKey, fields) }),
  };
}

/** A failure joining: `refused` carries the registrar's reason; the others are worth a retry. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(readonly code: 'refused' | 'unreachable' | 'bad-answer' | 'untrusted-directory', message: string, readonly reason?: string) {
    super(message);
  }
}

export interface Registration {
  id: number;
  directory: Directory;
  /** True when the key was registered before (a restarted container) and the entry was reused. */
  resumed: boolean;
}

export interface RegisterOptions {
  registrar: string;
  key: KeyPair;
  host: string;
  port: number;
  admissionKey: Uint8Array;
  /** The authority key (base64) the directory must be signed with. */
  authority: string;
  network: string;
  now?: () => number;
  signal?: AbortSignal;
}

/**
 * Registers `key` at host:port. When the registrar says the key is registered already (this node
 * registered, then restarted), the node resumes its entry if the address is the same.
 */
export async function register(o: RegisterOptions): Promise<Registration> {
  const req = buildRegisterRequest({ ...o, ts: (o.now ?? Date.now)() });
  const res = await call(o.registrar, '/register', o.signal, { method: 'POST', body: JSON.stringify(req), headers: { 'content-type': 'application/json' } });
  const body = await res.json().catch(() => undefined) as unknown;
  if (res.status === 200) {
    const ok = RegisterAccepted.safeParse(body);
    if (!ok.success) throw new JoinError('bad-answer', 'the registrar accepted but its answer has the wrong shape');
    return { id: ok.data.id, directory: trusted(ok.data.directory, o.authority), resumed: false };
  }
  const refused = RegisterRefused.safeParse(body);
  if (!refused.success) throw new JoinError('unreachable', `the registrar answered HTTP ${res.status}`);
  if (refused.data.error === 'key-reused') return resume(o);
  throw new JoinError('refused', `registration refused: ${refused.data.error} (${refused.data.detail})`, refused.data.error);
}

async function resume(o: RegisterOptions): Promise<Registration> {
  const directory = trusted(await fetchSignedDirectory(o.registrar, o.signal), o.authority);
  const publicKey = o.key.publicKey.toString('base64');
  const entry = directory.data.nodes.find((n) => n.publicKey === publicKey);
  if (!entry) throw new JoinError('bad-answer', 'the registrar says the key is registered but its directory does not list it');
  if (entry.host !== o.host || entry.port !== o.port) {
    throw new JoinError('refused', `this key is registered as node ${entry.id} at ${entry.host}:${entry.port}, not ${o.host}:${o.port}; ` +
      'moving a node is a rejoin (issue 5); remove the key file to join as a new node', 'key-reused');
  }
  return { id: entry.id, directory, resumed: true };
}

function trusted(s: SignedDirectory, authority: string): Directory {
  const check = openSignedDirectory(s, authority);
  if (!check.ok) throw new JoinError('untrusted-directory', `directory from the registrar: ${check.problem}`);
  return check.directory;
}

/** GET /health of the registrar. */
export async function fetchRegistrarHealth(registrar: string, signal?: AbortSignal): Promise<RegistrarHealth> {
  const res = await call(registrar, '/health', signal);
  const body = RegistrarHealth.safeParse(await res.json().catch(() => undefined));
  if (!body.success) throw new JoinError('bad-answer', `${new URL('/health', registrar).href} is not a registrar's (HTTP ${res.status})`);
  return body.data;
}

/** GET /directory: the current signed snapshot (unchecked; see openSignedDirectory). */
export async function fetchSignedDirectory(registrar: string, signal?: AbortSignal): Promise<SignedDirectory> {
  const res = await call(registrar, '/directory', signal);
  const body = SignedDirectory.safeParse(await res.json().catch(() => undefined));
  if (!body.success) throw new JoinError('bad-answer', `${new URL('/directory', registrar).href} gave no directory (HTTP ${res.status})`);
  return body.data;
}

async function call(registrar: string, path: string, signal: AbortSignal | undefined, init: RequestInit = {}): Promise<Response> {
  const signals = [AbortSignal.timeout(10_000), ...(signal ? [signal] : [])];
  try {
    return await fetch(new URL(path, registrar), { ...init, signal: AbortSignal.any(signals) });
  } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new JoinError('unreachable', `${new URL(path, registrar).href}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

export interface RetryOptions {
  /** Give up after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told before each wait (the shell logs it). */
  onRetry?: (err: JoinError, attempt: number) => void;
}

/** Retries `op` while it fails for a passing reason (unreachable, bad answer), with capped backoff. */
export async function retrying<T>(op: () => Promise<T>, o: RetryOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (let attempt = 1, backoffMs = 100; ; attempt++, backoffMs = Math.min(backoffMs * 2, 2_000)) {
    try {
      return await op();
    } catch (e) {
      const passing = e instanceof JoinError && (e.code === 'unreachable' || e.code === 'bad-answer');
      if (!passing || Date.now() + backoffMs > deadline) throw e;
      o.onRetry?.(e, attempt);
      // Jitter: 200 replicas started together must not retry in lockstep.
      await delay(backoffMs * (0.5 + Math.random()), undefined, o.signal ? { signal: o.signal } : {});
    }
  }
}
