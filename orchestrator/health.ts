// Reaching nodes over HTTP (GET /health): shared by every backend, since all nodes serve the same endpoints.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { NodeId } from '../node/wire/schemas.js';
import { abortError, SpinozaError } from './errors.js';
import { mapLimit } from '../client/concurrency.js';

export { mapLimit };

export interface NodeAddress {
  id: number;
  host: string;
  port: number;
}

const HealthBody = z.object({ ok: z.literal(true), id: NodeId, epoch: z.number().int() });
export type HealthBody = z.infer<typeof HealthBody>;
export type HealthResult = HealthBody | { ok: false; error: string };

/** URL of a node's HTTP endpoint; a wildcard listen address is reached on loopback. */
export function nodeUrl(n: Pick<NodeAddress, 'host' | 'port'>, path: string, scheme: 'http' | 'ws' = 'http'): string {
  const host = n.host === '0.0.0.0' ? '127.0.0.1' : n.host === '::' ? '::1' : n.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${n.port}${path}`;
}

export interface NodeGetOptions { timeoutMs?: number; signal?: AbortSignal }

/**
 * GET `path` of a node and parse its JSON with `schema`, then `check` that it answered as the node
 * we mean (another run's node on that port answers too). Never throws for an unreachable or wrong
 * node; only for an abort of `signal`.
 */
export async function getNodeJson<T>(
  n: Pick<NodeAddress, 'host' | 'port'>, path: string, schema: z.ZodType<T>, check: (body: T) => string | undefined, opts: NodeGetOptions = {},
): Promise<{ ok: true; body: T } | { ok: false; error: string }> {
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 1000), ...(opts.signal ? [opts.signal] : [])];
  try {
    const res = await fetch(nodeUrl(n, path), { signal: AbortSignal.any(signals) });
    if (res.status !== 200) return { ok: false, error: `HTTP ${res.status}` };
    const body = schema.safeParse(await res.json());
    if (!body.success) return { ok: false, error: `unexpected ${path} body` };
    const wrong = check(body.data);
    return wrong === undefined ? { ok: true, body: body.data } : { ok: false, error: wrong };
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal, `${path.slice(1)} check`);
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: cause ?? (e as Error).name };
  }
}

/** One /health probe: the id must be the one we started. */
export async function fetchHealth(n: NodeAddress, opts: NodeGetOptions = {}): Promise<HealthResult> {
  const r = await getNodeJson(n, '/health', HealthBody, (b) => (b.id !== n.id ? `answered as node ${b.id}` : undefined), opts);
  return r.ok ? r.body : r;
}

export interface WaitHealthyOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (ready: number, total: number) => void;
  /** Fails the wait at once when a node can no longer come up (e.g. its process exited). */
  failure?: () => SpinozaError | undefined;
  /** Probes in flight at once. */
  concurrency?: number;
}

/** Waits until every node answers /health as itself; polls with backoff, never a fixed sleep per node. */
export async function waitHealthy(nodes: readonly NodeAddress[], opts: WaitHealthyOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const lastError = new Map<number, string>();
  let pending = [...nodes];
  let backoffMs = 25;
  opts.onProgress?.(0, nodes.length);
  while (pending.length > 0) {
    const failed = opts.failure?.();
    if (failed) throw failed;
    if (Date.now() > deadline) throw unhealthy(pending, lastError, opts.timeoutMs);
    const results = await mapLimit(pending, opts.concurrency ?? 64, (n) =>
      fetchHealth(n, { timeoutMs: 1000, ...(opts.signal && { signal: opts.signal }) }));
    pending = pending.filter((n, i) => {
      const r = results[i]!;
      if (!r.ok) lastError.set(n.id, r.error);
      return !r.ok;
    });
    opts.onProgress?.(nodes.length - pending.length, nodes.length);
    if (pending.length === 0) break;
    try {
      await delay(backoffMs, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      throw abortError(opts.signal!, 'waiting for nodes');
    }
    backoffMs = Math.min(backoffMs * 1.5, 500);
  }
}

function unhealthy(pending: readonly NodeAddress[], lastError: Map<number, string>, timeoutMs: number): SpinozaError {
  const first = pending[0]!;
  const ids = pending.slice(0, 10).map((n) => n.id).join(', ') + (pending.length > 10 ? ', …' : '');
  return new SpinozaError('node-unhealthy',
    `${pending.length} node(s) not healthy after ${timeoutMs} ms: ${ids} (node ${first.id}: ${lastError.get(first.id) ?? 'no answer'})`,
    `see \`spinoza logs ${first.id}\`; on a slow machine raise --timeout`);
}

