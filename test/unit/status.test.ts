// `spinoza status`'s directory view: the pure summary of every node's GET /directory, each node's
// role from the run record, and the text and JSON the CLI prints from them (and `up`'s text).
import { describe, expect, it } from 'vitest';
import { formatDirectorySummary, formatStatus, formatUp } from '../../orchestrator/cli/format.js';
import { summarizeDirectories, viewOf, type DirectorySnapshot } from '../../orchestrator/directory-view.js';
import { nodeRole, type NodeRole, type NodeStatus, type RunStatus } from '../../orchestrator/status.js';
import type { UpResult } from '../../orchestrator/up.js';

const GENESIS = [1, 2, 3, 4, 5];

/** A snapshot listing `ids` (default genesis), every node UP unless `statuses` says otherwise. */
const snap = (epoch: number, hash: string, statuses: Record<number, string> = {}, ids = GENESIS): DirectorySnapshot => ({
  network: 'net', epoch, hash, nodes: ids.map((id) => ({ id, status: statuses[id] ?? 'UP' })),
});
const views = (...entries: [number, DirectorySnapshot][]): Map<number, DirectorySnapshot> => new Map(entries);

describe('summarizeDirectories', () => {
  it('is null when no node answered', () => {
    expect(summarizeDirectories(GENESIS, views())).toBeNull();
  });

  it('every node on genesis: all agree, nobody down', () => {
    const g = snap(0, 'g');
    expect(summarizeDirectories(GENESIS, views([1, g], [2, g], [3, g]))).toEqual({
      epoch: 0, hash: 'g', agree: 3, answered: 3, behind: [], divergent: [],
      down: [], unreliable: [], new: [], other: {}, registered: [],
    });
  });

  it('the highest epoch wins; lagging nodes are behind; statuses come from the latest snapshot', () => {
    const old = snap(1, 'a', { 5: 'DOWN' });
    const latest = snap(2, 'b', { 4: 'DOWN', 5: 'DOWN', 3: 'UNRELIABLE' });
    const s = summarizeDirectories(GENESIS, views([3, latest], [1, old], [2, latest]))!;
    expect(s).toMatchObject({ epoch: 2, hash: 'b', agree: 2, answered: 3, behind: [1], divergent: [], down: [4, 5], unreliable: [3] });
  });

  it('two hashes at the latest epoch: the most-held wins, the others are divergent', () => {
    const a = snap(3, 'a', { 4: 'DOWN' });
    const b = snap(3, 'b', { 5: 'DOWN' });
    const s = summarizeDirectories(GENESIS, views([1, a], [2, b], [3, b]))!;
    expect(s).toMatchObject({ hash: 'b', agree: 2, divergent: [1], down: [5] });
    // A tie goes to the hash the lowest node holds.
    expect(summarizeDirectories(GENESIS, views([2, b], [1, a]))).toMatchObject({ hash: 'a', divergent: [2] });
  });

  it('names nodes not in genesis as registered, NEW ones, and statuses it does not know', () => {
    const s = summarizeDirectories(GENESIS, views([1, snap(4, 'r', { 6: 'NEW', 2: 'SUSPENDED' }, [...GENESIS, 6, 7])]))!;
    expect(s).toMatchObject({ new: [6], registered: [6, 7], other: { SUSPENDED: [2] } });
  });
});

describe('viewOf', () => {
  it("is the node's epoch, hash and own status; null status when it is not listed", () => {
    expect(viewOf(4, snap(2, 'h', { 4: 'DOWN' }))).toEqual({ epoch: 2, hash: 'h', status: 'DOWN' });
    expect(viewOf(9, snap(2, 'h'))).toEqual({ epoch: 2, hash: 'h', status: null });
  });
});

describe('nodeRole', () => {
  // Node 7 joined after genesis (admitted, so in `live`); 8 is listed but never started.
  const record = { live: [1, 2, 7], unreliable: [2], byzantine: [{ id: 3, kind: 'corrupt' as const }, { id: 4, kind: 'flood' as const }] };
  // Keyed by every role: the compiler rejects this table if a role is added and not tested.
  const cases: Record<NodeRole, [id: number, want: ReturnType<typeof nodeRole>][]> = {
    live: [[1, { role: 'live' }], [7, { role: 'live' }]],
    unreliable: [[2, { role: 'unreliable' }]],
    byzantine: [[3, { role: 'byzantine', behaviour: 'corrupt' }], [4, { role: 'byzantine', behaviour: 'flood' }]],
    dead: [[8, { role: 'dead' }]],
  };
  it.each(Object.values(cases).flat())('node %i', (id, want) => expect(nodeRole(record, id)).toEqual(want));

  it('a record from before byzantine nodes has none', () => {
    expect(nodeRole({ live: [1], unreliable: [] }, 3)).toEqual({ role: 'dead' });
  });
});

