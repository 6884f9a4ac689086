// The `spinoza` CLI end to end, as a user runs it: the built bin, real node processes on 127.0.0.1.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../orchestrator/ports.js';

const CLI = resolve('dist/orchestrator/cli.js');
const NODES = 8;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function spinoza(home: string, ...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args, '--state-dir', home], { timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Gone, or a zombie nobody reaped yet (a container's init may not): either way it holds no port. */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** A base port with NODES free ports above it, away from the defaults other suites use. */
async function freeBasePort(): Promise<number> {
  for (let base = 17_000 + (process.pid % 80) * 10; base < 18_000; base += 10) {
    const ports = Array.from({ length: NODES }, (_, i) => base + i);
    if ((await Promise.all(ports.map((p) => isPortFree('127.0.0.1', p)))).every(Boolean)) return base;
  }
  throw new Error('no free port range in 17000-17999');
}

describe('spinoza CLI', () => {
  let home: string;
  let basePort: number;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'spinoza-cli-'));
    basePort = await freeBasePort();
  });

  afterAll(async () => {
    await spinoza(home, 'down'); // only matters when a test failed half-way; 'no-run' otherwise
    await rm(home, { recursive: true, force: true });
  });

  it('up, status, broadcast, verify, down: a full run leaves nothing behind', async () => {
    const upRes = await spinoza(home, 'up', '--nodes', String(NODES), '--base-port', String(basePort), '--json');
    expect(upRes.stderr).not.toMatch(/^error/m);
    expect(upRes.code).toBe(0);
    const started = JSON.parse(upRes.stdout) as { runId: string; live: number[]; dead: number[] };
    expect(started.live).toHaveLength(NODES);

    const st = await spinoza(home, 'status', '--json');
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as {
      runId: string; healthy: number; directory: Record<string, unknown>;
      nodes: { id: number; pid: number; health: string; address: string; epoch: number; directory: { epoch: number; status: string } }[];
    };
    expect(status.runId).toBe(started.runId);
    expect(status.healthy).toBe(NODES);
    expect(status.nodes.map((n) => n.health)).toEqual(Array(NODES).fill('ok'));
    expect(status.nodes[0]!.address).toBe(`127.0.0.1:${basePort}`);
    // Each node's own directory (GET /directory): genesis, epoch 0, itself UP; all of them hold the same one.
    expect(status.nodes.map((n) => [n.epoch, n.directory.epoch, n.directory.status])).toEqual(Array(NODES).fill([0, 0, 'UP']));
    expect(status.directory).toMatchObject({ epoch: 0, agree: NODES, answered: NODES, behind: [], divergent: [], down: [], unreliable: [], new: [], registered: [] });
    const text = await spinoza(home, 'status');
    expect(text.stdout).toMatch(new RegExp(`^directory: epoch 0 \\([0-9a-f]{8}\\) held by ${NODES}/${NODES} answering nodes · DOWN: none · UNRELIABLE: none · NEW: none · registered after genesis: none$`, 'm'));
    const pids = status.nodes.map((n) => n.pid);
    expect(pids.every(alive)).toBe(true);

    const bc = await spinoza(home, 'broadcast', 'hello', '--json');
    expect(bc.stderr).toBe('');
    expect(bc.code).toBe(0);
    const result = JSON.parse(bc.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ expected: NODES, delivered: NODES, missing: [], proofValid: true });
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['id', 'expected', 'delivered', 'missing', 'latencyMs', 'proofValid']));
    expect(result.latencyMs).toEqual({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });

    const vf = await spinoza(home, 'verify', String(result.id), '--json');
    expect(vf.code).toBe(0);
    expect(JSON.parse(vf.stdout)).toMatchObject({ id: result.id, expected: NODES, delivered: NODES, proofValid: true });

    const human = await spinoza(home, 'broadcast', 'hello again', '--via', '3', '--strategy', 'gossip');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`delivered to ${NODES}/${NODES} live nodes \\(via node 3\\) · proof valid`));

    const logs = await spinoza(home, 'logs', '2');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/node 2/);

    const dn = await spinoza(home, 'down');
    expect(dn.code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect((await Promise.all(pids.map((_, i) => isPortFree('127.0.0.1', basePort + i)))).every(Boolean)).toBe(true);

    const after = await spinoza(home, 'status');
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/^error\[no-run\]: /);
  });

  it('refuses ports that are taken, unknown nodes, and a second run in the same home', async () => {
    const upRes = await spinoza(home, 'up', '--nodes', '3', '--base-port', String(basePort), '--dead', '1');
    expect(upRes.code).toBe(0);
    try {
      const other = await mkdtemp(join(tmpdir(), 'spinoza-cli-other-'));
      const clash = await spinoza(other, 'up', '--nodes', '3', '--base-port', String(basePort));
      await rm(other, { recursive: true, force: true });
      expect(clash.code).toBe(1);
      expect(clash.stderr).toMatch(/^error\[port-in-use\]: ports? 17\d{3}.* — .*--base-port/m);

      const again = await spinoza(home, 'up', '--nodes', '3', '--base-port', String(basePort + 3));
      expect(again.stderr).toMatch(/^error\[run-active\]/);

      const st = JSON.parse((await spinoza(home, 'status', '--json')).stdout) as { nodes: { id: number; role: string; directory: unknown }[] };
      const dead = st.nodes.find((n) => n.role === 'dead')!.id;
      expect(st.nodes.find((n) => n.id === dead)!.directory).toBeNull(); // never started: no directory of its own
      const viaDead = await spinoza(home, 'broadcast', 'x', '--via', String(dead));
      expect(viaDead.stderr).toMatch(/^error\[unknown-node\]: node \d is dead/);
      const viaNone = await spinoza(home, 'logs', '99');
      expect(viaNone.stderr).toMatch(/^error\[unknown-node\]/);
    } finally {
      expect((await spinoza(home, 'down')).code).toBe(0);
    }
  });

  it('a bad manifest is one line, error[manifest-invalid], non-zero, no stack trace', async () => {
    const file = join(home, 'bad.yaml');
    await writeFile(file, 'nodes: 4\nfaults:\n  dead: -1\n');
    const res = await spinoza(home, 'up', '--manifest', file);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trimEnd().split('\n')).toEqual([
      'error[manifest-invalid]: bad.yaml: faults.dead: expected a non-negative integer, got -1 — fix the field in bad.yaml (see README.md#manifest)',
    ]);
    const debug = await spinoza(home, 'up', '--manifest', file, '--debug');
    expect(debug.stderr).toMatch(/\n\s+at /); // --debug adds the stack
  });

  it('every command has a --help that exits 0', async () => {
    for (const cmd of ['up', 'status', 'broadcast', 'verify', 'report', 'logs', 'down', 'demo', 'shape', 'chaos']) {
      const res = await spinoza(home, cmd, '--help');
      expect(res.code, cmd).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^usage: spinoza ${cmd}`));
    }
  });
});
