// Registration and misbehaviour evidence, the pure parts: admission credentials and their checks
// (node/membership/admission.ts), accusations and the f + 1 rule (accusations.ts), and how the
// new change kinds certify and apply (quorum.ts).
import { describe, expect, it } from 'vitest';
import { deriveKeyPair, type KeyPair } from '../../node/crypto/index.js';
import { Directory, type DirectoryData } from '../../node/directory/index.js';
import { AccusationBook, accusersNeeded, signAccusation, suspensionProblem } from '../../node/membership/accusations.js';
import { checkAdmission, issueCredential, makeAdmission, nextNodeId } from '../../node/membership/admission.js';
import { applyChange, checkProposal, proposalBytes, quorumSize, signProposal, verifyCertificate } from '../../node/membership/quorum.js';
import type { Accusation, Admission, ChangeProposal, Misbehaviour } from '../../node/wire/index.js';
import { MISBEHAVIOURS } from '../../node/wire/schemas.js';

const N = 10;
const NOW = 1_000_000;
const WINDOW = 60_000;
const key = (i: number): KeyPair => deriveKeyPair('evidence-test', 'node', i);
const authority = deriveKeyPair('evidence-test', 'authority', 0);
const data: DirectoryData = {
  network: 'evidence-net', epoch: 3, neighborhoodSize: 15,
  nodes: Array.from({ length: N }, (_, i) => ({
    id: i + 1, host: '127.0.0.1', port: 9000 + i, publicKey: key(i + 1).publicKey.toString('base64'), status: i + 1 === N ? 'UNRELIABLE' as const : 'UP' as const,
  })),
  initiators: [],
  authority: authority.publicKey.toString('base64'),
};
const dir = new Directory(data); // 9 members in good standing: quorum 7, accusers needed 3
const newcomer = deriveKeyPair('evidence-test', 'newcomer', 0);
const credential = issueCredential(authority, data.network, newcomer.publicKey.toString('base64'));
const admission = (over: Partial<Admission> = {}, k = newcomer): Admission =>
  ({ ...makeAdmission(k, data.network, { host: '127.0.0.1', port: 9100 }, NOW, 'ab'.repeat(16), credential), ...over });
const accuse = (by: number, accused = 4, kind: Misbehaviour = 'withheld', at = NOW): Accusation =>
  signAccusation(key(by), { net: data.network, accused, by, kind, at, ref: 'm1' });

describe('accusersNeeded: f + 1, so at least one accuser is honest', () => {
  it('exceeds the faults a quorum tolerates, and is never 1 once there are 4 members', () => {
    for (let n = 1; n <= 500; n++) {
      const f = n - quorumSize(n);
      expect(accusersNeeded(n)).toBe(f + 1);
      if (n >= 4) expect(accusersNeeded(n)).toBeGreaterThan(1);
    }
    expect([accusersNeeded(9), accusersNeeded(32), accusersNeeded(200)]).toEqual([3, 11, 67]);
  });
});

describe('suspensionProblem', () => {
  it('accepts f + 1 distinct valid accusers of one member', () => {
    expect(suspensionProblem(4, [accuse(1), accuse(2, 4, 'bad-signature'), accuse(3, 4, 'flood')], dir, NOW, WINDOW)).toBeUndefined();
  });
  it.each<[string, Accusation[]]>([
    ['one accuser, however many kinds', MISBEHAVIOURS.map((k) => accuse(1, 4, k))],
    ['two accusers', [accuse(1), accuse(2)]],
    ['an accuser counted twice', [accuse(1), accuse(1, 4, 'flood'), accuse(2)]],
    ['an accusation of someone else', [accuse(1), accuse(2), accuse(3, 5)]],
    ['a forged signature', [accuse(1), accuse(2), { ...accuse(3), kind: 'flood' }]],
    ['an accuser not in good standing', [accuse(1), accuse(2), accuse(10)]],
    ['a stale accusation', [accuse(1), accuse(2), accuse(3, 4, 'withheld', NOW - WINDOW - 1)]],
    ['an accusation from another network', [accuse(1), accuse(2), signAccusation(key(3), { net: 'other', accused: 4, by: 3, kind: 'withheld', at: NOW, ref: '' })]],
  ])('refuses %s', (_, list) => {
    expect(suspensionProblem(4, list, dir, NOW, WINDOW)).toBeDefined();
  });
});

describe('AccusationBook', () => {
  it('keeps the latest per accuser, counts only accusers in good standing, and forgets stale ones', () => {
    const book = new AccusationBook(WINDOW);
    for (const a of [accuse(1), accuse(1, 4, 'flood', NOW + 5), accuse(2), accuse(10)]) book.add(a);
    expect(book.of(4, NOW + 5, dir).map((a) => [a.by, a.kind])).toEqual([[1, 'flood'], [2, 'withheld']]);
    expect(book.ripe(3, NOW + 5, dir)).toEqual([]);
    book.add(accuse(3));
    expect(book.ripe(3, NOW + 5, dir)).toEqual([4]);
    book.prune(NOW + WINDOW + 1);
    expect(book.of(4, NOW + WINDOW + 1, dir).map((a) => a.by)).toEqual([1]);
  });
});

