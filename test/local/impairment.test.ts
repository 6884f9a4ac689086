// Userspace impairment on 12 real nodes: profiles applied through the control endpoint
// (applyProfile, as `spinoza shape` does) and measured by the probe over the nodes' real links.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitGrudges } from '../../node/impairment/index.js';
import { verifyProof } from '../../node/index.js';
import { pingFrom } from '../../orchestrator/impair/control.js';
import { applyProfile, controlTarget, shapeCommand, type ShapeResult } from '../../orchestrator/impair/shape.js';
import type { OpenRun } from '../../orchestrator/run.js';
import { runLayout, setCurrent, writeRecord } from '../../orchestrator/state.js';
import { broadcast, startTestnet, waitFor, type Testnet } from './harness.js';

const TOKEN = 'test-control-token-0123456789';
const N = 12;
/** RTTs are measured on a shared machine: another process's CPU burst inflates a pair's median. */
const TIMED = { retry: 2 };

/** What `spinoza shape` prints, one line per figure (kept in the test log as the measured record). */
const summary = (r: ShapeResult): string => `${r.mode} ${JSON.stringify(r.profile)}: ` + r.probe.pairs
  .map((p) => `${p.from}→${p.to} p50 ${p.rttMedianMs ?? '-'} ms lost ${p.lost}/${p.sent}`).join('; ')
  + ` | lost ${r.probe.lost}/${r.probe.sent} (bound ${r.probe.lostBound.min}..${r.probe.lostBound.max})`;

describe('control endpoints', () => {
  it('are disabled on a node started without a control token', async () => {
    const net = await startTestnet({ nodes: 1, seed: 'no-control' });
    try {
      const res = await fetch(`http://127.0.0.1:${net.dir.entry(1)!.port}/control/impairment`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'control-disabled' });
    } finally {
      await net.stop();
    }
  });
});