describe('status text', () => {
  const node = (id: number, over: Partial<NodeStatus> = {}): NodeStatus => ({
    id, address: `127.0.0.1:${7099 + id}`, role: 'live', status: 'UP', pid: 100 + id, running: true, health: 'ok', epoch: 2,
    directory: { epoch: 2, hash: 'b'.repeat(64), status: 'UP' }, ...over,
  });
  const summary = summarizeDirectories([1, 2, 3, 4], views(
    [1, snap(2, 'b'.repeat(64), { 4: 'DOWN' }, [1, 2, 3, 4])],
    [2, snap(2, 'b'.repeat(64), { 4: 'DOWN' }, [1, 2, 3, 4])],
    [3, snap(1, 'a'.repeat(64), {}, [1, 2, 3, 4])],
  ));
  const run: RunStatus = {
    runId: 'sp-1', runDir: '/tmp/sp-1', backend: 'process', state: 'running', createdAt: '', network: 'net',
    healthy: 3, live: 4, directory: summary,
    nodes: [
      node(1), node(2),
      node(3, { epoch: 1, directory: { epoch: 1, hash: 'a'.repeat(64), status: 'UP' } }),
      node(4, { health: 'down', error: 'ECONNREFUSED', epoch: null, running: false, directory: null }),
    ],
  };

  it('prints the summary line and each node’s epoch and own status', () => {
    const text = formatStatus(run);
    expect(text).toContain('directory: epoch 2 (bbbbbbbb) held by 2/3 answering nodes · behind: 3 · DOWN: 4 · UNRELIABLE: none · NEW: none · registered after genesis: none');
    const lines = text.split('\n');
    expect(lines[3]).toMatch(/^ID\s+ADDRESS\s+ROLE\s+GENESIS\s+PID\s+RUNNING\s+HEALTH\s+EPOCH\s+SELF$/);
    const row = (id: number): string | undefined => lines.find((l) => l.trimStart().startsWith(`${id} `));
    expect(row(1)).toMatch(/ok\s+2\s+UP$/);
    expect(row(3)).toMatch(/ok\s+1 \(behind\)\s+UP$/);
    expect(row(4)).toMatch(/down \(ECONNREFUSED\)\s+–\s+–$/);
  });

  it('names a fork, and says so when nobody answered', () => {
    expect(formatDirectorySummary({ ...summary!, divergent: [3] })).toContain('FORK at epoch 2: 3');
    expect(formatDirectorySummary(null)).toBe('directory: no node answered GET /directory');
  });

  it('shows a byzantine node with its kind and health, counted apart from the live ones', () => {
    const byz: RunStatus = { ...run, nodes: [...run.nodes, node(5, { role: 'byzantine', behaviour: 'corrupt' }), node(6, { role: 'byzantine', behaviour: 'flood', health: 'down', error: 'ECONNREFUSED', directory: null })] };
    const text = formatStatus(byz);
    expect(text.split('\n')[0]).toMatch(/ · 3\/4 live nodes healthy · 1\/2 byzantine nodes answering$/);
    const row = (id: number): string | undefined => text.split('\n').find((l) => l.trimStart().startsWith(`${id} `));
    expect(row(5)).toMatch(/^\s*5\s+127\.0\.0\.1:7104\s+byzantine:corrupt\s+UP\s+105\s+yes\s+ok\s+2\s+UP$/);
    expect(row(6)).toMatch(/byzantine:flood .* down \(ECONNREFUSED\)/);
    expect(row(1)).toMatch(/^\s*1\s+\S+\s+live\s+UP/);
    // No byzantine nodes: the header says nothing of them.
    expect(formatStatus(run).split('\n')[0]).toMatch(/live nodes healthy$/);
  });

  it('--json keeps the existing fields and adds the directory ones', () => {
    const json = JSON.parse(JSON.stringify(run)) as Record<string, unknown> & { nodes: Record<string, unknown>[] };
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['runId', 'runDir', 'backend', 'state', 'network', 'nodes', 'healthy', 'live', 'directory']));
    expect(Object.keys(json.nodes[0]!)).toEqual(expect.arrayContaining(['id', 'address', 'role', 'status', 'pid', 'running', 'health', 'epoch', 'directory']));
    expect(json.directory).toMatchObject({ epoch: 2, agree: 2, answered: 3, down: [4], behind: [3] });
  });
});

describe('up text', () => {
  const result = (over: Partial<UpResult> = {}): UpResult => ({
    runId: 'sp-1', runDir: '/tmp/sp-1', backend: 'process', network: 'net',
    nodes: [1, 2, 3, 4, 5].map((id) => ({ id, host: '127.0.0.1', port: 7099 + id })),
    live: [1, 2, 4], dead: [5], unreliable: [4], byzantine: [{ id: 3, kind: 'corrupt' }], ...over,
  });

  it('lists the byzantine nodes with their kinds next to the dead and unreliable ones', () => {
    expect(formatUp(result()).split('\n')[1]).toBe('  dead: 5 · unreliable: 4 · byzantine: 3 (corrupt)');
    expect(formatUp(result({ byzantine: [] })).split('\n')[1]).toBe('  dead: 5 · unreliable: 4 · byzantine: none');
  });
});
