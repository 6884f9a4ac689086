// The node's control endpoints (docs/impairment.md#control), guarded by the per-run control token:
//   GET /control/impairment         what is in effect (mode, profile, since, region)
//   PUT /control/impairment         body: a profile, or null to clear
//   GET /control/probe?peer=ID&count=N[&interval=MS&timeout=MS&warmup=MS]   pings over the real link
// Without `control.token` in the node's config every /control/ path answers 404 control-disabled.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Directory } from '../directory/directory.js';
import type { ImpairmentController } from './controller.js';
import { DEFAULT_PING_OPTIONS, type Pinger } from './ping.js';

export interface ControlDeps {
  self: number;
  /** The run's control token; undefined disables the endpoints. */
  token: string | undefined;
  directory: () => Directory;
  impairment: ImpairmentController;
  pinger: Pinger;
  /** Largest accepted request body (a grudge map over thousands of nodes fits). */
  maxBodyBytes?: number;
}

export type ControlErrorCode =
  | 'control-disabled' | 'unauthorized' | 'forbidden' | 'not-found' | 'method-not-allowed'
  | 'bad-request' | 'profile-invalid' | 'too-large' | 'internal';

const STATUS: Record<ControlErrorCode, number> = {
  'control-disabled': 404, unauthorized: 401, forbidden: 403, 'not-found': 404, 'method-not-allowed': 405,
  'bad-request': 400, 'profile-invalid': 400, 'too-large': 413, internal: 500,
};

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const ProbeQuery = z.object({
  peer: int(1, 1_000_000),
  count: int(1, 10_000).default(DEFAULT_PING_OPTIONS.count),
  interval: int(0, 10_000).default(DEFAULT_PING_OPTIONS.intervalMs),
  timeout: int(1, 120_000).default(DEFAULT_PING_OPTIONS.timeoutMs),
  warmup: int(0, 120_000).default(DEFAULT_PING_OPTIONS.warmupMs),
}).strict();

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export function controlRoutes(d: ControlDeps): ControlHandler {
  const expected = d.token === undefined ? undefined : digest(d.token);
  return (req, res, url) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const error = (code: ControlErrorCode, message: string, extra: Record<string, unknown> = {}): void =>
      json(STATUS[code], { error: message, code, ...extra });
    if (expected === undefined) {
      return error('control-disabled', 'control endpoints are disabled: this node was started without control.token in its config');
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return error('unauthorized', 'missing "authorization: Bearer <control token>" header');
    if (!timingSafeEqual(digest(m[1]!), expected)) return error('forbidden', 'wrong control token for this run');

    const route = `${req.method ?? ''} ${url.pathname}`;
    switch (route) {
      case 'GET /control/impairment':
        return json(200, d.impairment.current);
      case 'PUT /control/impairment':
        return void readJson(req, d.maxBodyBytes ?? 4 << 20).then((body) => {
          if (!body.ok) return error(body.code, body.message);
          const r = d.impairment.apply(body.value);
          if (!r.ok) return error('profile-invalid', r.message, { field: r.field });
          json(200, d.impairment.current);
        }, (e: unknown) => error('internal', (e as Error).message));
      case 'GET /control/probe': {
        const q = ProbeQuery.safeParse(Object.fromEntries(url.searchParams));
        if (!q.success) {
          const i = q.error.issues[0]!;
          return error('bad-request', `${i.path.join('.') || 'query'}: ${i.message}`);
        }
        const { peer, count, interval, timeout, warmup } = q.data;
        if (peer === d.self) return error('bad-request', `peer: node ${peer} is this node`);
        if (!d.directory().entry(peer)) return error('bad-request', `peer: node ${peer} is not in the directory`);
        const opts = { count, intervalMs: interval, timeoutMs: timeout, warmupMs: warmup };
        return void d.pinger.probe(peer, opts).then((r) => json(200, r), (e: unknown) => error('internal', (e as Error).message));
      }
    }
    if (url.pathname === '/control/impairment' || url.pathname === '/control/probe') {
      return error('method-not-allowed', `${req.method ?? '?'} is not served on ${url.pathname}`);
    }
    error('not-found', `no control endpoint ${url.pathname}`);
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

type Body = { ok: true; value: unknown } | { ok: false; code: 'bad-request' | 'too-large'; message: string };

/** Reads a JSON body up to `limit` bytes; never throws for bad input. */
async function readJson(req: IncomingMessage, limit: number): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is drained, not cut off: destroying the request would take the response with it.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) return { ok: false, code: 'too-large', message: `request body over ${limit} bytes` };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch (e) {
    return { ok: false, code: 'bad-request', message: `body is not JSON: ${(e as Error).message}` };
  }
}
