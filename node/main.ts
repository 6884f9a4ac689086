#!/usr/bin/env node
// Process entry of one node. Three modes, all exit cleanly on SIGTERM/SIGINT:
//   node dist/node/main.js --config FILE     a NodeConfig written by `spinoza up`
//   node dist/node/main.js --enrol FILE      an EnrolConfig: join a running testnet by quorum
//                                            (docs/membership.md#registration)
//   node dist/node/main.js --join URL        register with the registrar at URL (compose replicas;
//                                            docs/compose.md). Env: SPINOZA_JOIN, PORT (7000),
//                                            SPINOZA_ADMISSION_SECRET, SPINOZA_STATE_DIR (/tmp/spinoza),
//                                            SPINOZA_ADVERTISE, SPINOZA_AUTHORITY.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { EnrolConfig, NodeConfig } from './config.js';
import { startEnrolledNode } from './membership/enrolled-node.js';
import { startJoinedNode, type JoinedNode } from './membership/joined-node.js';
import { startNode } from './node.js';

const USAGE = 'usage: node dist/node/main.js --config FILE   (a NodeConfig JSON written by `spinoza up`)\n' +
  '       node dist/node/main.js --enrol FILE    (an EnrolConfig JSON: register by quorum, then serve)\n' +
  '       node dist/node/main.js --join URL [--port N] [--state-dir DIR] [--advertise HOST]   (register with a registrar)\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' }, enrol: { type: 'string' }, join: { type: 'string' }, port: { type: 'string' },
      'state-dir': { type: 'string' }, advertise: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  const join = values.join ?? (values.config || values.enrol ? undefined : process.env.SPINOZA_JOIN || undefined);
  if (values.help || (!values.config && !values.enrol && !join)) {
    process.stderr.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const stop = join ? await startJoined(join, values) : values.enrol ? await startEnrolled(values.enrol) : await startFromConfig(values.config!);
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Reads and validates a config file; exits 2 with the first bad field named. */
function readConfig<T>(schema: z.ZodType<T>, path: string): T {
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (parsed.success) return parsed.data;
  const i = parsed.error.issues[0];
  process.stderr.write(`error[config-invalid]: ${path}: ${i?.path.join('.')}: ${i?.message}\n`);
  process.exit(2);
}

async function startFromConfig(path: string): Promise<() => Promise<void>> {
  const config = readConfig(NodeConfig, path);
  const node = await startNode(config);
  process.stderr.write(`node ${node.id} listening on ${config.listen.host}:${node.port}\n`);
  return () => node.stop();
}

async function startEnrolled(path: string): Promise<() => Promise<void>> {
  const config = readConfig(EnrolConfig, path);
  const node = await startEnrolledNode(config, {}, (line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`node ${node.id} listening on ${config.listen.host}:${node.port}\n`);
  return () => node.stop();
}

async function startJoined(registrar: string, values: { port?: string; 'state-dir'?: string; advertise?: string }): Promise<() => Promise<void>> {
  const secret = process.env.SPINOZA_ADMISSION_SECRET;
  if (!secret) {
    process.stderr.write('error[no-admission-secret]: SPINOZA_ADMISSION_SECRET is not set — the compose setup provides it (compose.yml)\n');
    process.exit(2);
  }
  const port = Number(values.port ?? process.env.PORT ?? 7000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`error[usage]: --port/PORT must be a port number, got ${values.port ?? process.env.PORT}\n`);
    process.exit(2);
  }
  const advertise = values.advertise ?? (process.env.SPINOZA_ADVERTISE || undefined);
  const authority = process.env.SPINOZA_AUTHORITY || undefined;
  let joined: JoinedNode | undefined;
  joined = await startJoinedNode({
    registrar, admissionSecret: secret, listen: { host: '0.0.0.0', port },
    stateDir: values['state-dir'] ?? (process.env.SPINOZA_STATE_DIR || '/tmp/spinoza'),
    ...(advertise && { advertise }), ...(authority && { authority }),
  }, {
    log: (line) => process.stderr.write(`${line}\n`),
    // Exit rather than linger in a network nobody serves any more; the container shows as exited.
    onLost: (problem) => {
      process.stderr.write(`error[registrar-lost]: ${problem} — bring the testnet up again: docker compose down && docker compose up -d\n`);
      void (joined?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    },
  });
  process.stderr.write(`node ${joined.id} listening on 0.0.0.0:${port}\n`);
  const running = joined;
  return () => running.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`error[node-start]: ${(e as Error).message}\n`);
  process.exit(1);
});
