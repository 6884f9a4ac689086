// A new node joining by quorum (docs/membership.md#registration): it asks a member to admit its key,
// checks the certificate chain it gets back from its own genesis, and starts as the node it was
// certified as. Nothing in the answer is trusted before the chain verifies.
import { randomBytes } from 'node:crypto';
import type { KeyPair } from '../crypto/index.js';
import { Directory } from '../directory/directory.js';
import type { DirectoryData } from '../directory/schema.js';
import { PROTOCOL_VERSION, QuorumCertificate } from '../wire/schemas.js';
import { z } from 'zod';
import { makeAdmission } from './admission.js';
import type { JoinRequest } from './join-route.js';
import { applyChange, verifyCertificate } from './quorum.js';

const JoinAccepted = z.object({ id: z.number().int().positive(), certificates: z.array(QuorumCertificate) });
const JoinRefused = z.object({ error: z.string(), detail: z.string() });

export interface EnrolOptions {
  genesis: DirectoryData;
  key: KeyPair;
  /** The testnet authority's credential for this key (node/membership/admission.ts issueCredential). */
  credential: string;
  /** Where this node will serve, as the directory will list it. */
  at: { host: string; port: number };
  /** Members' HTTP base URLs, tried in turn. */
  bootstrap: string[];
  now?: () => number;
  timeoutMs?: number;
}

export interface Enrolled { id: number; directory: DirectoryData; chain: QuorumCertificate[] }

export class JoinRefusedError extends Error {
  constructor(readonly reason: string, detail: string, readonly member: string) {
    super(`join refused by ${member}: ${reason}: ${detail}`);
  }
}

/** Follows certificates from `genesis` in epoch order; throws on the first that does not verify. */
export function followChain(genesis: DirectoryData, certs: readonly QuorumCertificate[]): { directory: DirectoryData; chain: QuorumCertificate[] } {
  let data = genesis;
  const chain: QuorumCertificate[] = [];
  for (const cert of certs) {
    if (cert.proposal.epoch <= data.epoch) continue;
    const v = verifyCertificate(cert, new Directory(data));
    if (!v.ok) throw new Error(`certificate for epoch ${cert.proposal.epoch} does not verify: ${v.reason}: ${v.detail}`);
    data = applyChange(data, cert);
    chain.push(cert);
  }
  return { directory: data, chain };
}

/** Asks each bootstrap member in turn until one admits us; a refusal for cause (bad credential, reused key...) ends it. */
export async function enrol(o: EnrolOptions): Promise<Enrolled> {
  const now = o.now ?? Date.now;
  const admission = makeAdmission(o.key, o.genesis.network, o.at, now(), randomBytes(16).toString('hex'), o.credential);
  const body: JoinRequest = { v: PROTOCOL_VERSION, network: o.genesis.network, ...admission };
  const problems: string[] = [];
  for (const member of o.bootstrap) {
    let res: Response;
    try {
      res = await fetch(new URL('/membership/join', member), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      problems.push(`${member}: ${(e as Error).message}`);
      continue;
    }
    const json: unknown = await res.json().catch(() => undefined);
    const ok = JoinAccepted.safeParse(json);
    if (res.ok && ok.success) {
      const { directory, chain } = followChain(o.genesis, ok.data.certificates);
      const me = new Directory(directory).entry(ok.data.id);
      if (me?.publicKey !== admission.publicKey) throw new Error(`${member} answered id ${ok.data.id}, but the certified directory lists another key there`);
      return { id: ok.data.id, directory, chain };
    }
    const refused = JoinRefused.safeParse(json);
    const reason = refused.success ? refused.data.error : `http-${res.status}`;
    // Busy or not a member: another member may do. Anything about the request itself would fail everywhere.
    if (res.status === 503 || !refused.success) {
      problems.push(`${member}: ${reason}${refused.success ? `: ${refused.data.detail}` : ''}`);
      continue;
    }
    throw new JoinRefusedError(reason, refused.data.detail, member);
  }
  throw new Error(`no member admitted us: ${problems.join('; ')}`);
}

