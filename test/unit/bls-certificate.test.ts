// node/membership/bls-certificate.ts: BLS aggregate certificates by rejection reason, proofs of
// possession, and the rogue-key attack they stop. n is kept small: pure-JS pairings cost ~15 ms.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { describe, expect, it } from 'vitest';
import {
  aggregateVotes, BlsQuorumCertificate, blsMembers, blsSign, blsSignProposal, BLS_CERTIFICATE_REJECTIONS, deriveBlsKeyPair,
  hashProposal, provePossession, verifyAggregate, verifyBlsVote, verifyPossession,
  type BlsCertificateRejection, type BlsKeyPair, type BlsVote,
} from '../../node/membership/bls-certificate.js';
import type { ChangeProposal } from '../../node/wire/index.js';

const IDS = [34, 3, 55, 8, 21, 13, 5]; // 7 members, unsorted on purpose; quorum 5
const SORTED = [...IDS].sort((a, b) => a - b); // bit i of the bitmap is SORTED[i]
const key = (id: number): BlsKeyPair => deriveBlsKeyPair('bls-test', 'node', id);
const members = blsMembers(IDS.map((id) => ({ node: id, publicKey: key(id).publicKey })));
const OUTSIDER = 99;

const down: ChangeProposal = {
  net: 'bls-net', epoch: 5, prev: 'c'.repeat(64), change: { kind: 'down', node: 21, evidence: { reason: 'probe-timeout', by: 3, at: 1000 } },
};
const up: ChangeProposal = { ...down, change: { kind: 'up', node: 21, evidence: { reason: 'rejoin', by: 21, at: 1000 } } };
const hashed = new Map([[down, hashProposal(down)], [up, hashProposal(up)]]);
const votes = new Map<string, BlsVote>();
/** A vote of `signer`'s key over `p`, memoised: each signature costs several milliseconds. */
function vote(p: ChangeProposal, signer: number, as = signer): BlsVote {
  const id = `${p.change.kind}/${signer}/${as}`;
  let v = votes.get(id);
  if (v === undefined) votes.set(id, (v = { node: as, sig: blsSign(key(signer), hashed.get(p)!) }));
  return v;
}
const certBy = (p: ChangeProposal, signers: number[]): BlsQuorumCertificate => aggregateVotes(p, signers.map((s) => vote(p, s)), members);
const reason = (c: BlsQuorumCertificate): BlsCertificateRejection | 'ok' => {
  const v = verifyAggregate(c, members, { cacheKey: false });
  return v.ok ? 'ok' : v.reason;
};
const QUORUM = [3, 5, 8, 13, 34];

describe('deriveBlsKeyPair', () => {
  it('is deterministic, min-pk sized, and distinct per index', () => {
    expect(key(3)).toEqual(deriveBlsKeyPair('bls-test', 'node', 3));
    expect(key(3).secretKey).toHaveLength(32);
    expect(key(3).publicKey).toHaveLength(48);
    expect(key(3).publicKey).not.toEqual(key(5).publicKey);
  });
});

describe('aggregateVotes', () => {
  it('sets bit i for the i-th member by ascending id, and round-trips the wire schema', () => {
    const cert = certBy(down, QUORUM);
    const bits = Buffer.from(cert.signers, 'base64');
    expect(bits).toEqual(Buffer.from([QUORUM.reduce((b, id) => b | (1 << SORTED.indexOf(id)), 0)]));
    expect(BlsQuorumCertificate.parse(JSON.parse(JSON.stringify(cert)))).toEqual(cert);
    expect(Buffer.from(cert.sig, 'base64')).toHaveLength(96);
  });

  it('refuses a non-member and a member voting twice', () => {
    expect(() => aggregateVotes(down, [vote(down, OUTSIDER)], members)).toThrow(/non-member/);
    expect(() => aggregateVotes(down, [vote(down, 3), vote(down, 3)], members)).toThrow(/twice/);
  });
});

describe('verifyBlsVote', () => {
  it('accepts a member’s vote and rejects a stranger’s key or garbage', () => {
    expect(verifyBlsVote(hashed.get(down)!, vote(down, 3), members)).toBe(true);
    expect(verifyBlsVote(hashed.get(down)!, vote(down, OUTSIDER, 3), members)).toBe(false);
    expect(verifyBlsVote(hashed.get(down)!, { node: 3, sig: new Uint8Array(96) }, members)).toBe(false);
    expect(verifyBlsVote(hashed.get(down)!, vote(down, OUTSIDER), members)).toBe(false);
  });
});

