// The impairment wired into a run: the manifest's `impairment` section (validated with the run's node
// ids), the per-run control token and the initial profile in every node config, and the record that
// lets a report state what was in effect — and nothing that was not.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeConfig } from '../../node/config.js';
import { analyze, formatReport } from '../../orchestrator/checker/index.js';
import { buildGenesis, controlToken } from '../../orchestrator/genesis.js';
import { evaluateProbe } from '../../orchestrator/impair/probe.js';
import { IMPAIRMENT_FILE, readImpairmentRecord, writeImpairmentRecord, type ImpairmentRecord } from '../../orchestrator/impair/record.js';
import { resolveManifest } from '../../orchestrator/manifest.js';
import { runLayout } from '../../orchestrator/state.js';
import { errorOf } from '../shared/errors.js';

const layout = runLayout('/tmp/spinoza-wiring-test', 'sp-test');

describe('control token and initial profile in the node configs', () => {
  it('one token per run: reproducible from seed and run id, different for another run', () => {
    expect(controlToken('s', 'sp-1')).toBe(controlToken('s', 'sp-1'));
    expect(controlToken('s', 'sp-1')).not.toBe(controlToken('s', 'sp-2'));
    expect(controlToken('s', 'sp-1')).not.toBe(controlToken('t', 'sp-1'));
    const g = buildGenesis(resolveManifest({ nodes: 3, seed: 's' }), 'sp-1', layout);
    for (const c of g.configs) {
      expect(c.control).toEqual({ token: controlToken('s', 'sp-1') });
      expect(c.impairment).toBeUndefined();
    }
  });

  it("the manifest's initial profile, seeded by the manifest, is in every config and a valid NodeConfig", () => {
    const m = resolveManifest({ nodes: 3, seed: 's', impairment: { initial: 'wan', profiles: { wan: { latencyMs: 50, loss: 0.01 }, lan: { latencyMs: 1 } } } });
    const g = buildGenesis(m, 'sp-1', layout);
    for (const c of g.configs) {
      expect(c.impairment).toEqual({ latencyMs: 50, jitterMs: 0, loss: 0.01, seed: 's' });
      expect(NodeConfig.safeParse({ ...c, directoryPath: undefined, directory: g.directory }).success).toBe(true);
    }
  });

  it('refuses a profile that names a node the run will not have, or an unknown initial profile', () => {
    const bad = errorOf(() => resolveManifest({ nodes: 4, impairment: { profiles: { cut: { partition: { 1: [2, 9] } } } } }, {}, 'm.yaml'));
    expect(bad.code).toBe('manifest-invalid');
    expect(bad.message).toMatch(/^m\.yaml: impairment\.profiles\.cut\.partition\.1: expected node ids from 1 to 4 \(node 9 is not in the directory\)/);
    const unknown = errorOf(() => resolveManifest({ impairment: { initial: 'wan', profiles: {} } }, {}, 'm.yaml'));
    expect(unknown.message).toMatch(/impairment\.initial: expected one of the profiles \(none defined\)/);
    const negative = errorOf(() => resolveManifest({ impairment: { profiles: { x: { latencyMs: -5 } } } }, {}, 'm.yaml'));
    expect(negative.message).toMatch(/impairment\.profiles\.x\.latencyMs: expected a number of milliseconds >= 0, got -5/);
    const chaos = errorOf(() => resolveManifest({ chaos: { profiles: { x: { kill: 2 } } } }, {}, 'm.yaml'));
    expect(chaos.message).toMatch(/chaos\.profiles\.x\.kill: expected a share from 0 to 1, got 2/);
  });
});

describe('impairment record', () => {
  const profile = { latencyMs: 50, jitterMs: 0, loss: 0 };
  const probe = evaluateProbe([{ from: 1, to: 2, rttMs: 100, toleranceMs: 20, loss: 0, sent: 40, lost: 0, rttMedianMs: 102, rttMeanMs: 102, rttP95Ms: 105, linked: true }], profile, 'userspace');
  const record: ImpairmentRecord = { mode: 'userspace', profile, nodes: [1, 2], appliedAt: 1, source: 'shape', probe };

  it('round-trips; a missing or damaged file claims nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spinoza-record-'));
    try {
      expect(await readImpairmentRecord(dir)).toBeNull();
      await writeImpairmentRecord(dir, record);
      expect(await readImpairmentRecord(dir)).toEqual(record);
      await writeFile(join(dir, IMPAIRMENT_FILE), '{"mode":"userspace"');
      expect(await readImpairmentRecord(dir)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the report states the mode, the profile and the measured figures', () => {
    const r = analyze([], { live: [1, 2], dead: [], members: [1, 2], impairment: record });
    expect(r.impairment).toEqual(record);
    expect(formatReport(r)).toMatch(/impairment \(userspace mode, by `spinoza shape`\): latency 50 ms, loss 0%; probe ok: 1 pairs, median RTT 102 ms, lost 0\/40 pings/);
    expect(formatReport(analyze([], { live: [1], dead: [], members: [1], impairment: { ...record, profile: null, probe: null } }))).toMatch(/impairment: none applied/);
  });
});
