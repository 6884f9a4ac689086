#!/usr/bin/env node
// Process entry of the compose testnet's registrar: `node dist/node/membership/registrar-main.js`.
// Env: SPINOZA_SEED, SPINOZA_ADMISSION_SECRET (both required; compose.yml sets them), PORT (7000),
// SPINOZA_STATE_DIR (/tmp/spinoza), SPINOZA_RUN_ID (default: random, kept in the state dir).
import { parseArgs } from 'node:util';
import { startRegistrar } from './registrar.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('usage: node dist/node/membership/registrar-main.js [--port N] [--state-dir DIR]\n' +
      '  env: SPINOZA_SEED, SPINOZA_ADMISSION_SECRET (required), PORT, SPINOZA_STATE_DIR, SPINOZA_RUN_ID\n');
    return;
  }
  const seed = required('SPINOZA_SEED');
  const admissionSecret = required('SPINOZA_ADMISSION_SECRET');
  const port = Number(values.port ?? process.env.PORT ?? 7000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('usage', `--port/PORT must be a port number, got ${values.port ?? process.env.PORT}`);
  const runId = process.env.SPINOZA_RUN_ID || undefined;
  const registrar = await startRegistrar({
    seed, admissionSecret, listen: { host: '0.0.0.0', port },
    stateDir: values['state-dir'] ?? (process.env.SPINOZA_STATE_DIR || '/tmp/spinoza'),
    ...(runId && { runId }),
  });
  process.stderr.write(`registrar for network ${registrar.network} on 0.0.0.0:${registrar.port}; ` +
    `${registrar.registry.size} node(s) registered, epoch ${registrar.registry.epoch}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    registrar.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) fail('config', `${name} is not set — compose.yml sets it; outside compose, export it`);
  return v;
}

function fail(code: string, message: string): never {
  process.stderr.write(`error[${code}]: ${message}\n`);
  process.exit(2);
}

main().catch((e: unknown) => {
  process.stderr.write(`error[registrar-start]: ${(e as Error).message}\n`);
  process.exit(1);
});
