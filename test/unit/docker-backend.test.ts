// The docker backend's pure parts: container addresses, preflight limits, log demultiplexing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type Docker from 'dockerode';
import { ipSlot, MAX_NODES_PER_SUBNET, nodeIp, overlaps, subnetOfDirectory } from '../../orchestrator/backends/docker/addressing.js';
import { joinerOfLabels, nodeIdOf } from '../../orchestrator/backends/docker/cleanup.js';
import { containerSpec, joinerContainerSpec, unitName } from '../../orchestrator/backends/docker/containers.js';
import { LABEL_JOINER, LABEL_NODE } from '../../orchestrator/backends/docker/engine.js';
import { dockerJoiners } from '../../orchestrator/backends/docker/joiners.js';
import { MOUNT } from '../../orchestrator/backends/docker/mounts.js';
import { runLayout, type RunRecord } from '../../orchestrator/state.js';
import { demuxLogs } from '../../orchestrator/backends/docker/logs.js';
import { checkLimits, MAX_CONTAINERS_PER_BRIDGE, neighbourEntries, PER_CONTAINER, type HostFacts } from '../../orchestrator/backends/docker/preflight.js';
import type { ErrorCode } from '../../orchestrator/errors.js';

describe('container addresses', () => {
  it('gives every id of a /16 its own host address, never the network, gateway or broadcast', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_NODES_PER_SUBNET }), (id) => {
      const ip = nodeIp([10, 200], id);
      const [a, b, c, d] = ip.split('.').map(Number);
      expect([a, b]).toEqual([10, 200]);
      expect(c! * 256 + d!).toBe(id + 1);
      expect(['10.200.0.0', '10.200.0.1', '10.200.255.255']).not.toContain(ip);
    }));
    expect(() => nodeIp([10, 200], MAX_NODES_PER_SUBNET + 1)).toThrow(RangeError);
    expect(() => nodeIp([10, 200], 0)).toThrow(RangeError);
  });

  it('finds the subnet again from the directory', () => {
    const directory = { network: 'n', epoch: 0, neighborhoodSize: 15, initiators: [],
      nodes: [{ id: 1, host: nodeIp([10, 131], 1), port: 7000, publicKey: 'k', status: 'UP' as const }] };
    expect(subnetOfDirectory(directory)).toEqual([10, 131]);
    expect(() => subnetOfDirectory({ ...directory, nodes: [{ ...directory.nodes[0]!, host: 'node-1' }] })).toThrow(/not at a container IP/);
  });

  it('ipSlot inverts nodeIp, and knows no other subnet', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_NODES_PER_SUBNET }), (id) => {
      expect(ipSlot([10, 200], nodeIp([10, 200], id))).toBe(id);
    }));
    expect(ipSlot([10, 200], '10.201.0.2')).toBeUndefined();
    expect(ipSlot([10, 200], 'node-1')).toBeUndefined();
  });

  it.each([
    ['10.200.0.0/16', true], ['10.200.5.0/24', true], ['10.0.0.0/8', true], ['10.201.0.0/16', false],
    ['172.17.0.0/16', false], ['10.200.255.255/32', true], ['10.199.255.255/32', false],
  ])('%s overlaps 10.200.0.0/16: %s', (cidr, expected) => {
    expect(overlaps(cidr, [10, 200])).toBe(expected);
  });
});

describe('preflight limits', () => {
  const roomy: HostFacts = { memAvailableBytes: 64 * 2 ** 30, neighbourLimit: 1 << 20, taskLimit: 1 << 22, dockerdFdLimit: 1 << 20 };
  const cases: [string, number, Partial<HostFacts>, ErrorCode | undefined][] = [
    ['200 on a roomy host', 200, {}, undefined],
    ['one bridge too many', MAX_CONTAINERS_PER_BRIDGE + 1, {}, 'kernel-limit'],
    ['too little memory', 200, { memAvailableBytes: 200 * PER_CONTAINER.memoryBytes }, 'insufficient-memory'],
    ['default gc_thresh3 at 200', 200, { neighbourLimit: 1024 }, 'kernel-limit'],
    ['default gc_thresh3 at 24', 24, { neighbourLimit: 1024 }, undefined],
    ['pid_max', 200, { taskLimit: 1000 }, 'kernel-limit'],
    ['dockerd fds', 1000, { dockerdFdLimit: 4096 }, 'kernel-limit'],
    ['unknown facts are not checked', 500, { memAvailableBytes: undefined, neighbourLimit: undefined, taskLimit: undefined, dockerdFdLimit: undefined }, undefined],
  ];
  it.each(cases)('%s', (_, n, facts, code) => {
    const e = checkLimits(n, { ...roomy, ...facts });
    expect(e?.code).toBe(code);
    if (e) expect(e.hint).toBeTruthy();
  });

  it('counts neighbour entries per container up to the active-peer bound', () => {
    expect(neighbourEntries(2)).toBe(4);
    expect(neighbourEntries(1000)).toBe(151_000);
  });
});

