// Everything a chaos session decides before anything changes: the run, its manifest's chaos profiles,
// the workload's entry node and the fault schedule. A bad argument fails here, with nothing touched.
import { readFile } from 'node:fs/promises';
import { resolveManifest, parseManifestYaml, type Manifest } from '../manifest.js';
import { openRun, pickEntryNode, type OpenRun } from '../run.js';
import { resolveChaosProfile } from './profile.js';
import { planSchedule, type Schedule } from './schedule.js';

export interface PlanOptions {
  home: string;
  /** Default: the manifest's seed. */
  seed?: string;
  durationMs: number;
  profile: string;
  /** The workload's entry node, never faulted; default the first live, reliable node. */
  via?: number;
}

export interface ChaosPlan {
  run: OpenRun;
  manifest: Manifest;
  via: number;
  schedule: Schedule;
}

export async function planChaos(o: PlanOptions): Promise<ChaosPlan> {
  const run = await openRun(o.home);
  // The run's own resolved manifest: the same one replays the same schedule.
  const manifest = resolveManifest(parseManifestYaml(await readFile(run.layout.manifest, 'utf8'), 'manifest.yaml'), {}, 'manifest.yaml');
  const profile = resolveChaosProfile(manifest.chaos, o.profile);
  const via = pickEntryNode(run, o.via).id;
  const schedule = planSchedule({
    seed: o.seed ?? manifest.seed, durationMs: o.durationMs, nodes: run.record.live, protect: [via], profile, profileName: o.profile,
  });
  return { run, manifest, via, schedule };
}