describe(`userspace impairment on ${N} nodes`, () => {
  let net: Testnet;
  let run: OpenRun;
  let home: string;
  const http = (id: number, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${net.dir.entry(id)!.port}${path}`, init);
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    net = await startTestnet({ nodes: N, seed: 'impair', controlToken: TOKEN, params: { ackTimeoutMs: 500, maxRetries: 1 } });
    // A run as the orchestrator sees it: the directory, the record, and a node config holding the token.
    home = await mkdtemp(join(tmpdir(), 'spinoza-impair-'));
    const layout = runLayout(home, 'sp-impair');
    await mkdir(join(layout.dir, 'nodes'), { recursive: true });
    await writeFile(layout.nodeConfig(1), JSON.stringify({ id: 1, control: { token: TOKEN } }));
    run = {
      layout, directory: net.dir.data,
      record: { runId: 'sp-impair', backend: 'process', createdAt: '', state: 'up', live: net.live, dead: [], unreliable: [], processes: [] },
    };
  });
  afterAll(async () => {
    await net?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('guards the control endpoints with the run token', async () => {
    expect((await http(1, '/control/impairment')).status).toBe(401);
    expect((await http(1, '/control/impairment', { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    const ok = await http(1, '/control/impairment', { headers: auth });
    expect(await ok.json()).toEqual({ mode: 'userspace', profile: null, since: null, region: null });
    const bad = await http(1, '/control/impairment', { method: 'PUT', headers: auth, body: JSON.stringify({ loss: 2 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'profile-invalid', field: 'loss' });
    expect(((await (await http(1, '/control/impairment', { headers: auth })).json()) as { profile: unknown }).profile).toBeNull();
  });

  it('a profile naming a node not in the directory is refused before any node changes', async () => {
    await expect(applyProfile(run, { latencyMs: 10, partition: { 1: [99] } })).rejects.toMatchObject({ code: 'profile-invalid' });
    for (const id of net.live) {
      const state = (await (await http(id, '/control/impairment', { headers: auth })).json()) as { profile: unknown };
      expect(state.profile).toBeNull();
    }
  });

  it('50 ms one-way latency: the probe measures RTT ≈ 100 ms', TIMED, async () => {
    const r = await applyProfile(run, { latencyMs: 50 }, { probe: { pairs: 8, count: 30 } });
    console.info(summary(r));
    expect(r.probe.ok).toBe(true);
    expect(r.applied).toEqual(net.live);
    for (const p of r.probe.pairs) {
      expect(p.rttMedianMs).toBeGreaterThanOrEqual(100);
      expect(p.rttMedianMs).toBeLessThanOrEqual(120);
    }
    expect(net.events.get(5)!.filter((e) => e.ev === 'impairment').at(-1)).toMatchObject({ mode: 'userspace', profile: { latencyMs: 50 } });
  });

  it('10% loss per direction: lost pings within the binomial bound of 1-(1-p)^2', async () => {
    const r = await applyProfile(run, { loss: 0.1, seed: 'loss' }, { probe: { pairs: 10, count: 60 } });
    console.info(summary(r));
    expect(r.probe.ok).toBe(true);
    expect(r.probe.lossRate).toBeGreaterThan(0.1);
    expect(r.probe.lossRate).toBeLessThan(0.3);
  });

  it('a partition makes peers unreachable; healing restores them', async () => {
    const [left, right] = [net.live.slice(0, N / 2), net.live.slice(N / 2)];
    const r = await applyProfile(run, { partition: splitGrudges([left, right]) }, { probe: { pairs: 8, count: 20 } });
    console.info(summary(r));
    expect(r.probe.ok).toBe(true);
    expect(r.probe.pairs.some((p) => p.rttMs === null && p.lost === p.sent)).toBe(true);
    const target = await controlTarget(run);
    const across = await pingFrom(target.nodes[0]!, TOKEN, { peer: right[0]!, count: 5, intervalMs: 10, timeoutMs: 500, warmupMs: 0 }, { timeoutMs: 10_000 });
    expect(across.lost).toBe(5);
    const split = await broadcast(net, left[0]!, 'during the split');
    expect(verifyProof(split, net.dir).missing).toEqual(right);

    const healed = await applyProfile(run, null, { probe: { pairs: 8, count: 20 } });
    console.info(summary(healed));
    expect(healed.probe.ok).toBe(true);
    // Reachable again once each link is back up: a dial that failed during the split waits out its
    // reconnect backoff (up to 5 s), as it would after a real network heals.
    const back = await Promise.all(right.map((peer) => pingFrom(target.nodes[0]!, TOKEN,
      { peer, count: 5, intervalMs: 10, timeoutMs: 1000, warmupMs: 8000 }, { timeoutMs: 20_000 })));
    expect(back.map((b) => b.lost)).toEqual(right.map(() => 0));
    const after = await broadcast(net, left[0]!, 'after the heal');
    expect(verifyProof(after, net.dir).missing).toEqual([]);
    // Anti-entropy hands the right side what it missed during the split.
    const delivered = (id: number): boolean => net.events.get(id)!.some((e) => e.ev === 'delivered' && e.id === split.id);
    await waitFor(() => right.every(delivered), 'the right side to catch up after the heal', 20_000);
  });

  it('spinoza shape: a named profile from the manifest with a flag on top, then --clear', TIMED, async () => {
    await writeFile(run.layout.manifest, 'seed: impair\nimpairment:\n  profiles:\n    wan: { latencyMs: 20, jitterMs: 2 }\n');
    await writeFile(run.layout.genesis, JSON.stringify(net.dir.data));
    await writeRecord(run.layout, run.record);
    await setCurrent(home, run.layout.runId);
    await expect(shapeCommand({ home, positionals: ['lan'], values: {} })).rejects.toMatchObject({ code: 'profile-invalid' });
    const wan = await shapeCommand({ home, positionals: ['wan'], values: { loss: '1%', pairs: '4', count: '20' } });
    console.info(summary(wan.json));
    expect(wan.exitCode).toBe(0);
    expect(wan.json.profile).toEqual({ latencyMs: 20, jitterMs: 2, loss: 0.01, seed: 'impair' });
    expect(wan.text).toContain('applied (userspace mode) on 12 node(s)');
    const clear = await shapeCommand({ home, positionals: [], values: { clear: true, pairs: '4', count: '10' } });
    expect(clear.json.profile).toBeNull();
    expect(clear.exitCode).toBe(0);
  });

  it('clearing restores ~0 ms', TIMED, async () => {
    await applyProfile(run, { latencyMs: 30, jitterMs: 5 }, { probe: { pairs: 4, count: 20 } });
    const r = await applyProfile(run, null, { probe: { pairs: 8, count: 30 } });
    console.info(summary(r));
    expect(r.probe.ok).toBe(true);
    for (const p of r.probe.pairs) expect(p.rttMedianMs).toBeLessThan(5);
  });
});
