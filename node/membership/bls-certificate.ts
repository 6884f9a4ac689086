// BLS12-381 aggregate quorum certificates, the alternative to quorum.ts's Ed25519 lists measured in
// docs/certificates.md: key derivation and proof of possession, signing quorum.ts's proposal bytes,
// aggregation into { proposal, signers bitmap, one signature }, verification to a typed verdict.
// Pure: no sockets, no clocks.
//
// Variant: min-pk, noble's `longSignatures` — 48-byte G1 public keys, 96-byte G2 signatures, as in
// Ethereum's consensus layer and the IETF draft's "minimal-pubkey-size". The directory holds one key
// per member and a verifier adds up to n of them per certificate; G1 keys are half the size and a
// G1 addition is about 3x cheaper than a G2 one. A certificate carries one signature, so its extra
// 48 bytes are paid once.
//
// Rogue keys: with one message signed by all, an attacker who registers pk' = g^x - (sum of honest
// keys) could alone produce an "aggregate" that verifies for a whole quorum. We use the draft's
// proof-of-possession ciphersuite (draft-irtf-cfrg-bls-signature, §3.3): a BLS key enters the
// directory only with a proof of possession (provePossession / verifyPossession, checked at
// registration), and proofs use a DST of their own, so a proof is never a valid vote and vice versa.
// The benchmark's keys are derived honestly by the bench itself.
import { createHash } from 'node:crypto';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { z } from 'zod';
import { ChangeProposal } from '../wire/schemas.js';
import { proposalBytes, quorumSize } from './quorum.js';

const bls = bls12_381.longSignatures;
type G1 = ReturnType<typeof bls.getPublicKey>;
/** A point of G2: a hashed proposal, a signature, an aggregate. */
export type BlsMessage = ReturnType<typeof bls.hash>;

/** Domain-separation tags of the IETF proof-of-possession ciphersuite for min-pk. */
export const BLS_DST = {
  sign: 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_',
  pop: 'BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_',
} as const;
export const BLS_LENGTHS = { secretKey: 32, publicKey: 48, signature: 96 } as const;
/** Most members a bitmap may cover; the Ed25519 list allows as many signatures. */
export const BLS_MAX_MEMBERS = 100_000;

/** On the wire: the proposal, bit i set if the i-th member (ascending id) signed, one aggregate. */
export const BlsQuorumCertificate = z.object({
  proposal: ChangeProposal,
  signers: z.base64().max(Math.ceil(BLS_MAX_MEMBERS / 8 / 3) * 4),
  sig: z.base64().length(Math.ceil(BLS_LENGTHS.signature / 3) * 4),
});
export type BlsQuorumCertificate = z.infer<typeof BlsQuorumCertificate>;

export interface BlsKeyPair {
  readonly secretKey: Uint8Array;
  /** 48-byte compressed G1 point. */
  readonly publicKey: Uint8Array;
}

/** Deterministic key derivation: the same (seed, label, index) always gives the same key. */
export function deriveBlsKeyPair(runSeed: string, label: string, index: number): BlsKeyPair {
  // noble reduces a 48-byte seed modulo the group order (bias < 2^-128): SHA-512, first 48 bytes.
  const seed = createHash('sha512').update(`spinoza/bls-key/v1\0${runSeed}\0${label}\0${index}`).digest().subarray(0, 48);
  const { secretKey, publicKey } = bls.keygen(seed);
  return { secretKey, publicKey: publicKey.toBytes(true) };
}

/** G1 point of a 48-byte key, or undefined: wrong length, off the curve or subgroup, or identity. */
function decodePublicKey(raw: Uint8Array): G1 | undefined {
  if (raw.length !== BLS_LENGTHS.publicKey) return undefined;
  try {
    const point = bls12_381.G1.Point.fromBytes(raw);
    return point.is0() ? undefined : point;
  } catch {
    return undefined; // noble throws on bad encodings; for us that is "invalid"
  }
}

function decodeSignature(raw: Uint8Array): BlsMessage | undefined {
  if (raw.length !== BLS_LENGTHS.signature) return undefined;
  try {
    return bls.Signature.fromBytes(raw);
  } catch {
    return undefined;
  }
}

