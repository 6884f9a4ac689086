// HTTP endpoints beside the ws port: /health, /metrics, /directory, /broadcasts/:id, and /control/*.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Directory } from '../directory/directory.js';
import type { Metrics } from '../metrics.js';
import type { Proof } from '../wire/schemas.js';

export interface HttpDeps {
  self: number;
  directory: () => Directory;
  metrics: Metrics;
  proof: (id: string) => Proof | undefined;
  /** /control/* (node/impairment/routes.ts): token-guarded, so it sees every method. */
  control?: (req: IncomingMessage, res: ServerResponse, url: URL) => void;
  /** POST /membership/join (node/membership/join-route.ts), when membership is on. */
  membership?: (req: IncomingMessage, res: ServerResponse, url: URL) => void;
}

export function createHttpServer(d: HttpDeps): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://node');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (d.control && url.pathname.startsWith('/control/')) return d.control(req, res, url);
    if (d.membership && url.pathname.startsWith('/membership/')) return d.membership(req, res, url);
    if (req.method !== 'GET') return json(405, { error: 'only GET is served' });
    if (url.pathname === '/health') return json(200, { ok: true, id: d.self, epoch: d.directory().epoch });
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(d.metrics.render());
      return;
    }
    if (url.pathname === '/directory') return json(200, { ...d.directory().data, hash: d.directory().hash });
    const m = /^\/broadcasts\/([0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      const proof = d.proof(m[1]!);
      return proof ? json(200, proof) : json(404, { error: 'no proof for that id at this node' });
    }
    json(404, { error: 'not found' });
  });
}
