// compose.yml itself, as a user runs it: `up --scale node=24`, then the client service broadcasts
// and every replica delivers with a valid proof. Uses the docker compose CLI (v2 plugin).
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPLICAS = 24;
const COMPOSE_FILE = resolve('compose.yml');
const IMAGE = 'spinoza/node:local';
const PROJECT = `spinoza-test-${randomBytes(4).toString('hex')}`;

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The base image: this machine and CI have no registry, so the local one unless told otherwise. */
const baseImage = process.env.SPINOZA_BASE_IMAGE ?? 'spinoza/node-base:local';
let subnet = '';
const compose = (args: string[], timeoutMs?: number): Promise<Run> =>
  run('docker', ['compose', '-f', COMPOSE_FILE, '-p', PROJECT, ...args], { SPINOZA_BASE_IMAGE: baseImage, SPINOZA_SUBNET: subnet }, timeoutMs);

describe(`compose.yml with --scale node=${REPLICAS}`, () => {
  beforeAll(async () => {
    // The docker project's global setup builds the image; built here only when it is missing.
    if ((await run('docker', ['image', 'inspect', IMAGE])).code !== 0) {
      const build = await compose(['build']);
      if (build.code !== 0) throw new Error(`docker compose build failed:\n${build.stderr.slice(-2000)}`);
    }
    // A /16 of its own, so the test runs beside a testnet already up on the default 10.213.0.0/16.
    for (let attempt = 0; ; attempt++) {
      subnet = `10.${randomInt(214, 251)}.0.0/16`;
      const up = await compose(['up', '-d', '--no-build', '--scale', `node=${REPLICAS}`]);
      if (up.code === 0) break;
      const overlap = /overlap/i.test(up.stderr);
      await compose(['down', '-v', '--remove-orphans', '--timeout', '5']);
      if (!overlap || attempt >= 5) throw new Error(`docker compose up failed:\n${up.stderr.slice(-2000)}`);
    }
  });

  afterAll(async () => {
    const down = await compose(['down', '-v', '--remove-orphans', '--timeout', '5']);
    const left = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    if (down.code !== 0 || left.stdout.trim() !== '') throw new Error(`cleanup of ${PROJECT} failed: ${down.stderr.slice(-1000)}`);
  });

  it('the client service waits for every replica, broadcasts, and all of them deliver with a valid proof', async () => {
    const r = await compose(['run', '--rm', 'client', 'broadcast', 'hello from compose', '--json',
      '--wait-nodes', String(REPLICAS), '--wait-timeout', '300000', '--timeout', '30000']);
    expect(r.stderr).toMatch(new RegExp(`ready \\(.*\\): ${REPLICAS} nodes`));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ expected: REPLICAS, delivered: REPLICAS, missing: [], proofValid: true });
  });

  it('every replica registered once, with its own key and address, and nothing was refused', async () => {
    const log = await compose(['exec', '-T', 'registrar', 'cat', '/tmp/spinoza/registrar.ndjson']);
    expect(log.code).toBe(0);
    const events = log.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ev: string; id?: number; host?: string; publicKey?: string });
    const registered = events.filter((e) => e.ev === 'registered');
    expect(registered.map((e) => e.id).sort((a, b) => a! - b!)).toEqual(Array.from({ length: REPLICAS }, (_, i) => i + 1));
    expect(new Set(registered.map((e) => e.host)).size).toBe(REPLICAS);
    expect(new Set(registered.map((e) => e.publicKey)).size).toBe(REPLICAS);
    expect(events.filter((e) => e.ev === 'refused')).toEqual([]);
  });
});
