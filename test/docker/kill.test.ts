// Containers killed mid-run: later broadcasts still reach every node that is alive, and the proof
// names exactly the killed ones as missing.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../../orchestrator/backends/docker/containers.js';
import { waitHealthy } from '../../orchestrator/health.js';
import { broadcast, openRun, resolveManifest, up, type UpResult } from '../../orchestrator/index.js';
import { backendRun } from '../../orchestrator/run.js';
import { docker, tearDownRun, testBackend } from './support.js';

const NODES = 24;
/** Not node 1 (the client's entry node), and spread over the neighbourhoods of 15. */
const KILLED = [5, 13, 20];

describe('docker backend: 3 of 24 containers killed mid-run', () => {
  let home: string;
  let run: UpResult;
  const backend = testBackend();

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-docker-kill-'));
    run = await up({ home, backend, manifest: resolveManifest({ nodes: NODES, seed: 'docker-kill', backend: 'docker' }) });
  });

  afterAll(() => tearDownRun(home, run?.runId));

  it('delivers to all before the kill', async () => {
    const r = await broadcast({ home, text: 'before the kill' });
    expect(r.proofValid).toBe(true);
    expect(r.delivered).toBe(NODES);
  });

  it.each(['tree', 'ring', 'gossip'] as const)('%s after the kill: every live node, killed ones missing', async (strategy) => {
    for (const id of KILLED) {
      const c = docker.getContainer(containerName(run.runId, id));
      if ((await c.inspect()).State.Running) await c.kill();
    }
    const r = await broadcast({ home, text: `after the kill over ${strategy}`, strategy });
    expect(r.proofValid, r.problems.join('; ')).toBe(true);
    expect(r.missing).toEqual(KILLED);
    expect(r.delivered).toBe(NODES - KILLED.length);
  });

  it('a killed container started again (chaos fault target) is back in the proofs and misses nothing', async () => {
    const [back, ...stillDead] = KILLED;
    const r0 = backendRun(await openRun(home));
    await backend.faults!(r0).start(back!);
    const entry = run.nodes.find((n) => n.id === back)!;
    await waitHealthy([entry], { timeoutMs: 30_000 });
    // Peers that failed to reach it hold it in reconnect backoff (at most 5 s, docs/protocol.md
    // #routing-around) unless it dialled them since; until then a proof may list it unreached,
    // and repair delivers to it. So: broadcast until a proof holds it, within that bound plus slack.
    const sent: string[] = [];
    const deadline = Date.now() + 20_000;
    let r = await broadcast({ home, text: 'after the restart 0' });
    sent.push(r.id);
    while (r.missing.includes(back!) && Date.now() < deadline) {
      r = await broadcast({ home, text: `after the restart ${sent.length}` });
      sent.push(r.id);
    }
    expect(r.proofValid, r.problems.join('; ')).toBe(true);
    expect(r.missing).toEqual(stillDead);
    // Every broadcast since the restart reached it, by relay or by repair.
    const events = join(run.runDir, 'events', `node-${back!}.ndjson`);
    await expect.poll(async () => {
      const text = await readFile(events, 'utf8');
      return sent.filter((id) => !text.includes(`"ev":"delivered","id":"${id}"`));
    }, { timeout: 30_000, interval: 250 }).toEqual([]);
  });
});
