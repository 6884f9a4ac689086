// The registrar's functional core: checks a registration request and admits it into the directory.
// No sockets, no clock of its own: the caller passes `now` (docs/compose.md#registration).
import { SeenSet } from '../broadcast/seen.js';
import type { DirectoryData, DirectoryEntry, TrustedInitiator } from '../directory/schema.js';
import { credentialMatches, proofValid } from './credential.js';
import { RegisterRequest, type RegisterRefusal } from './schema.js';

export interface RegistryOptions {
  /** Largest accepted |now − ts| of a request. Default 30 s (as ProtocolParams.maxClockSkewMs). */
  maxClockSkewMs: number;
  /** Nonces remembered at once; requests are only fresh for 2 × maxClockSkewMs. Default 100,000. */
  maxNonces: number;
  /** Bound on registered nodes. Default 10,000. */
  maxNodes: number;
  /** Directory neighborhood size. Default 15, as in the seed. */
  neighborhoodSize: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  maxClockSkewMs: 30_000,
  maxNonces: 100_000,
  maxNodes: 10_000,
  neighborhoodSize: 15,
};

export interface RegistryGenesis {
  network: string;
  initiators: TrustedInitiator[];
  /** 32-byte HMAC key of admission credentials (authority.ts admissionKey). */
  admissionKey: Uint8Array;
}

export type RegisterVerdict =
  | { ok: true; value: RegisterRequest }
  | { ok: false; reason: RegisterRefusal; detail: string };

const refuse = (reason: RegisterRefusal, detail: string): RegisterVerdict => ({ ok: false, reason, detail });

export class Registry {
  private readonly entries: DirectoryEntry[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();
  private readonly nonces: SeenSet<true>;
  private epochValue = 0;

  constructor(private readonly genesis: RegistryGenesis, readonly options: RegistryOptions = DEFAULT_REGISTRY_OPTIONS) {
    this.nonces = new SeenSet(options.maxNonces, 2 * options.maxClockSkewMs);
  }

  get network(): string { return this.genesis.network; }
  /** Bumped by every admission; 0 while nobody has registered. */
  get epoch(): number { return this.epochValue; }
  get size(): number { return this.entries.length; }

  /** The directory at the current epoch, or undefined while it has no node. */
  snapshot(): DirectoryData | undefined {
    if (this.entries.length === 0) return undefined;
    // Keys in the schema's order: the directory hash is over JSON text, and a receiver's parse
    // (zod) rebuilds objects in that order, so sender and receiver hash the same bytes.
    return {
      network: this.genesis.network,
      epoch: this.epochValue,
      neighborhoodSize: this.options.neighborhoodSize,
      nodes: this.entries.map((e) => ({ ...e })),
      initiators: this.genesis.initiators.map((i) => ({ name: i.name, publicKey: i.publicKey })),
    };
  }

  /** Id of the node registered with this key (base64), if any. */
  idOf(publicKey: string): number | undefined { return this.byKey.get(publicKey); }

  /** Cheapest check first: shape, network, credential present, time, nonce, credential, proof, directory. */
  check(input: unknown, now: number): RegisterVerdict {
    const parsed = RegisterRequest.safeParse(input);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return refuse('malformed', i ? `${i.path.join('.') || 'request'}: ${i.message}` : 'invalid request');
    }
    const r = parsed.data;
    if (r.network !== this.genesis.network) return refuse('wrong-network', `request for ${r.network}, this is ${this.genesis.network}`);
    if (r.credential === undefined) return refuse('missing-credential', 'no admission credential; the compose setup provides SPINOZA_ADMISSION_SECRET');
    const skew = r.ts - now;
    if (Math.abs(skew) > this.options.maxClockSkewMs) return refuse('clock-skew', `request time is ${skew} ms from ours`);
    if (this.nonces.get(r.nonce, now)) return refuse('replay', `nonce ${r.nonce} was used already`);
    if (!credentialMatches(this.genesis.admissionKey, r, r.credential)) {
      return refuse('bad-credential', 'the credential was not made with this testnet\'s admission secret for this request');
    }
    if (!proofValid(r, r.proof)) return refuse('bad-proof', 'the proof is not a signature of the request by its key');
    // The request is authentic: its nonce is spent from here on, whatever the directory says next.
    this.nonces.add(r.nonce, true, now);
    const owner = this.byKey.get(r.publicKey);
    if (owner !== undefined) return refuse('key-reused', `the key is registered already as node ${owner}`);
    const at = this.byAddress.get(address(r));
    if (at !== undefined) return refuse('address-in-use', `node ${at} is registered at ${address(r)}`);
    if (this.entries.length >= this.options.maxNodes) return refuse('directory-full', `the directory holds ${this.options.maxNodes} nodes, its bound`);
    return { ok: true, value: r };
  }

  /** Admits a checked request: the next id, status UP, and a new epoch. */
  admit(r: RegisterRequest): { id: number; epoch: number } {
    const id = this.entries.length + 1;
    this.entries.push({ id, host: r.host, port: r.port, publicKey: r.publicKey, status: 'UP' });
    this.byKey.set(r.publicKey, id);
    this.byAddress.set(address(r), id);
    this.epochValue += 1;
    return { id, epoch: this.epochValue };
  }

  /** check, then admit when accepted. */
  register(input: unknown, now: number): { ok: true; id: number; epoch: number } | Extract<RegisterVerdict, { ok: false }> {
    const v = this.check(input, now);
    return v.ok ? { ok: true, ...this.admit(v.value) } : v;
  }

  /** Reloads a persisted directory (registrar restart). Only into an empty registry of the same network. */
  restore(data: DirectoryData): void {
    if (this.entries.length > 0) throw new Error('restore into a registry that has entries');
    if (data.network !== this.genesis.network) throw new Error(`saved directory is for ${data.network}, not ${this.genesis.network}`);
    for (const e of data.nodes) {
      if (e.id !== this.entries.length + 1) throw new Error(`saved directory has node ${e.id} out of order`);
      this.entries.push({ ...e });
      this.byKey.set(e.publicKey, e.id);
      this.byAddress.set(address(e), e.id);
    }
    this.epochValue = data.epoch;
  }
}

const address = (a: { host: string; port: number }): string => `${a.host}:${a.port}`;
