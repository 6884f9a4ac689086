// Kernel mode for a docker run: preflight → mode, then a tc plan per live node through the helper.
import Docker from 'dockerode';
import { assignRegions, type ImpairmentProfile } from '../../../node/impairment/profile.js';
import { unitName } from '../../backends/docker/containers.js';
import { connectEngine } from '../../backends/docker/engine.js';
import { mapLimit } from '../../health.js';
import type { OpenRun } from '../../run.js';
import type { RunRecord } from '../../state.js';
import { applyPlan, type HelperOptions } from './helper.js';
import { kernelPlan } from './plan.js';
import { kernelPreflight, selectImpairmentMode, type KernelModeChoice, type KernelPreflight } from './preflight.js';

export * from './helper.js';
export * from './plan.js';
export * from './preflight.js';

export interface KernelOptions {
  docker?: Docker;
  /** Helper image (needs tc). Default spinoza/node-base:local. */
  image?: string;
  /** Helpers at once. Default 8. */
  concurrency?: number;
  /** Injected preflight (tests); default runs the helper. */
  preflight?: () => Promise<KernelPreflight>;
}

/** Which mode a run's impairment takes: kernel only on docker with netem, htb, u32 and NET_ADMIN. */
export async function chooseMode(run: OpenRun, o: KernelOptions = {}): Promise<KernelModeChoice & { preflight: KernelPreflight | null }> {
  if (run.record.backend !== 'docker') return { ...selectImpairmentMode(run.record.backend, null), preflight: null };
  let pre: KernelPreflight;
  try {
    pre = o.preflight ? await o.preflight() : await kernelPreflight({ docker: await connectEngine(o.docker ?? new Docker()), runId: run.layout.runId, ...(o.image && { image: o.image }) });
  } catch (e) {
    pre = { privileged: false, htb: false, netem: false, filters: false, detail: `preflight failed: ${(e as Error).message}` };
  }
  return { ...selectImpairmentMode('docker', pre), preflight: pre };
}

/** Puts `profile` (null: clear) on the egress of every live node of a docker run. */
export async function applyKernelProfile(run: OpenRun, profile: ImpairmentProfile | null, o: KernelOptions = {}): Promise<number[]> {
  const docker = await connectEngine(o.docker ?? new Docker());
  const helper: HelperOptions = { docker, runId: run.layout.runId, ...(o.image && { image: o.image }) };
  const peers = run.directory.nodes.map((n) => ({ id: n.id, ip: n.host }));
  const regions = profile ? assignRegions(profile, run.directory.nodes.map((n) => n.id)) : new Map<number, string>();
  const targets = kernelTargets(run.layout.runId, run.record);
  await mapLimit(targets, o.concurrency ?? 8, ({ id, container }) =>
    applyPlan(helper, container, kernelPlan({ profile, self: id, peers, regionOf: (n) => regions.get(n) })));
  return targets.map((t) => t.id);
}

/** Each live node with the container it runs in: a joined node's is named by its k (containers.ts unitName). */
export const kernelTargets = (runId: string, record: Pick<RunRecord, 'live' | 'joiners'>): { id: number; container: string }[] =>
  record.live.map((id) => ({ id, container: unitName(runId, record, id) }));
