// The docker backend end to end: 24 real containers, a broadcast per strategy through the trusted
// client, and `down` leaving nothing behind.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_RUN } from '../../orchestrator/backends/docker/engine.js';
import { broadcast, down, openRun, resolveManifest, status, up, type UpResult } from '../../orchestrator/index.js';
import { docker, tearDownRun, testBackend } from './support.js';

const NODES = 24;

describe('docker backend: 24 containers', () => {
  let home: string;
  let run: UpResult;
  const backend = testBackend();

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-docker-'));
    run = await up({ home, backend, manifest: resolveManifest({ nodes: NODES, seed: 'docker-suite', backend: 'docker' }) });
  });

  afterAll(() => tearDownRun(home, run?.runId));

  it('puts every node on the run network at its directory address, healthy', async () => {
    const s = await status({ home });
    expect(s.backend).toBe('docker');
    expect(s.healthy).toBe(NODES);
    const containers = await docker.listContainers({ filters: { label: [`${LABEL_RUN}=${run.runId}`] } });
    expect(containers).toHaveLength(NODES);
    const byId = new Map(run.nodes.map((n) => [n.id, n.host]));
    for (const c of containers) {
      const ip = Object.values(c.NetworkSettings.Networks)[0]?.IPAddress;
      expect(ip).toBe(byId.get(Number(c.Labels['spinoza.node'])));
    }
  });

  it.each(['tree', 'ring', 'gossip'] as const)('%s: delivered to all 24 with a valid proof', async (strategy) => {
    const r = await broadcast({ home, text: `hello over ${strategy}`, strategy });
    expect(r.proofValid, r.problems.join('; ')).toBe(true);
    expect(r.missing).toEqual([]);
    expect(r.delivered).toBe(NODES);
  });

  it('serves a node\'s output through the backend, and keeps it after down', async () => {
    const r = await openRun(home);
    expect(await backend.logs(r, 3)).toMatch(/node 3 listening/);
    const d = await down({ home });
    expect(d.stopped).toHaveLength(NODES);
    const filters = { label: [`${LABEL_RUN}=${run.runId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect(await backend.logs(r, 3)).toMatch(/node 3 listening/);
  });
});