describe('docker log frames', () => {
  const frame = (type: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  it('joins stdout and stderr in the order written', () => {
    expect(demuxLogs(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c')]))).toBe('a\nb\nc');
  });
  it('passes plain (TTY) output through', () => {
    expect(demuxLogs(Buffer.from('plain text output\n'))).toBe('plain text output\n');
  });
});

describe('joiner containers (spinoza join)', () => {
  const layout = runLayout('/tmp/spinoza-docker-unit', 'sp-j');
  const base = { runId: 'sp-j', image: 'img', layout, labels: { 'spinoza.run': 'sp-j' }, user: '1000:1000' };

  it('run the same image on the run network with --enrol, named and labelled by k, with a writable state folder', () => {
    const spec = joinerContainerSpec({ ...base, k: 3, ip: '10.200.0.20' });
    const node = containerSpec({ ...base, id: 3, subnet: [10, 200] });
    expect(spec.name).toBe('spinoza-sp-j-joiner-3');
    expect(spec.Cmd).toEqual(['--enrol', MOUNT.config]);
    expect(spec.Labels).toEqual({ 'spinoza.run': 'sp-j', [LABEL_JOINER]: '3' });
    expect(spec.HostConfig?.Binds).toEqual([
      `${layout.joinerConfig(3)}:${MOUNT.config}:ro`,
      `${layout.genesis}:${MOUNT.genesis}:ro`,
      `${layout.dir}/events:${MOUNT.events}:rw`,
      `${layout.joinerState(3)}:${MOUNT.state}:rw`,
    ]);
    expect(spec.NetworkingConfig).toEqual({ EndpointsConfig: { 'spinoza-sp-j': { IPAMConfig: { IPv4Address: '10.200.0.20' } } } });
    // Everything else as a genesis node's container.
    const { name: _a, Cmd: _b, Labels: _c, HostConfig: h1, NetworkingConfig: _d, ...rest } = spec;
    const { name: _e, Cmd: _f, Labels: _g, HostConfig: h2, NetworkingConfig: _h, ...nodeRest } = node;
    expect(rest).toEqual(nodeRest);
    expect({ ...h1, Binds: [] }).toEqual({ ...h2, Binds: [] });
  });

  it('are found by label, and by name once admitted', () => {
    expect(joinerOfLabels({ [LABEL_JOINER]: '0' })).toBe(0);
    expect(joinerOfLabels({ [LABEL_JOINER]: '' })).toBeUndefined();
    expect(joinerOfLabels({ [LABEL_NODE]: '4' })).toBeUndefined();
    expect(nodeIdOf({ [LABEL_JOINER]: '2' })).toBeUndefined();
    const record = { joiners: [{ k: 2, host: '10.200.0.19', port: 7000, id: 17 }] };
    expect(unitName('sp-j', record, 17)).toBe('spinoza-sp-j-joiner-2');
    expect(unitName('sp-j', record, 16)).toBe('spinoza-sp-j-node-16');
  });

  it('take the next addresses after every one the run lists or a joiner took', async () => {
    const nodes = [1, 2, 3].map((id) => ({ id, host: nodeIp([10, 200], id), port: 7000, publicKey: 'k', status: 'UP' as const }));
    const record: RunRecord = {
      runId: 'sp-j', backend: 'docker', createdAt: '', state: 'up', live: [1, 2, 3], dead: [], unreliable: [], processes: [],
      joiners: [{ k: 0, host: nodeIp([10, 200], 4), port: 7000, id: 4 }],
    };
    const run = { layout, record, directory: { network: 'n', epoch: 1, neighborhoodSize: 15, initiators: [], nodes }, save: async () => {} };
    const noEngine = (): Promise<Docker> => Promise.reject(new Error('no engine needed to place'));
    const placed = await dockerJoiners(noEngine, run, { image: 'img' }).place([1, 2]);
    expect([...placed.keys()]).toEqual([1, 2]);
    expect(placed.get(1)).toEqual({
      advertise: { host: nodeIp([10, 200], 5), port: 7000 }, listen: { host: '0.0.0.0', port: 7000 },
      directoryPath: MOUNT.genesis, eventsPath: `${MOUNT.events}/joiner-1.ndjson`, enrolledPath: `${MOUNT.state}/enrolled.json`,
    });
    expect(placed.get(2)!.advertise.host).toBe(nodeIp([10, 200], 6));
  });
});
