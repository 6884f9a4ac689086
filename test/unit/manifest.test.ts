// The manifest: defaults, a precise error (path + expectation + value) for every bad field, CLI overrides.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Behaviour, ProtocolParams } from '../../node/config.js';
import { BYZANTINE_KINDS, loadManifest, parseManifestYaml, resolveManifest, type ManifestOverrides } from '../../orchestrator/manifest.js';
import { errorOf } from '../shared/errors.js';

/** Every protocol parameter's default, less those the manifest sets at its top level. */
const { strategy: _s, treeFanout: _t, gossipFanout: _g, ...PARAM_DEFAULTS } = ProtocolParams.parse({});

const DEFAULTS = {
  seed: 'spinoza',
  nodes: 16,
  strategy: 'tree',
  neighborhoodSize: 15,
  params: PARAM_DEFAULTS,
  faults: {
    dead: 0, unreliable: 0, unreliableDropRate: 0.2, unreliableMaxDelayMs: 200,
    byzantine: { drop: 0, corrupt: 0, equivocate: 0, 'forge-receipt': 0, flood: 0 },
  },
  backend: 'process',
  basePort: 7100,
  host: '127.0.0.1',
  workload: { broadcasts: 5, bodyBytes: 64 },
  impairment: { profiles: {} },
  chaos: { profiles: {} },
};

describe('manifest defaults', () => {
  it.each([
    ['an empty document', ''],
    ['a comment only', '# nothing here\n'],
    ['an empty mapping', '{}'],
  ])('%s gives the defaults', (_, yaml) => {
    expect(resolveManifest(parseManifestYaml(yaml))).toEqual(DEFAULTS);
  });

  it('keeps given fields and fills the rest', () => {
    const m = resolveManifest(parseManifestYaml('nodes: 32\nfaults:\n  dead: 3\nparams:\n  ackTimeoutMs: 500\n'));
    expect(m).toEqual({ ...DEFAULTS, nodes: 32, faults: { ...DEFAULTS.faults, dead: 3 }, params: { ...PARAM_DEFAULTS, ackTimeoutMs: 500 } });
  });

  it('takes byzantine counts per kind, the rest 0', () => {
    const m = resolveManifest(parseManifestYaml("faults:\n  byzantine: { corrupt: 1, 'forge-receipt': 2 }\n"));
    expect(m.faults.byzantine).toEqual({ ...DEFAULTS.faults.byzantine, corrupt: 1, 'forge-receipt': 2 });
    // Every byzantine behaviour of the node has its count, and nothing else does.
    const kinds = Behaviour.options.map((o) => o.shape.kind.value).filter((k) => k !== 'honest' && k !== 'unreliable');
    expect([...BYZANTINE_KINDS].sort()).toEqual(kinds.sort());
  });

  it('loads no file as the defaults', async () => {
    expect(await loadManifest(undefined)).toEqual(DEFAULTS);
  });
});