/** Proof of possession: the key's signature over its own encoding, under the PoP tag. */
export function provePossession(key: BlsKeyPair): Uint8Array {
  return bls.Signature.toBytes(bls.sign(bls.hash(key.publicKey, BLS_DST.pop), key.secretKey));
}

/** Checked before a BLS key is admitted to the directory. Never throws. */
export function verifyPossession(publicKey: Uint8Array, proof: Uint8Array): boolean {
  const pk = decodePublicKey(publicKey);
  const sig = decodeSignature(proof);
  return pk !== undefined && sig !== undefined && bls.verify(sig, bls.hash(publicKey, BLS_DST.pop), pk);
}

/** The proposal hashed to G2 (the costly part of signing and verifying: hash-to-curve). */
export const hashProposal = (p: ChangeProposal): BlsMessage => bls.hash(proposalBytes(p), BLS_DST.sign);

/** 96-byte signature over a hashed proposal; members signing one proposal may share the hash. */
export const blsSign = (key: BlsKeyPair, message: BlsMessage): Uint8Array => bls.Signature.toBytes(bls.sign(message, key.secretKey));

export const blsSignProposal = (key: BlsKeyPair, p: ChangeProposal): Uint8Array => blsSign(key, hashProposal(p));

/** Aggregate keys by signer bitmap, bounded: a stable quorum signs certificate after certificate. */
export class AggregateKeyCache {
  private readonly keys = new Map<string, G1>();
  constructor(readonly max: number) {}
  get(signers: string): G1 | undefined { return this.keys.get(signers); }
  set(signers: string, key: G1): void {
    if (this.keys.size >= this.max) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(signers, key);
  }
}
export const AGGREGATE_KEY_CACHE_MAX = 64;

/**
 * The members in good standing, ascending by id, keys decoded once: decoding (with its subgroup
 * check) costs a millisecond a key, so a verifier keeps this per directory, not per certificate.
 * The aggregate-key cache lives here so that it can never be consulted for another member set.
 */
export interface BlsMembers {
  readonly ids: readonly number[];
  readonly index: ReadonlyMap<number, number>;
  readonly keys: readonly G1[];
  /** Sum of every member's key: a verifier subtracts the (< 1/3) non-signers from it. */
  readonly total: G1;
  readonly aggregateKeys: AggregateKeyCache;
}

export function blsMembers(members: readonly { node: number; publicKey: Uint8Array }[]): BlsMembers {
  if (members.length === 0 || members.length > BLS_MAX_MEMBERS) throw new RangeError(`member count ${members.length} outside 1..${BLS_MAX_MEMBERS}`);
  const sorted = [...members].sort((a, b) => a.node - b.node);
  const keys = sorted.map((m, i) => {
    if (i > 0 && sorted[i - 1]!.node === m.node) throw new RangeError(`member ${m.node} listed twice`);
    const key = decodePublicKey(m.publicKey);
    if (key === undefined) throw new RangeError(`member ${m.node}: invalid BLS public key`);
    return key;
  });
  const ids = sorted.map((m) => m.node);
  return {
    ids, index: new Map(ids.map((id, i) => [id, i])), keys, total: keys.reduce((a, k) => a.add(k)),
    aggregateKeys: new AggregateKeyCache(AGGREGATE_KEY_CACHE_MAX),
  };
}

/** Bit i of the signer bitmap: the i-th member by ascending id (least significant bit first). */
const hasBit = (bits: Uint8Array, i: number): boolean => (bits[i >> 3]! & (1 << (i & 7))) !== 0;

/** A member's vote as the proposer receives it. */
export interface BlsVote {
  readonly node: number;
  readonly sig: Uint8Array;
}

/** Proposer side, per vote received: one pairing check, so one bad vote cannot spoil the aggregate. */
export function verifyBlsVote(message: BlsMessage, vote: BlsVote, members: BlsMembers): boolean {
  const i = members.index.get(vote.node);
  const sig = decodeSignature(vote.sig);
  return i !== undefined && sig !== undefined && bls.verify(sig, message, members.keys[i]!);
}