describe('checkAdmission', () => {
  it('accepts a fresh key with the authority\'s credential and its own proof', () => {
    expect(checkAdmission(admission(), dir, NOW, 30_000)).toEqual({ ok: true });
  });
  const impostor = deriveKeyPair('evidence-test', 'impostor', 0);
  it.each<[string, Admission, string]>([
    ['a credential signed by someone else', admission({ credential: issueCredential(impostor, data.network, newcomer.publicKey.toString('base64')) }), 'bad-credential'],
    ['a credential for another key', admission({ credential: issueCredential(authority, data.network, impostor.publicKey.toString('base64')) }), 'bad-credential'],
    ['a credential for another network', admission({ credential: issueCredential(authority, 'other', newcomer.publicKey.toString('base64')) }), 'bad-credential'],
    ['a proof by another key', { ...admission({}, impostor), publicKey: newcomer.publicKey.toString('base64') }, 'bad-proof'],
    ['an address changed after signing', admission({ port: 9101 }), 'bad-proof'],
    ['a registered key', admission({ publicKey: key(2).publicKey.toString('base64') }), 'key-reused'],
    ['a listed address', admission({ port: 9001 }), 'address-in-use'],
    ['an old request', admission({ ts: NOW - 60_000 }), 'clock-skew'],
  ])('refuses %s', (_, a, reason) => {
    expect(checkAdmission(a, dir, NOW, 30_000)).toMatchObject({ ok: false, reason });
  });
  it('refuses everything where the network has no authority', () => {
    const { authority: _none, ...rest } = data;
    expect(checkAdmission(admission(), new Directory(rest), NOW, 30_000)).toMatchObject({ ok: false, reason: 'bad-credential' });
  });
});

describe('certifying the new change kinds', () => {
  const proposal = (change: ChangeProposal['change']): ChangeProposal => ({ net: data.network, epoch: 4, prev: dir.hash, change });
  const register = proposal({ kind: 'register', node: nextNodeId(dir), evidence: { reason: 'admission', by: 1, at: NOW }, admission: admission() });
  const suspend = proposal({ kind: 'suspend', node: 4, evidence: { reason: 'misbehaviour', by: 1, at: NOW }, accusations: [accuse(1), accuse(2), accuse(3)] });
  const certBy = (p: ChangeProposal, signers: number[]) => ({ proposal: p, sigs: signers.map((s) => signProposal(key(s), s, p)) });

  it('a registration lists the new node UP with the next id; a suspension makes the member UNRELIABLE', () => {
    expect(verifyCertificate(certBy(register, [1, 2, 3, 4, 5, 6, 7]), dir)).toEqual({ ok: true, signers: 7 });
    const after = applyChange(data, certBy(register, [1, 2, 3, 4, 5, 6, 7]));
    expect(after.epoch).toBe(4);
    expect(after.nodes.at(-1)).toEqual({ id: 11, host: '127.0.0.1', port: 9100, publicKey: newcomer.publicKey.toString('base64'), status: 'UP' });
    expect(verifyCertificate(certBy(suspend, [1, 2, 3, 5, 6, 7, 8]), dir)).toEqual({ ok: true, signers: 7 });
    expect(applyChange(data, certBy(suspend, [1, 2, 3, 5, 6, 7, 8])).nodes.find((n) => n.id === 4)?.status).toBe('UNRELIABLE');
    // An UNRELIABLE node comes back with an UP change.
    const back = proposal({ kind: 'up', node: 10, evidence: { reason: 'rejoin', by: 10, at: NOW } });
    expect(checkProposal(back, dir).ok).toBe(true);
  });

  it('the suspended node never counts as a signer of its own suspension', () => {
    expect(verifyCertificate(certBy(suspend, [1, 2, 3, 4, 5, 6, 7]), dir)).toMatchObject({ ok: false, reason: 'not-a-member' });
  });

  it('signatures cover the whole change: another accusation list or another address is another proposal', () => {
    const swapped = { ...suspend, change: { ...suspend.change, accusations: [accuse(1), accuse(2), accuse(5)] } } as ChangeProposal;
    expect(proposalBytes(swapped).equals(proposalBytes(suspend))).toBe(false);
    const moved = { ...register, change: { ...register.change, admission: { ...admission(), port: 9200 } } } as ChangeProposal;
    expect(verifyCertificate({ proposal: moved, sigs: certBy(register, [1, 2, 3, 4, 5, 6, 7]).sigs }, dir)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each<[string, ChangeProposal]>([
    ['a registration under a taken id', { ...register, change: { ...register.change, node: 5 } } as ChangeProposal],
    ['a registration of a listed key', { ...register, change: { ...register.change, admission: { ...admission(), publicKey: key(3).publicKey.toString('base64') } } } as ChangeProposal],
    ['a suspension of a node not in good standing', proposal({ kind: 'suspend', node: 10, evidence: { reason: 'misbehaviour', by: 1, at: NOW }, accusations: [accuse(1)] })],
  ])('refuses %s as invalid-change', (_, p) => {
    expect(checkProposal(p, dir)).toMatchObject({ ok: false, reason: 'invalid-change' });
  });
});
