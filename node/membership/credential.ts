// Signing bytes of a registration, its admission credential and proof of possession, and the
// authority's signature over directory snapshots. Pure functions (docs/compose.md#registration).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalBytes, sign, verify, type KeyPair } from '../crypto/index.js';
import { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import type { RegisterRequest, SignedDirectory } from './schema.js';

export type RegisterFields = Pick<RegisterRequest, 'network' | 'publicKey' | 'host' | 'port' | 'ts' | 'nonce'>;

/**
 * What both the proof of possession and the credential cover: the network, the key, the address it
 * will serve on, the time and a fresh nonce. Lifting either onto another key, address or request fails.
 */
export const registerBytes = (f: RegisterFields): Buffer =>
  canonicalBytes('register', [f.network, Buffer.from(f.publicKey, 'base64'), f.host, f.port, f.ts, f.nonce]);

/** HMAC-SHA256 of the request's bytes under the admission key (authority.ts admissionKey), base64. */
export const admissionCredential = (admissionKey: Uint8Array, f: RegisterFields): string =>
  createHmac('sha256', admissionKey).update(registerBytes(f)).digest('base64');

/** Constant-time comparison: the check must not leak how many leading bytes of a guess were right. */
export function credentialMatches(admissionKey: Uint8Array, f: RegisterFields, credential: string): boolean {
  const want = Buffer.from(admissionCredential(admissionKey, f), 'base64');
  const got = Buffer.from(credential, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Proof of possession: the joining key's signature over the request's bytes. */
export const proveKeyPossession = (key: KeyPair, f: RegisterFields): string =>
  sign(key, registerBytes(f)).toString('base64');

export const proofValid = (f: RegisterFields, proof: string): boolean =>
  verify(Buffer.from(f.publicKey, 'base64'), registerBytes(f), Buffer.from(proof, 'base64'));

const directoryBytes = (network: string, epoch: number, hash: string): Buffer =>
  canonicalBytes('directory', [network, epoch, hash]);

/** The authority's signed snapshot of `data`. */
export function signDirectory(authority: KeyPair, data: DirectoryData): SignedDirectory {
  const hash = new Directory(data).hash;
  return {
    directory: data,
    hash,
    authority: authority.publicKey.toString('base64'),
    sig: sign(authority, directoryBytes(data.network, data.epoch, hash)).toString('base64'),
  };
}

export type DirectoryCheck = { ok: true; directory: Directory } | { ok: false; problem: string };

/** Checks a signed snapshot against the authority key the caller trusts (base64). */
export function openSignedDirectory(s: SignedDirectory, authority: string): DirectoryCheck {
  if (s.authority !== authority) return { ok: false, problem: `signed by ${s.authority}, not by the authority ${authority}` };
  const directory = new Directory(s.directory);
  if (directory.hash !== s.hash) return { ok: false, problem: 'the directory does not match its hash' };
  const bytes = directoryBytes(directory.network, directory.epoch, s.hash);
  if (!verify(Buffer.from(authority, 'base64'), bytes, Buffer.from(s.sig, 'base64'))) {
    return { ok: false, problem: 'bad authority signature' };
  }
  return { ok: true, directory };
}
