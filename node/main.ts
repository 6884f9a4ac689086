#!/usr/bin/env node
// Process entry of one node: `node dist/node/main.js --config FILE`. Exits cleanly on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NodeConfig } from './config.js';
import { startNode } from './node.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help || !values.config) {
    process.stderr.write('usage: node dist/node/main.js --config FILE   (FILE: a NodeConfig JSON written by `spinoza up`)\n');
    process.exit(values.help ? 0 : 2);
  }
  const parsed = NodeConfig.safeParse(JSON.parse(readFileSync(values.config, 'utf8')));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    process.stderr.write(`error[config-invalid]: ${values.config}: ${i?.path.join('.')}: ${i?.message}\n`);
    process.exit(2);
  }
  const node = await startNode(parsed.data);
  process.stderr.write(`node ${node.id} listening on ${parsed.data.listen.host}:${node.port}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    node.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`error[node-start]: ${(e as Error).message}\n`);
  process.exit(1);
});
