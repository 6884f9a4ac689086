// HTTP calls to a node's token-guarded control endpoints (node/impairment/routes.ts).
import { z } from 'zod';
import { ImpairmentProfile } from '../../node/impairment/profile.js';
import { abortError, SpinozaError } from '../errors.js';
import { nodeUrl, type NodeAddress } from '../health.js';

/** Where a run's nodes answer and the token that opens their /control endpoints. */
export interface ControlTarget {
  nodes: readonly NodeAddress[];
  token: string;
}

export const ImpairmentStateBody = z.object({
  mode: z.enum(['userspace']),
  profile: ImpairmentProfile.nullable(),
  since: z.number().nullable(),
  region: z.string().nullable(),
});
export type ImpairmentStateBody = z.infer<typeof ImpairmentStateBody>;

export const PingBody = z.object({
  peer: z.number().int(),
  sent: z.number().int(),
  lost: z.number().int(),
  rttsMs: z.array(z.number()),
  linked: z.boolean(),
});
export type PingBody = z.infer<typeof PingBody>;

const ErrorBody = z.object({ error: z.string(), code: z.string(), field: z.string().optional() });

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** PUT /control/impairment: the profile (or null) takes effect at once; answers what is now in effect. */
export function putImpairment(node: NodeAddress, token: string, profile: ImpairmentProfile | null, o: CallOptions): Promise<ImpairmentStateBody> {
  return call(node, token, '/control/impairment', ImpairmentStateBody, o, { method: 'PUT', body: JSON.stringify(profile) });
}

export function getImpairment(node: NodeAddress, token: string, o: CallOptions): Promise<ImpairmentStateBody> {
  return call(node, token, '/control/impairment', ImpairmentStateBody, o);
}

export interface PingQuery {
  peer: number;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  warmupMs: number;
}

/** GET /control/probe: node `from` pings `q.peer` over its real (shaped) link. */
export function pingFrom(from: NodeAddress, token: string, q: PingQuery, o: CallOptions): Promise<PingBody> {
  const qs = new URLSearchParams({
    peer: String(q.peer), count: String(q.count), interval: String(q.intervalMs),
    timeout: String(q.timeoutMs), warmup: String(q.warmupMs),
  });
  return call(from, token, `/control/probe?${qs.toString()}`, PingBody, o);
}

async function call<T>(node: NodeAddress, token: string, path: string, schema: z.ZodType<T>, o: CallOptions, init: RequestInit = {}): Promise<T> {
  const signal = AbortSignal.any([AbortSignal.timeout(o.timeoutMs), ...(o.signal ? [o.signal] : [])]);
  const what = `node ${node.id} ${init.method ?? 'GET'} ${path.split('?')[0]!}`;
  let res: Response;
  try {
    res = await fetch(nodeUrl(node, path), {
      ...init, signal, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  } catch (e) {
    if (o.signal?.aborted) throw abortError(o.signal, what);
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new SpinozaError('control-failed', `${what}: no answer (${cause})`, 'is the node up? see `spinoza status`', { cause: e });
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status !== 200) {
    const err = ErrorBody.safeParse(body);
    const message = err.success ? err.data.error : `HTTP ${res.status}`;
    if (err.success && err.data.code === 'profile-invalid') {
      throw new SpinozaError('profile-invalid', `node ${node.id} refused the profile: ${message}`, 'fix the profile field named');
    }
    throw new SpinozaError('control-failed', `${what}: ${message}`,
      res.status === 404 && err.success && err.data.code === 'control-disabled'
        ? 'the run was started without a control token; start a new run with `spinoza up`'
        : 'see the node\'s log with `spinoza logs`');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new SpinozaError('control-failed', `${what}: unexpected answer`, 'is the node from another version?');
  return parsed.data;
}