describe('bad fields name their path, what was expected and what was given', () => {
  const cases: [doc: Record<string, unknown>, message: string][] = [
    [{ seed: '' }, 'manifest.yaml: seed: expected a non-empty string, got ""'],
    [{ seed: 7 }, 'manifest.yaml: seed: expected a string, got 7'],
    [{ nodes: 0 }, 'manifest.yaml: nodes: expected an integer from 1 to 100000, got 0'],
    [{ nodes: 2.5 }, 'manifest.yaml: nodes: expected an integer from 1 to 100000, got 2.5'],
    [{ nodes: 'many' }, 'manifest.yaml: nodes: expected an integer from 1 to 100000, got "many"'],
    [{ strategy: 'flood' }, 'manifest.yaml: strategy: expected one of tree, ring, gossip, got "flood"'],
    [{ neighborhoodSize: 0 }, 'manifest.yaml: neighborhoodSize: expected an integer from 1 to 1000, got 0'],
    [{ treeFanout: 0 }, 'manifest.yaml: treeFanout: expected an integer from 1 to 64, got 0'],
    [{ gossipFanout: 65 }, 'manifest.yaml: gossipFanout: expected an integer from 1 to 64, got 65'],
    [{ params: { ackTimeoutMs: 0 } }, 'manifest.yaml: params.ackTimeoutMs: expected a value > 0, got 0'],
    [{ params: { strategy: 'ring' } }, 'manifest.yaml: params: unknown field "strategy"'],
    [{ params: [] }, 'manifest.yaml: params: expected a mapping, got a list'],
    [{ faults: { dead: -1 } }, 'manifest.yaml: faults.dead: expected a non-negative integer, got -1'],
    [{ faults: { unreliable: 'x' } }, 'manifest.yaml: faults.unreliable: expected a non-negative integer, got "x"'],
    [{ faults: { unreliableDropRate: 1.5 } }, 'manifest.yaml: faults.unreliableDropRate: expected a number from 0 to 1, got 1.5'],
    [{ faults: { unreliableMaxDelayMs: -5 } }, 'manifest.yaml: faults.unreliableMaxDelayMs: expected a non-negative integer, got -5'],
    [{ faults: { dying: 1 } }, 'manifest.yaml: faults: unknown field "dying"'],
    [{ faults: null }, 'manifest.yaml: faults: expected a mapping, got null'],
    [{ nodes: 4, faults: { dead: 4 } }, 'manifest.yaml: faults.dead: expected fewer dead nodes than nodes (4), got 4'],
    [{ nodes: 4, faults: { dead: 2, unreliable: 3 } }, 'manifest.yaml: faults.unreliable: expected dead + unreliable <= nodes (4), got 3'],
    [{ faults: { byzantine: { corrupt: -1 } } }, 'manifest.yaml: faults.byzantine.corrupt: expected a non-negative integer, got -1'],
    [{ faults: { byzantine: { flood: 1.5 } } }, 'manifest.yaml: faults.byzantine.flood: expected a non-negative integer, got 1.5'],
    [{ faults: { byzantine: { lie: 1 } } }, 'manifest.yaml: faults.byzantine: unknown field "lie"'],
    [{ faults: { byzantine: { unreliable: 1 } } }, 'manifest.yaml: faults.byzantine: unknown field "unreliable"'],
    [{ faults: { byzantine: 2 } }, 'manifest.yaml: faults.byzantine: expected a mapping, got 2'],
    [{ nodes: 4, faults: { dead: 1, unreliable: 1, byzantine: { drop: 1, flood: 2 } } },
      'manifest.yaml: faults.byzantine: expected dead + unreliable + byzantine <= nodes (4), got {"drop":1,"flood":2}'],
    [{ nodes: 4, faults: { dead: 1, byzantine: { corrupt: 3 } } },
      'manifest.yaml: faults.byzantine: expected dead + byzantine < nodes (4): one node must be neither, got {"corrupt":3}'],
    [{ backend: 'k8s' }, 'manifest.yaml: backend: expected one of process, docker, compose, swarm, got "k8s"'],
    [{ basePort: 0 }, 'manifest.yaml: basePort: expected an integer from 1 to 65535, got 0'],
    [{ basePort: 65530, nodes: 16 }, 'manifest.yaml: basePort: expected basePort + nodes - 1 <= 65535 (nodes: 16), got 65530'],
    [{ host: '' }, 'manifest.yaml: host: expected a host name or address, got ""'],
    [{ workload: { broadcasts: 0 } }, 'manifest.yaml: workload.broadcasts: expected an integer from 1 to 100000, got 0'],
    [{ workload: { bodyBytes: -1 } }, 'manifest.yaml: workload.bodyBytes: expected an integer from 1 to 1048576, got -1'],
    [{ nodez: 3 }, 'manifest.yaml: (top level): unknown field "nodez"'],
  ];

  it.each(cases)('%j', (doc, message) => {
    const err = errorOf(() => resolveManifest(doc, {}, 'manifest.yaml'));
    expect(err.code).toBe('manifest-invalid');
    expect(err.message).toBe(message);
    expect(err.hint).toMatch(/manifest\.yaml/);
  });

  it('rejects a document that is not a mapping', () => {
    expect(errorOf(() => resolveManifest([1, 2], {}, 'm.yaml')).message).toBe('m.yaml: expected a mapping of fields, got a list');
    expect(errorOf(() => resolveManifest('text', {}, 'm.yaml')).code).toBe('manifest-invalid');
  });

  it('reports YAML syntax errors with their line', () => {
    const err = errorOf(() => parseManifestYaml('nodes: 4\nfaults: [1,\n  dead', 'm.yaml'));
    expect(err.code).toBe('manifest-invalid');
    expect(err.message).toMatch(/^m\.yaml:\d+:\d+: not valid YAML/);
  });

  it('names the file it read, and a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spinoza-manifest-'));
    const file = join(dir, 'net.yaml');
    await writeFile(file, 'faults:\n  dead: -1\n');
    try {
      await expect(loadManifest(file)).rejects.toThrow('net.yaml: faults.dead: expected a non-negative integer, got -1');
      await expect(loadManifest(join(dir, 'none.yaml'))).rejects.toMatchObject({ code: 'manifest-not-found' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI overrides', () => {
  const doc = { nodes: 32, strategy: 'ring', seed: 'a', faults: { dead: 1, unreliable: 1 }, basePort: 9000 };

  it('win over the manifest, with argv strings coerced to numbers', () => {
    const o: ManifestOverrides = { nodes: '8', strategy: 'gossip', seed: 'b', dead: '2', unreliable: '0', basePort: '17000', backend: 'process', host: '0.0.0.0' };
    const m = resolveManifest(doc, o);
    expect(m).toMatchObject({ nodes: 8, strategy: 'gossip', seed: 'b', faults: { dead: 2, unreliable: 0 }, basePort: 17000, host: '0.0.0.0' });
  });

  it('leave the manifest alone when absent', () => {
    expect(resolveManifest(doc, {})).toMatchObject(doc);
  });

  it('do not modify the document they override', () => {
    const copy = structuredClone(doc);
    resolveManifest(doc, { dead: 3 });
    expect(doc).toEqual(copy);
  });

  it.each([
    [{ nodes: 'lots' }, '--nodes: expected an integer from 1 to 100000, got "lots"'],
    [{ dead: '-1' }, '--dead: expected a non-negative integer, got -1'],
    [{ strategy: 'flood' }, '--strategy: expected one of tree, ring, gossip, got "flood"'],
    [{ basePort: '70000' }, '--base-port: expected an integer from 1 to 65535, got 70000'],
    [{ backend: 'k8s' }, '--backend: expected one of process, docker, compose, swarm, got "k8s"'],
  ] as [ManifestOverrides, string][])('a bad flag %j is named as the flag', (o, message) => {
    const err = errorOf(() => resolveManifest({}, o, 'manifest.yaml'));
    expect(err.code).toBe('manifest-invalid');
    expect(err.message).toBe(message);
  });

  it('are checked against the manifest they override (cross-field limits)', () => {
    expect(errorOf(() => resolveManifest({ faults: { dead: 4 } }, { nodes: '4' }, 'm.yaml')).message)
      .toBe('m.yaml: faults.dead: expected fewer dead nodes than nodes (4), got 4');
  });
});
