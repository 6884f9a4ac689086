// Registration by quorum (docs/membership.md#registration), the pure part: the testnet authority's
// admission credential for a key, a new node's request with its proof of possession, and the checks
// every member runs before it co-signs the node into the directory.
import { canonicalBytes, sign, verify, type KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { Admission } from '../wire/schemas.js';
import { proofValid, registerBytes } from './credential.js';
import type { RegisterRefusal } from './schema.js';

/** What the authority's credential binds: the network and the new key, nothing a request can change. */
const admissionBytes = (network: string, publicKey: string): Buffer =>
  canonicalBytes('admission', [network, Buffer.from(publicKey, 'base64')]);

/** The authority's admission credential for `publicKey` on `network` (made by the orchestrator). */
export const issueCredential = (authority: KeyPair, network: string, publicKey: string): string =>
  sign(authority, admissionBytes(network, publicKey)).toString('base64');

/** A new node's request: its address, a fresh nonce and time, its proof of possession, the credential. */
export function makeAdmission(key: KeyPair, network: string, at: { host: string; port: number }, now: number, nonce: string, credential: string): Admission {
  const publicKey = key.publicKey.toString('base64');
  const fields = { network, publicKey, host: at.host, port: at.port, ts: now, nonce };
  return { publicKey, host: at.host, port: at.port, ts: now, nonce, proof: sign(key, registerBytes(fields)).toString('base64'), credential };
}

export type AdmissionVerdict = { ok: true } | { ok: false; reason: RegisterRefusal; detail: string };
const no = (reason: RegisterRefusal, detail: string): AdmissionVerdict => ({ ok: false, reason, detail });

/**
 * Would a member in good standing co-sign this node into `dir`? Cheapest first: freshness, the key and
 * address not taken, then the two signatures. Replays of a nonce are the caller's (it holds the seen-set);
 * a replay after the node was admitted fails here as `key-reused`.
 */
export function checkAdmission(a: Admission, dir: Directory, now: number, maxSkewMs: number): AdmissionVerdict {
  if (Math.abs(now - a.ts) > maxSkewMs) return no('clock-skew', `request time is ${now - a.ts} ms from ours`);
  const taken = dir.data.nodes.find((n) => n.publicKey === a.publicKey);
  if (taken) return no('key-reused', `the key is node ${taken.id}'s`);
  const at = dir.data.nodes.find((n) => n.host === a.host && n.port === a.port);
  if (at) return no('address-in-use', `node ${at.id} is at ${a.host}:${a.port}`);
  const fields = { network: dir.network, publicKey: a.publicKey, host: a.host, port: a.port, ts: a.ts, nonce: a.nonce };
  if (!proofValid(fields, a.proof)) return no('bad-proof', 'the proof is not the key\'s signature over this request');
  const authority = dir.data.authority;
  if (authority === undefined) return no('bad-credential', 'this network has no admission authority');
  if (!verify(Buffer.from(authority, 'base64'), admissionBytes(dir.network, a.publicKey), Buffer.from(a.credential, 'base64'))) {
    return no('bad-credential', 'the credential is not the authority\'s signature for this key and network');
  }
  return { ok: true };
}

/** The id a registration gets: one more than the largest listed, so it is fixed by the snapshot signed over. */
export const nextNodeId = (dir: Directory): number => Math.max(...dir.data.nodes.map((n) => n.id)) + 1;