describe('verifyAggregate', () => {
  it('accepts a quorum, more than a quorum, and UP with the subject signing', () => {
    expect(verifyAggregate(certBy(down, QUORUM), members, { cacheKey: false })).toEqual({ ok: true, signers: 5 });
    expect(reason(certBy(down, [3, 5, 8, 13, 34, 55]))).toBe('ok');
    expect(reason(certBy(up, [3, 5, 8, 13, 21]))).toBe('ok');
  });

  it('gives the same verdicts with the aggregate key cached', () => {
    const good = certBy(down, QUORUM);
    expect(verifyAggregate(good, members).ok).toBe(true);
    expect(verifyAggregate(good, members).ok).toBe(true); // second call: key from the cache
    const tampered = { ...good, proposal: { ...down, epoch: 6 } };
    expect(verifyAggregate(tampered, members)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  const good = certBy(down, QUORUM);
  const withBits = (bits: number[]): BlsQuorumCertificate => ({ ...good, signers: Buffer.from(bits).toString('base64') });
  const bitOf = (...ids: number[]): number => ids.reduce((b, id) => b | (1 << SORTED.indexOf(id)), 0);
  const sumOf = (signers: number[], as: number[] = signers): string =>
    Buffer.from(bls12_381.longSignatures.Signature.toBytes(
      bls12_381.longSignatures.aggregateSignatures(signers.map((s, i) => vote(down, s, as[i]).sig)),
    )).toString('base64');
  const CASES: { [R in BlsCertificateRejection]: [string, BlsQuorumCertificate][] } = {
    malformed: [
      ['a bitmap one byte long too many', withBits([bitOf(...QUORUM), 0])],
      ['a bitmap bit past the last member', withBits([bitOf(...QUORUM) | 0x80])],
      ['an aggregate that is not a G2 point', { ...good, sig: Buffer.alloc(96).toString('base64') }],
    ],
    'no-quorum': [['four signers of seven', certBy(down, [3, 5, 8, 13])]],
    'not-a-member': [['the subject of a DOWN signing for itself', certBy(down, [3, 5, 8, 13, 21])]],
    'bad-signature': [
      ['a signer named but missing from the aggregate', { ...good, signers: withBits([bitOf(...QUORUM, 55)]).signers }],
      ['a wrong bitmap (55 named in place of 34)', withBits([bitOf(3, 5, 8, 13, 55)])],
      ['a tampered proposal (another subject)', { ...good, proposal: { ...down, change: { ...down.change, node: 55 } } }],
      ['a tampered proposal (another epoch)', { ...good, proposal: { ...down, epoch: 6 } }],
      ['a non-member’s signature in place of a member’s', { ...good, sig: sumOf([3, 5, 8, 13, OUTSIDER], [3, 5, 8, 13, 34]) }],
      ['an extra, unnamed signature in the aggregate', { ...good, sig: sumOf([...QUORUM, 55]) }],
    ],
  };

  it('has a case for every rejection reason', () => {
    expect(Object.keys(CASES).sort()).toEqual([...BLS_CERTIFICATE_REJECTIONS].sort());
  });

  for (const [expected, cases] of Object.entries(CASES)) {
    for (const [what, cert] of cases) {
      it(`rejects ${what} as ${expected}`, () => expect(reason(cert)).toBe(expected));
    }
  }
});

describe('proof of possession', () => {
  it('proves a key, does not transfer to another key, and is not a vote', () => {
    const proof = provePossession(key(3));
    expect(verifyPossession(key(3).publicKey, proof)).toBe(true);
    expect(verifyPossession(key(5).publicKey, proof)).toBe(false);
    expect(verifyPossession(key(3).publicKey, new Uint8Array(96))).toBe(false);
    // Domain separation: a signature over the key's bytes under the vote tag is no proof.
    expect(verifyPossession(key(3).publicKey, blsSign(key(3), bls12_381.longSignatures.hash(key(3).publicKey, 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_')))).toBe(false);
  });

  it('is what stops a rogue key from certifying alone', () => {
    // The attacker picks x and registers pk' = g^x - (sum of the honest keys): the sum of all
    // keys is then g^x, and the attacker's lone signature verifies as everyone's aggregate.
    const honest = [3, 5, 8, 13, 21, 34];
    const x = 123_456_789n;
    const sum = honest.map((id) => bls12_381.G1.Point.fromBytes(key(id).publicKey)).reduce((a, k) => a.add(k));
    const roguePk = bls12_381.G1.Point.BASE.multiply(x).subtract(sum).toBytes(true);
    const rogue: BlsKeyPair = { secretKey: bls12_381.fields.Fr.toBytes(x), publicKey: roguePk };
    const tricked = blsMembers([...honest.map((id) => ({ node: id, publicKey: key(id).publicKey })), { node: 77, publicKey: roguePk }]);
    const forged = { proposal: up, signers: Buffer.from([0x7f]).toString('base64'), sig: Buffer.from(blsSignProposal(rogue, up)).toString('base64') };
    expect(verifyAggregate(forged, tricked, { cacheKey: false }).ok).toBe(true); // without PoP: forged
    // ...which is why registration checks a proof of possession: the attacker cannot make one.
    expect(verifyPossession(roguePk, provePossession(rogue))).toBe(false);
  });
});

describe('blsMembers', () => {
  it('refuses an invalid key, the identity, and a repeated member', () => {
    expect(() => blsMembers([{ node: 1, publicKey: new Uint8Array(48) }])).toThrow(/invalid BLS public key/);
    expect(() => blsMembers([{ node: 1, publicKey: bls12_381.G1.Point.ZERO.toBytes(true) }])).toThrow(/invalid BLS public key/);
    expect(() => blsMembers([{ node: 1, publicKey: key(1).publicKey }, { node: 1, publicKey: key(1).publicKey }])).toThrow(/twice/);
  });
});
