#!/usr/bin/env node
// The trusted client's command line for a registration-built testnet (compose):
//   node dist/client/cli.js broadcast TEXT [--json] [--timeout MS] [--registrar URL] [--wait-nodes N]
// Finds the nodes through the registrar, waits until they are ready, broadcasts through one of them
// and prints the delivery summary (the same JSON as `spinoza broadcast --json`). Env: SPINOZA_SEED
// (the client's key; compose.yml sets it), SPINOZA_REGISTRAR (default http://registrar:7000).
import { parseArgs } from 'node:util';
import { authorityKey, CLIENT_NAME, clientKey } from '../node/membership/authority.js';
import type { Directory } from '../node/directory/directory.js';
import { SpinozaClient, type BroadcastResult } from './client.js';
import { ClientError } from './errors.js';
import { waitReady, type ReadyProgress } from './wait-ready.js';

const USAGE = `usage: node dist/client/cli.js broadcast TEXT [options]
  --json             print the delivery summary as one JSON object
  --timeout MS       wait this long for the delivery proof (default 30000)
  --registrar URL    the registrar (default $SPINOZA_REGISTRAR or http://registrar:7000)
  --wait-nodes N     first wait until N nodes are registered and current (default 1)
  --wait-timeout MS  give up waiting for the nodes after this long (default 600000)
  --debug            print the stack of an error
  env SPINOZA_SEED   the testnet seed the client key derives from (compose.yml sets it)
`;

/** A failure the CLI reports as `error[code]: message — hint`. */
class CliError extends Error {
  constructor(readonly code: string, message: string, readonly hint: string) { super(message); }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      json: { type: 'boolean' }, timeout: { type: 'string' }, registrar: { type: 'string' },
      'wait-nodes': { type: 'string' }, 'wait-timeout': { type: 'string' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, text, ...extra] = positionals;
  if (command !== 'broadcast' || text === undefined || extra.length > 0) throw new CliError('usage', 'expected: broadcast TEXT', USAGE.split('\n')[0]!);
  const seed = process.env.SPINOZA_SEED;
  if (!seed) throw new CliError('config', 'SPINOZA_SEED is not set', 'compose.yml sets it for the client service; outside compose, export the registrar\'s seed');
  const registrar = values.registrar ?? (process.env.SPINOZA_REGISTRAR || 'http://registrar:7000');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());

  const dir = await waitReady({
    registrar, authority: authorityKey(seed).publicKey.toString('base64'),
    nodes: positiveInt(values['wait-nodes'], 1, '--wait-nodes'),
    timeoutMs: positiveInt(values['wait-timeout'], 600_000, '--wait-timeout'),
    signal: controller.signal, onProgress: progress,
  });
  process.stderr.write(`ready (${elapsed()}): ${dir.members.length} nodes at directory epoch ${dir.epoch}\n`);
  const initiator = { name: CLIENT_NAME, key: clientKey(seed) };
  if (!dir.initiatorKey(CLIENT_NAME)?.equals(initiator.key.publicKey)) {
    throw new CliError('seed-mismatch', 'the directory does not list this client\'s key', 'give the client the registrar\'s SPINOZA_SEED');
  }
  const result = await broadcastVia(dir, text, initiator, positiveInt(values.timeout, 30_000, '--timeout'), controller.signal);
  process.stdout.write(values.json ? JSON.stringify(deliveryJson(result)) + '\n' : formatResult(result));
  return result.proofValid && result.missing.length === 0 ? 0 : 1;
}

/** Submits through a random member, trying up to three of them if one cannot be reached. */
async function broadcastVia(dir: Directory, text: string, initiator: { name: string; key: ReturnType<typeof clientKey> },
  timeoutMs: number, signal: AbortSignal): Promise<BroadcastResult & { via: number }> {
  const order = [...dir.members];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  order.length = Math.min(order.length, 3);
  let lastError: unknown;
  for (const via of order) {
    const e = dir.entry(via)!;
    let client: SpinozaClient;
    try {
      client = await SpinozaClient.connect({ url: `ws://${e.host}:${e.port}/`, directory: dir, initiator, signal });
    } catch (err) {
      lastError = err;
      continue;
    }
    try {
      return { ...(await client.broadcast(text, { live: dir.members, timeoutMs, signal })), via };
    } finally {
      await client.close();
    }
  }
  throw lastError;
}

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;

function progress(p: ReadyProgress): void {
  if (p.unreachable !== undefined) {
    process.stderr.write(`waiting (${elapsed()}): registrar not reachable (${p.unreachable}) — is the testnet up? docker compose up -d\n`);
    return;
  }
  const current = p.current === null ? '' : ` · ${p.current}/${p.registered} current`;
  process.stderr.write(`waiting (${elapsed()}): ${p.registered}/${p.wanted} registered · epoch ${p.epoch}${current}\n`);
}

/** The fields `spinoza broadcast --json` prints (orchestrator/cli/format.ts deliveryJson), then `via`. */
const deliveryJson = (r: BroadcastResult & { via: number }): Record<string, unknown> => ({
  id: r.id, expected: r.expected, delivered: r.delivered, missing: r.missing, latencyMs: r.latencyMs,
  proofValid: r.proofValid, complete: r.complete, via: r.via,
});

const formatResult = (r: BroadcastResult & { via: number }): string => [
  `broadcast ${r.id}`,
  `  delivered to ${r.delivered}/${r.expected} nodes (via node ${r.via}) · proof ${r.proofValid ? 'valid' : 'INVALID'} · ${r.complete ? 'complete' : 'partial'}`,
  `  latency p50 ${r.latencyMs.p50 ?? '–'} ms · p99 ${r.latencyMs.p99 ?? '–'} ms · max ${r.latencyMs.max ?? '–'} ms`,
  `  missing: ${r.missing.length === 0 ? 'none' : r.missing.join(', ')}`,
  ...r.problems.slice(0, 10).map((p) => `  problem: ${p}`),
].join('\n') + '\n';

function positiveInt(v: string | undefined, fallback: number, flag: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError('usage', `${flag} must be a positive integer, got "${v}"`, 'see --help');
  return n;
}

const HINTS: Partial<Record<string, string>> = {
  'connect-failed': 'is the testnet up? `docker compose ps`',
  timeout: 'raise --timeout / --wait-timeout, or look at `docker compose logs`',
  rejected: 'the node logs the reason too',
};

main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (e: unknown) => {
    const code = e instanceof CliError || e instanceof ClientError ? e.code : 'internal';
    const hint = e instanceof CliError ? e.hint : HINTS[code];
    process.stderr.write(`error[${code}]: ${(e as Error).message}${hint ? ` — ${hint}` : ''}\n`);
    if (process.argv.includes('--debug')) process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(code === 'usage' ? 2 : 1);
  },
);
