// `broadcast`: the trusted client of the current run sends one message through a live node.
import { ClientError, SpinozaClient, type BroadcastResult } from '../client/index.js';
import type { StrategyName } from '../node/wire/schemas.js';
import { SpinozaError, type ErrorCode } from './errors.js';
import { nodeUrl } from './health.js';
import { openRun, pickEntryNode, type OpenRun } from './run.js';
import { appendBroadcast, readClientKey } from './state.js';

export interface BroadcastOptions {
  home: string;
  text: string;
  /** Entry node id; default the first live, reliable node. */
  via?: number;
  strategy?: StrategyName;
  /** For the answer and the proof (connecting has its own 5 s limit); default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunBroadcastResult extends BroadcastResult {
  /** The entry node the client talked to. */
  via: number;
}

export async function broadcast(opts: BroadcastOptions): Promise<RunBroadcastResult> {
  const run = await openRun(opts.home);
  const rc = await connectRunClient(run, opts.via, opts.signal);
  try {
    return await sendBroadcast(run, rc, opts.text, opts);
  } finally {
    await rc.client.close();
  }
}

/** The run's trusted client and the node it is connected to. */
export interface RunClient {
  client: SpinozaClient;
  via: number;
}

/** A client of `run` connected to its entry node (see pickEntryNode). */
export async function connectRunClient(run: OpenRun, via?: number, signal?: AbortSignal): Promise<RunClient> {
  const entry = pickEntryNode(run, via);
  try {
    const client = await SpinozaClient.connect({
      url: nodeUrl(entry, '/', 'ws'),
      directory: run.directory,
      initiator: await readClientKey(run.layout),
      ...(signal && { signal }),
    });
    return { client, via: entry.id };
  } catch (e) {
    throw fromClientError(e, `node ${entry.id}`);
  }
}

/** Sends one broadcast over an open client and records it (id and entry node) for `verify`. */
export async function sendBroadcast(
  run: OpenRun,
  { client, via }: RunClient,
  text: string,
  opts: Pick<BroadcastOptions, 'strategy' | 'timeoutMs' | 'signal'>,
): Promise<RunBroadcastResult> {
  try {
    const result = await client.broadcast(text, {
      live: run.record.live,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.strategy && { strategy: opts.strategy }),
      ...(opts.signal && { signal: opts.signal }),
    });
    await appendBroadcast(run.layout, { id: result.id, via: via, at: Date.now() });
    return { ...result, via: via };
  } catch (e) {
    throw fromClientError(e, `node ${via}`);
  }
}

const CODES: Record<ClientError['code'], ErrorCode> = {
  'connect-failed': 'connect-failed',
  closed: 'connect-failed',
  rejected: 'broadcast-rejected',
  timeout: 'timeout',
  aborted: 'aborted',
  'bad-reply': 'proof-invalid',
};

const HINTS: Record<ClientError['code'], string> = {
  'connect-failed': 'is the run up? check `spinoza status`',
  closed: 'the node dropped the connection; see `spinoza status` and its log',
  rejected: 'see the reason; the node logs it too (`spinoza logs NODE`)',
  timeout: 'raise --timeout, or check `spinoza status`',
  aborted: 'interrupted; the broadcast may still be delivered',
  'bad-reply': 'the node answered something the client cannot use; see its log',
};

function fromClientError(e: unknown, where: string): unknown {
  if (!(e instanceof ClientError)) return e;
  return new SpinozaError(CODES[e.code], `${where}: ${e.message}`, HINTS[e.code], { cause: e });
}
