// POST /membership/join on a member's HTTP port (docs/membership.md#registration): a new node's
// request, checked here for shape and network, then by the membership service and, through it,
// by a quorum of members. Answers with the new id and the certificate chain from genesis.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { Admission, PROTOCOL_VERSION, type QuorumCertificate } from '../wire/schemas.js';
import { readBody, STATUS as REGISTER_STATUS } from './registrar.js';
import type { JoinOutcome, JoinRefusal } from './service.js';

/** The request body: the admission, its network, and a credential that may be missing (its own refusal). */
export const JoinRequest = Admission.extend({
  v: z.literal(PROTOCOL_VERSION),
  network: z.string().min(1).max(64),
  credential: Admission.shape.credential.optional(),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export type JoinAnswer = { id: number; certificates: QuorumCertificate[] } | { error: JoinRefusal; detail: string };

const STATUS: Record<JoinRefusal, number> = { ...REGISTER_STATUS, 'not-in-good-standing': 503, 'not-certified': 503 };

export interface JoinRouteDeps {
  network: () => string;
  admit: (a: Admission) => Promise<JoinOutcome>;
  maxBodyBytes: number;
}

export function joinRoute(d: JoinRouteDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => void {
  const answer = (res: ServerResponse, status: number, body: JoinAnswer): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, error: JoinRefusal, detail: string): void => answer(res, STATUS[error], { error, detail });
  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req, d.maxBodyBytes);
    if (text === undefined) return refuse(res, 'malformed', `request body over ${d.maxBodyBytes} bytes`);
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return refuse(res, 'malformed', 'request body is not JSON');
    }
    const parsed = JoinRequest.safeParse(input);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return refuse(res, 'malformed', `${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`);
    }
    const { v: _v, network, credential, ...rest } = parsed.data;
    if (network !== d.network()) return refuse(res, 'wrong-network', `network ${network}, this is ${d.network()}`);
    if (credential === undefined) return refuse(res, 'missing-credential', 'no admission credential: the testnet authority issues one per key');
    const outcome = await d.admit({ ...rest, credential });
    if (!outcome.ok) return refuse(res, outcome.reason, outcome.detail);
    answer(res, 200, { id: outcome.id, certificates: outcome.certificates });
  }
  return (req, res, url) => {
    if (url.pathname !== '/membership/join') return answer(res, 404, { error: 'malformed', detail: `no ${url.pathname}` });
    if (req.method !== 'POST') return answer(res, 405, { error: 'malformed', detail: 'POST a join request' });
    post(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', detail: (e as Error).message }));
    });
  };
}
