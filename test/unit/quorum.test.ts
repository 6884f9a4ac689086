// node/membership/quorum.ts: quorum math, certificate verification by rejection reason, and the
// directory step a certificate makes.
import { describe, expect, it } from 'vitest';
import { deriveKeyPair, type KeyPair } from '../../node/crypto/index.js';
import { Directory, type DirectoryData } from '../../node/directory/index.js';
import {
  applyChange, CERTIFICATE_REJECTIONS, quorumSize, signProposal, verifyCertificate, type CertificateRejection,
} from '../../node/membership/quorum.js';
import type { ChangeProposal, QuorumCertificate } from '../../node/wire/index.js';

const N = 10; // nodes 1..9 UP, node 10 DOWN: 9 members, quorum 7
const key = (i: number): KeyPair => deriveKeyPair('quorum-test', 'node', i);
const data: DirectoryData = {
  network: 'quorum-net', epoch: 4, neighborhoodSize: 15,
  nodes: Array.from({ length: N }, (_, i) => ({
    id: i + 1, host: '127.0.0.1', port: 9000 + i, publicKey: key(i + 1).publicKey.toString('base64'), status: i + 1 === N ? 'DOWN' as const : 'UP' as const,
  })),
  initiators: [],
};
const dir = new Directory(data);
const down: ChangeProposal = { net: data.network, epoch: 5, prev: dir.hash, change: { kind: 'down', node: 9, evidence: { reason: 'probe-timeout', by: 1, at: 1000 } } };
const up: ChangeProposal = { ...down, change: { kind: 'up', node: 10, evidence: { reason: 'rejoin', by: 10, at: 1000 } } };
const certBy = (p: ChangeProposal, signers: number[]): QuorumCertificate => ({ proposal: p, sigs: signers.map((s) => signProposal(key(s), s, p)) });
const reason = (c: QuorumCertificate): CertificateRejection | 'ok' => {
  const v = verifyCertificate(c, dir);
  return v.ok ? 'ok' : v.reason;
};

describe('quorumSize', () => {
  it('is the least count strictly above two thirds, for n = 1..200', () => {
    for (let n = 1; n <= 200; n++) {
      const q = quorumSize(n);
      expect(3 * q).toBeGreaterThan(2 * n);
      expect(3 * (q - 1)).toBeLessThanOrEqual(2 * n);
      expect(q).toBeLessThanOrEqual(n);
      // Two quorums always share more than a third of n: an honest member signs at most one change per epoch.
      expect(2 * q - n).toBeGreaterThan(n / 3 - 1e-9);
    }
  });

  it('never lets one accuser decide once there are two members', () => {
    expect(quorumSize(1)).toBe(1);
    for (let n = 2; n <= 200; n++) expect(quorumSize(n)).toBeGreaterThan(1);
  });
});

describe('verifyCertificate', () => {
  it('accepts a quorum of members, for DOWN and for UP', () => {
    expect(reason(certBy(down, [1, 2, 3, 4, 5, 6, 7]))).toBe('ok');
    expect(reason(certBy(up, [1, 2, 3, 4, 5, 6, 7]))).toBe('ok');
    expect(reason(certBy(down, [1, 2, 3, 4, 5, 6, 7, 8]))).toBe('ok');
  });

  const forged = certBy(down, [1, 2, 3, 4, 5, 6, 7]);
  forged.sigs[3] = { node: 4, sig: signProposal(key(99), 4, down).sig };
  const otherEpoch = certBy({ ...down, epoch: 6 }, [1, 2, 3, 4, 5, 6, 7]);
  otherEpoch.proposal = down; // signatures over epoch 6 presented as epoch 5
  const CASES: { [R in CertificateRejection]: [string, QuorumCertificate][] } = {
    'wrong-network': [['another network', certBy({ ...down, net: 'other' }, [1, 2, 3, 4, 5, 6, 7])]],
    'wrong-epoch': [['a stale epoch', certBy({ ...down, epoch: 4 }, [1, 2, 3, 4, 5, 6, 7])], ['a skipped epoch', certBy({ ...down, epoch: 6 }, [1, 2, 3, 4, 5, 6, 7])]],
    'wrong-directory': [['another snapshot', certBy({ ...down, prev: 'a'.repeat(64) }, [1, 2, 3, 4, 5, 6, 7])]],
    'invalid-change': [
      ['DOWN of a DOWN node', certBy({ ...down, change: { ...down.change, node: 10 } }, [1, 2, 3, 4, 5, 6, 7])],
      ['UP of an UP node', certBy({ ...up, change: { ...up.change, node: 3 } }, [1, 2, 3, 4, 5, 6, 7])],
      ['an unknown node', certBy({ ...down, change: { ...down.change, node: 77 } }, [1, 2, 3, 4, 5, 6, 7])],
    ],
    'duplicate-signer': [['one member counted twice', certBy(down, [1, 2, 3, 4, 5, 6, 6])]],
    'not-a-member': [
      ['a DOWN node signing', certBy(down, [1, 2, 3, 4, 5, 6, 10])],
      ['a stranger signing', certBy(down, [1, 2, 3, 4, 5, 6, 42])],
      ['the subject vouching against itself', certBy(down, [1, 2, 3, 4, 5, 6, 9])],
    ],
    'bad-signature': [['one forged signature', forged], ['signatures over another epoch', otherEpoch]],
    'no-quorum': [['one accuser', certBy(down, [1])], ['one short of quorum', certBy(down, [1, 2, 3, 4, 5, 6])], ['no signatures', certBy(down, [])]],
  };
  for (const r of CERTIFICATE_REJECTIONS) {
    for (const [name, cert] of CASES[r]) it(`rejects ${name}: ${r}`, () => expect(reason(cert)).toBe(r));
  }
});

describe('applyChange', () => {
  it('bumps the epoch and sets the status; nothing else changes', () => {
    const next = applyChange(data, certBy(down, [1, 2, 3, 4, 5, 6, 7]));
    expect(next.epoch).toBe(5);
    expect(next.nodes.find((n) => n.id === 9)!.status).toBe('DOWN');
    expect(next.nodes.filter((n) => n.id !== 9)).toEqual(data.nodes.filter((n) => n.id !== 9));
    const nextDir = new Directory(next);
    expect(nextDir.members).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The chain continues: the UP of node 10 is certified against the new snapshot.
    const rejoin: ChangeProposal = { ...up, epoch: 6, prev: nextDir.hash };
    expect(verifyCertificate(certBy(rejoin, [1, 2, 3, 4, 5, 6]), nextDir)).toEqual({ ok: true, signers: 6 });
    expect(new Directory(applyChange(next, certBy(rejoin, [1, 2, 3, 4, 5, 6]))).members).toContain(10);
  });
});
