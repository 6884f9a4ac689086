// The manifest's `impairment.initial` at `up`: every node starts with it from its config; this checks
// that each node reports exactly it, records it (impairment.json) and probes it, so the run's report
// states the measured figures — and a network that is not what the manifest says fails the run.
import { mapLimit } from '../health.js';
import { SpinozaError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import type { OpenRun } from '../run.js';
import { getImpairment } from './control.js';
import { assertProbe, probe, type ProbeOptions } from './probe.js';
import { initialProfile } from './profiles.js';
import { writeImpairmentRecord, type ImpairmentRecord } from './record.js';
import { controlTarget } from './shape.js';

export const PROBE_ATTEMPTS = 3;

/** Null when the manifest names no initial profile; throws control-failed or probe-mismatch. */
export async function applyInitialImpairment(run: OpenRun, m: Manifest, signal?: AbortSignal,
  probeOptions: Omit<ProbeOptions, 'signal' | 'mode'> = {}): Promise<ImpairmentRecord | null> {
  const profile = initialProfile(m);
  if (profile === undefined) return null;
  const target = await controlTarget(run);
  const call = { timeoutMs: 10_000, ...(signal && { signal }) };
  const states = await mapLimit(target.nodes, 16, async (n) => ({ id: n.id, state: await getImpairment(n, target.token, call) }));
  const wanted = JSON.stringify(profile);
  const off = states.filter((s) => JSON.stringify(s.state.profile) !== wanted).map((s) => s.id);
  if (off.length > 0) {
    throw new SpinozaError('control-failed', `nodes ${off.slice(0, 10).join(', ')} do not report the manifest's initial impairment "${m.impairment.initial}"`,
      'are the nodes from another build? rebuild (`npm run build`) and start again');
  }
  const record: ImpairmentRecord = { mode: 'userspace', profile, nodes: states.map((s) => s.id), appliedAt: Date.now(), source: 'up', probe: null };
  await writeImpairmentRecord(run.layout.dir, record);
  // Nodes fresh from start-up on a busy machine inflate a few RTTs: a mismatch is measured again (up
  // to PROBE_ATTEMPTS times) before the run fails; the record keeps the last figures either way.
  let measured = await probe(target, run.directory, run.record.live, profile, { seed: m.seed, ...probeOptions, mode: 'userspace', ...(signal && { signal }) });
  for (let attempt = 2; !measured.ok && attempt <= PROBE_ATTEMPTS; attempt++) {
    measured = await probe(target, run.directory, run.record.live, profile, { seed: `${m.seed}/${attempt}`, ...probeOptions, mode: 'userspace', ...(signal && { signal }) });
  }
  const done = { ...record, probe: measured };
  await writeImpairmentRecord(run.layout.dir, done);
  assertProbe(measured);
  return done;
}
