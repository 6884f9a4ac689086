// Quorum-certified directory changes (DESIGN.md §3 Membership, docs/membership.md): a proposal
// to mark a member DOWN or a DOWN node UP, its canonical signing bytes, certificate verification
// and the pure step from one directory snapshot to the next. No sockets, no clocks.
import { canonicalBytes, sha256, sign, verify, type KeyPair } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import type { ChangeProposal, DirectoryChange, MemberSignature, QuorumCertificate } from '../wire/schemas.js';
import { nextNodeId } from './admission.js';

/** Signatures needed among n members in good standing: strictly more than two thirds. */
export const quorumSize = (n: number): number => Math.floor((2 * n) / 3) + 1;

/** Hash of what a change carries beyond its subject: the new node's request, or the accusations. */
function changeDetail(c: DirectoryChange): Buffer {
  if (c.kind === 'register') {
    const a = c.admission;
    return sha256(canonicalBytes('directoryChange', [Buffer.from(a.publicKey, 'base64'), a.host, a.port, a.ts, a.nonce, a.proof, a.credential]));
  }
  if (c.kind === 'suspend') {
    return sha256(...c.accusations.map((a) => canonicalBytes('accusation', [a.net, a.accused, a.by, a.kind, a.at, a.ref, a.sig])));
  }
  return Buffer.alloc(0);
}

/** The bytes a member signs: network, epoch, previous directory hash and the whole change with its evidence. */
export function proposalBytes(p: ChangeProposal): Buffer {
  const { change: c } = p;
  return canonicalBytes('directoryChange', [p.net, p.epoch, p.prev, c.kind, c.node, c.evidence.reason, c.evidence.by, c.evidence.at, changeDetail(c)]);
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
  'invalid-change', // DOWN/suspension of a non-member, UP of a node in good standing, a registration that does not fit
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
  const c = p.change;
  const status = dir.entry(c.node)?.status;
  switch (c.kind) {
    case 'down':
    case 'suspend':
      if (status !== 'UP') return no('invalid-change', `${c.kind} of node ${c.node} (${status ?? 'unknown'})`);
      break;
    case 'up':
      if (status !== 'DOWN' && status !== 'UNRELIABLE') return no('invalid-change', `up of node ${c.node} (${status ?? 'unknown'})`);
      break;
    case 'register': {
      if (c.node !== nextNodeId(dir)) return no('invalid-change', `registration as node ${c.node}, the next id is ${nextNodeId(dir)}`);
      const { publicKey, host, port } = c.admission;
      if (dir.data.nodes.some((n) => n.publicKey === publicKey || (n.host === host && n.port === port))) {
        return no('invalid-change', `registration of a key or address already listed`);
      }
    }
  }
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
    if (!dir.isMember(s.node) || s.node === p.change.node) return no('not-a-member', `signer ${s.node}`);
  }
  const bytes = proposalBytes(p);
  for (const s of sigs) {
    if (!verify(dir.nodeKey(s.node)!, bytes, Buffer.from(s.sig, 'base64'))) return no('bad-signature', `signature of node ${s.node}`);
  }
  return { ok: true, signers: sigs.length };
}

const STATUS_AFTER = { down: 'DOWN', up: 'UP', suspend: 'UNRELIABLE' } as const;

/** The next snapshot: epoch + 1 and the subject's new status, or the new node listed UP. Pure; call after verifyCertificate. */
export function applyChange(data: DirectoryData, cert: QuorumCertificate): DirectoryData {
  const { change, epoch } = cert.proposal;
  if (change.kind === 'register') {
    const { host, port, publicKey } = change.admission;
    return { ...data, epoch, nodes: [...data.nodes, { id: change.node, host, port, publicKey, status: 'UP' }] };
  }
  const status = STATUS_AFTER[change.kind];
  return { ...data, epoch, nodes: data.nodes.map((n) => (n.id === change.node ? { ...n, status } : n)) };
}

/** Changes are the same request when they have the same kind and subject (and, for a registration, key). */
export const changeKey = (c: DirectoryChange): string =>
  c.kind === 'register' ? `register:${c.admission.publicKey}` : `${c.kind}:${c.node}`;
