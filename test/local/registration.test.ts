// Registration end to end on 127.0.0.1 (the compose path without Docker): a registrar, 10 nodes that
// join by themselves, and the client CLI broadcasting to all of them with a valid proof.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeyPair } from '../../node/crypto/index.js';
import {
  admissionKey, authorityKey, buildRegisterRequest, fetchRegistrarHealth, registrarMemorySink, startJoinedNode, startRegistrar,
  type JoinedNode, type JoinedNodeConfig, type RunningRegistrar,
} from '../../node/membership/index.js';
import { freePorts } from './harness.js';

const SEED = 'local-registration';
const SECRET = 'local-admission-secret';
const NODES = 10;
const CLIENT_CLI = resolve('dist/client/cli.js');

describe(`a registrar and ${NODES} joining nodes`, () => {
  let stateRoot: string;
  let registrar: RunningRegistrar;
  let url: string;
  const events = registrarMemorySink();
  const nodes: JoinedNode[] = [];
  let ports: number[];
  const config = (i: number): JoinedNodeConfig => ({
    registrar: url, admissionSecret: SECRET, listen: { host: '127.0.0.1', port: ports[i]! }, stateDir: join(stateRoot, `node-${i}`),
    // Fast follow for the test; compose uses the defaults.
    follow: { minIntervalMs: 200 },
  });

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'spinoza-registration-'));
    ports = await freePorts(NODES);
    registrar = await startRegistrar({ seed: SEED, admissionSecret: SECRET, listen: { host: '127.0.0.1', port: 0 } }, { events });
    url = `http://127.0.0.1:${registrar.port}`;
    // All at once, as compose starts replicas: ids follow the order the registrar hears them.
    nodes.push(...await Promise.all(ports.map((_, i) => startJoinedNode(config(i)))));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await registrar?.stop();
    await rm(stateRoot, { recursive: true, force: true });
  });

  it('each node registers with its own key and address and gets a distinct id', async () => {
    expect(nodes.map((n) => n.id).sort((a, b) => a - b)).toEqual(Array.from({ length: NODES }, (_, i) => i + 1));
    expect(nodes.every((n) => n.host === '127.0.0.1' && !n.resumed)).toBe(true);
    const health = await fetchRegistrarHealth(url);
    expect(health).toMatchObject({ nodes: NODES, epoch: NODES, network: registrar.network });
    expect(events.events.filter((e) => e.ev === 'registered')).toHaveLength(NODES);
  });

  it('the client CLI waits for every node to hold the latest directory, then all deliver with a valid proof', async () => {
    const r = await clientCli(['broadcast', 'hello from the registration test', '--json', '--registrar', url, '--wait-nodes', String(NODES), '--wait-timeout', '60000']);
    expect(r.stderr).toMatch(/registered/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { expected: number; delivered: number; missing: number[]; proofValid: boolean };
    expect(out).toMatchObject({ expected: NODES, delivered: NODES, missing: [], proofValid: true });
  });

  it('a forged, unauthenticated or replayed registration is refused with its reason, counted and logged', async () => {
    const post = async (body: unknown): Promise<{ status: number; error: string }> => {
      const res = await fetch(`${url}/register`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, error: ((await res.json()) as { error: string }).error };
    };
    const key = deriveKeyPair(SEED, 'intruder', 0);
    const base = { key, network: registrar.network, host: '127.0.0.1', port: 1, ts: Date.now() };
    expect(await post(buildRegisterRequest({ ...base, admissionKey: admissionKey('guessed') }))).toEqual({ status: 403, error: 'bad-credential' });
    expect(await post(buildRegisterRequest(base))).toEqual({ status: 401, error: 'missing-credential' });
    const good = buildRegisterRequest({ ...base, admissionKey: admissionKey(SECRET) });
    expect((await post(good)).status).toBe(200);
    expect(await post(good)).toEqual({ status: 409, error: 'replay' });
    expect(await post('not a request')).toEqual({ status: 400, error: 'malformed' });
    const refused = events.events.flatMap((e) => (e.ev === 'refused' ? [e.reason] : []));
    expect(refused).toEqual(['bad-credential', 'missing-credential', 'replay', 'malformed']);
    expect(registrar.metrics.render()).toMatch(/spinoza_registrations_refused_total\{reason="replay"\} 1/);
  });

  it('a restarted node keeps its key and resumes its entry; no new registration', async () => {
    const before = registrar.registry.epoch;
    const old = nodes.shift()!;
    await old.stop();
    const index = ports.indexOf(old.node.port);
    const again = await startJoinedNode(config(index));
    nodes.push(again);
    expect(again).toMatchObject({ id: old.id, resumed: true });
    expect(registrar.registry.epoch).toBe(before);
  });

  it('a node refuses a directory not signed by the authority it pinned', async () => {
    const wrong = deriveKeyPair(SEED, 'not-the-authority', 0).publicKey.toString('base64');
    expect(wrong).not.toBe(authorityKey(SEED).publicKey.toString('base64'));
    const [port] = await freePorts(1);
    await expect(startJoinedNode({ ...config(0), listen: { host: '127.0.0.1', port: port! }, stateDir: join(stateRoot, 'pinned'), authority: wrong }))
      .rejects.toThrow(/not as the configured authority/);
  });
});


describe('a registrar that lost its state', () => {
  it('makes its nodes stop following with a clear reason instead of waiting forever', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spinoza-registration-lost-'));
    const [rport, nport] = await freePorts(2);
    const listen = { host: '127.0.0.1', port: rport! };
    let registrar = await startRegistrar({ seed: SEED, admissionSecret: SECRET, listen, runId: 'first' });
    let lost: string | undefined;
    const node = await startJoinedNode(
      { registrar: `http://127.0.0.1:${rport}`, admissionSecret: SECRET, listen: { host: '127.0.0.1', port: nport! }, stateDir: root, follow: { retryMs: 100 } },
      { onLost: (p) => { lost = p; } },
    );
    try {
      await registrar.stop();
      // Recreated without its state: another run id, so another network, and epoch 0.
      registrar = await startRegistrar({ seed: SEED, admissionSecret: SECRET, listen, runId: 'second' });
      const deadline = Date.now() + 10_000;
      while (lost === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(lost).toMatch(/no longer knows network/);
    } finally {
      await node.stop();
      await registrar.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});

function clientCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLIENT_CLI, ...args], { timeout: 90_000, env: { ...process.env, SPINOZA_SEED: SEED } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