/**
 * Builds the certificate from votes: checked one by one with verifyBlsVote (one pairing each), or
 * optimistically — aggregate, verifyAggregate once, and check votes one by one only if that fails.
 * Throws on a non-member, a repeated member, no vote, or a signature that does not decode.
 */
export function aggregateVotes(p: ChangeProposal, votes: readonly BlsVote[], members: BlsMembers): BlsQuorumCertificate {
  const bitmap = Buffer.alloc(Math.ceil(members.ids.length / 8));
  const sigs = votes.map((v) => {
    const i = members.index.get(v.node);
    if (i === undefined) throw new RangeError(`vote of non-member ${v.node}`);
    if (hasBit(bitmap, i)) throw new RangeError(`member ${v.node} voted twice`);
    bitmap[i >> 3] = bitmap[i >> 3]! | (1 << (i & 7));
    return v.sig;
  });
  const sig = bls.aggregateSignatures(sigs);
  return { proposal: p, signers: bitmap.toString('base64'), sig: Buffer.from(bls.Signature.toBytes(sig)).toString('base64') };
}

export const BLS_CERTIFICATE_REJECTIONS = [
  'malformed', // bitmap of the wrong length or with padding bits set, signature not a G2 point
  'no-quorum',
  'not-a-member', // the subject of a DOWN counted for itself
  'bad-signature', // the aggregate does not match the proposal and the signers the bitmap names
] as const;
export type BlsCertificateRejection = (typeof BLS_CERTIFICATE_REJECTIONS)[number];
export type BlsCertificateVerdict = { ok: true; signers: number } | { ok: false; reason: BlsCertificateRejection; detail: string };

const no = (reason: BlsCertificateRejection, detail: string): BlsCertificateVerdict => ({ ok: false, reason, detail });

/** The signers' aggregate key: all members less the non-signers, whichever list is shorter. */
function signerKey(bits: Buffer, members: BlsMembers, signers: number): G1 {
  if (2 * signers < members.keys.length) return members.keys.filter((_, i) => hasBit(bits, i)).reduce((a, k) => a.add(k));
  return members.keys.reduce((a, k, i) => (hasBit(bits, i) ? a : a.subtract(k)), members.total);
}

/**
 * Signature and quorum of a BLS certificate against the members of the directory it applies to.
 * The proposal itself (network, epoch, previous hash, change) is quorum.ts's checkProposal, run
 * first. Cheapest check first: bitmap, count, subject, decoding, then one pairing check. The
 * signers' aggregate key is cached by bitmap unless `cacheKey: false`.
 */
export function verifyAggregate(cert: BlsQuorumCertificate, members: BlsMembers, options: { cacheKey?: boolean } = {}): BlsCertificateVerdict {
  const n = members.ids.length;
  const bits = Buffer.from(cert.signers, 'base64');
  if (bits.length !== Math.ceil(n / 8)) return no('malformed', `bitmap of ${bits.length} bytes for ${n} members`);
  if (n % 8 !== 0 && bits[bits.length - 1]! >> (n % 8) !== 0) return no('malformed', 'bitmap bits set past the last member');
  let signers = 0;
  for (const b of bits) for (let v = b; v !== 0; v &= v - 1) signers++;
  const need = quorumSize(n);
  if (signers < need) return no('no-quorum', `${signers} signers < quorum ${need} of ${n}`);
  const { change } = cert.proposal;
  const subject = members.index.get(change.node);
  if (change.kind === 'down' && subject !== undefined && hasBit(bits, subject)) return no('not-a-member', `signer ${change.node}`);
  const sig = decodeSignature(Buffer.from(cert.sig, 'base64'));
  if (sig === undefined) return no('malformed', 'aggregate signature is not a G2 point');
  const cache = options.cacheKey === false ? undefined : members.aggregateKeys;
  let key = cache?.get(cert.signers);
  if (key === undefined) {
    key = signerKey(bits, members, signers);
    cache?.set(cert.signers, key);
  }
  if (!bls.verify(sig, hashProposal(cert.proposal), key)) return no('bad-signature', `aggregate of ${signers} signers`);
  return { ok: true, signers };
}
