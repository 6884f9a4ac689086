// Quorum-certified directory changes (DESIGN.md §3 Membership, docs/membership.md): a proposal
// to mark a member DOWN or a DOWN node UP, its canonical signing bytes, certificate verification
// and the pure step from one directory snapshot to the next. No sockets, no clocks.
import { canonicalBytes, sign, verify, type KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import type { ChangeProposal, MemberSignature, QuorumCertificate } from '../wire/schemas.js';

/** Signatures needed among n members in good standing: strictly more than two thirds. */
export const quorumSize = (n: number): number => Math.floor((2 * n) / 3) + 1;

/** The bytes a member signs: network, epoch, previous directory hash and the change with its evidence. */
export function proposalBytes(p: ChangeProposal): Buffer {
  const { change: c } = p;
  return canonicalBytes('directoryChange', [p.net, p.epoch, p.prev, c.kind, c.node, c.evidence.reason, c.evidence.by, c.evidence.at]);
}

/** Same proposal, same key: proposals from two proposers for one change are interchangeable. */
export const proposalKey = (p: ChangeProposal): string => proposalBytes(p).toString('base64');

export function signProposal(key: KeyPair, node: number, p: ChangeProposal): MemberSignature {
  return { node, sig: sign(key, proposalBytes(p)).toString('base64') };
}

export function verifyVote(dir: Directory, p: ChangeProposal, s: MemberSignature): boolean {
  const key = dir.nodeKey(s.node);
  return key !== undefined && dir.isMember(s.node) && verify(key, proposalBytes(p), Buffer.from(s.sig, 'base64'));
}

export const CERTIFICATE_REJECTIONS = [
  'wrong-network',
  'wrong-epoch', // not the next epoch of this directory
  'wrong-directory', // signed over another snapshot of this epoch
  'invalid-change', // DOWN of a non-member, UP of a node that is not DOWN, unknown node
  'duplicate-signer',
  'not-a-member', // signer unknown or not in good standing (the subject of a DOWN included)
  'bad-signature',
  'no-quorum',
] as const;
export type CertificateRejection = (typeof CERTIFICATE_REJECTIONS)[number];
export type CertificateVerdict = { ok: true; signers: number } | { ok: false; reason: CertificateRejection; detail: string };

const no = (reason: CertificateRejection, detail: string): CertificateVerdict => ({ ok: false, reason, detail });

/** Is this proposal well-formed against `dir` (before any signature is looked at)? */
export function checkProposal(p: ChangeProposal, dir: Directory): CertificateVerdict {
  if (p.net !== dir.network) return no('wrong-network', `${p.net} is not ${dir.network}`);
  if (p.epoch !== dir.epoch + 1) return no('wrong-epoch', `epoch ${p.epoch} does not follow ${dir.epoch}`);
  if (p.prev !== dir.hash) return no('wrong-directory', `prev ${p.prev.slice(0, 12)} is not ${dir.hash.slice(0, 12)}`);
  const status = dir.entry(p.change.node)?.status;
  if (p.change.kind === 'down' && status !== 'UP') return no('invalid-change', `down of node ${p.change.node} (${status ?? 'unknown'})`);
  if (p.change.kind === 'up' && status !== 'DOWN') return no('invalid-change', `up of node ${p.change.node} (${status ?? 'unknown'})`);
  return { ok: true, signers: 0 };
}

/**
 * A certificate holds if its proposal applies to `dir` and at least quorumSize(members) distinct
 * members in good standing signed it validly. The subject of a DOWN never counts for itself.
 * Cheapest check first: shape, then membership and duplicates, then one verify per signature.
 */
export function verifyCertificate(cert: QuorumCertificate, dir: Directory): CertificateVerdict {
  const { proposal: p, sigs } = cert;
  const shape = checkProposal(p, dir);
  if (!shape.ok) return shape;
  const need = quorumSize(dir.members.length);
  if (sigs.length < need) return no('no-quorum', `${sigs.length} signatures < quorum ${need} of ${dir.members.length}`);
  const seen = new Set<number>();
  for (const s of sigs) {
    if (seen.has(s.node)) return no('duplicate-signer', `node ${s.node} signed twice`);
    seen.add(s.node);
    if (!dir.isMember(s.node) || (p.change.kind === 'down' && s.node === p.change.node)) return no('not-a-member', `signer ${s.node}`);
  }
  const bytes = proposalBytes(p);
  for (const s of sigs) {
    if (!verify(dir.nodeKey(s.node)!, bytes, Buffer.from(s.sig, 'base64'))) return no('bad-signature', `signature of node ${s.node}`);
  }
  return { ok: true, signers: sigs.length };
}

/** The next snapshot: epoch + 1, the subject's status DOWN or UP. Pure; call after verifyCertificate. */
export function applyChange(data: DirectoryData, cert: QuorumCertificate): DirectoryData {
  const { change, epoch } = cert.proposal;
  const status = change.kind === 'down' ? ('DOWN' as const) : ('UP' as const);
  return { ...data, epoch, nodes: data.nodes.map((n) => (n.id === change.node ? { ...n, status } : n)) };
}
